package results_test

import (
	"strconv"
	"testing"

	"github.com/pushbench/pushbench/results"
)

// Records without facts (older runs) get the built-in minimum of their
// transport, as plots.ProtocolMinimum gave it before records carried facts.
func TestMinimumOfRecordsWithoutFacts(t *testing.T) {
	for _, tc := range []struct {
		transport string
		message   int
		want      int
	}{
		{"rawtcp", 100, 104},
		{"websocket", 125, 127},
		{"websocket", 126, 130},
		{"websocket", 65535, 65539},
		{"websocket", 65536, 65546},
		// "id: 1\ndata: " (12) + message + "\n\n" (2); chunk framing left out
		{"sse", 100, 114},
		{"sse-lean", 100, 114},
		{"sse", 65536, 65550},
		{"longpoll", 100, 101},
		{"shortpoll", 100, 101},
		{"sse+h2", 100, 114}, // a variant: its base's
		{"carrier-pigeon", 100, 100},
	} {
		r := results.Record{Transport: tc.transport, Params: results.Params{MessageBytes: tc.message}}
		if got := results.MinimumOf(r); got != tc.want {
			t.Errorf("MinimumOf(%q, %d) = %v, want %v", tc.transport, tc.message, got, tc.want)
		}
	}
}

// A binary payload's minimum: the raw payload behind wire's 21-byte
// header where the protocol carries bytes (WebSocket, raw TCP), and base64
// (4 bytes per 3, padded) inside the JSON message where it carries text.
// The same for a record without facts (Builtin) and through Carried.
func TestBinaryMinimum(t *testing.T) {
	// {"seq":1,"sent":<19 digits>,"size":<digits>,"base64":"<4*ceil(n/3)>"}
	envelope := func(n int) int { return len(`{"seq":1,"sent":,"size":,"base64":""}`) + 19 + len(strconv.Itoa(n)) }
	for _, tc := range []struct {
		transport string
		payload   int
		message   int
		want      int
	}{
		{"rawtcp", 65536, 21 + 65536, 4 + 21 + 65536},
		{"websocket", 104, 125, 2 + 125}, // 125 bytes: the 2-byte frame header
		{"websocket", 105, 126, 4 + 126}, // 126: the 4-byte one
		{"websocket", 65536, 21 + 65536, 10 + 21 + 65536},
		{"sse", 65536, envelope(65536) + 87384, 12 + envelope(65536) + 87384 + 2}, // 87384 = 4 * ceil(65536/3)
		{"sse-lean", 16, envelope(16) + 24, 12 + envelope(16) + 24 + 2},
		{"longpoll", 1024, envelope(1024) + 1368, envelope(1024) + 1368 + 1},
		{"shortpoll", 1, envelope(1) + 4, envelope(1) + 4 + 1},
	} {
		r := results.Record{Transport: tc.transport, Params: results.Params{Payload: tc.payload, Binary: true, MessageBytes: 999}}
		if got := results.MessageBytesOf(r); got != tc.message {
			t.Errorf("MessageBytesOf(%q, binary %d) = %d, want %d", tc.transport, tc.payload, got, tc.message)
		}
		if got := results.MinimumOf(r); got != tc.want {
			t.Errorf("MinimumOf(%q, binary %d) = %d, want %d", tc.transport, tc.payload, got, tc.want)
		}
	}
	text := results.Record{Transport: "sse", Params: results.Params{Payload: 65536, MessageBytes: 100}}
	if got := results.MinimumOf(text); got != 114 {
		t.Errorf("text: MinimumOf = %d, want the minimum of the JSON message (114)", got)
	}
}

// Facts a record carries win over the built-in ones; a variant of a
// built-in base without facts is derived from it: same colour and
// marker, a dash of its own, not the floor.
func TestFactsOf(t *testing.T) {
	own := &results.TransportFacts{Push: true, Order: 25, Style: results.Style{Color: "#123456"}}
	if f, ok := results.FactsOf(results.Record{Transport: "rawtcp", Facts: own}); !ok || f.Floor || f.Order != 25 {
		t.Errorf("recorded facts not used: %+v", f)
	}
	base, _ := results.Builtin("rawtcp", 0, false)
	v, ok := results.FactsOf(results.Record{Transport: "rawtcp+tls"})
	if !ok || v.Floor || v.Base != "rawtcp" || v.Variant != "tls" || v.Plain() || v.Order != base.Order ||
		v.Style.Color != base.Style.Color || v.Style.Glyph != base.Style.Glyph || len(v.Style.Dashes) == 0 || equal(v.Style.Dashes, base.Style.Dashes) {
		t.Errorf("derived variant %+v from base %+v", v, base)
	}
	seen := map[string]string{}
	for _, variant := range []string{"tls", "h2", "h2c"} {
		f, _ := results.FactsOf(results.Record{Transport: "sse+" + variant})
		key := ""
		for _, d := range f.Style.Dashes {
			key += string(rune('a' + int(d)))
		}
		if other, dup := seen[key]; dup || key == "" {
			t.Errorf("variant %s has the dashes of %q: %v", variant, other, f.Style.Dashes)
		}
		seen[key] = variant
	}
	if _, ok := results.FactsOf(results.Record{Transport: "carrier-pigeon"}); ok {
		t.Error("an unknown transport without facts has facts")
	}
	if f, _ := results.FactsOf(results.Record{Transport: "websocket"}); !f.Plain() || f.Floor || !f.Upgrades || !f.Representative {
		t.Errorf("websocket's built-in facts: %+v", f)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
