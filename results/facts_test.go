package results_test

import (
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

// Binary messages: base64 (4 bytes per 3) in SSE and the polls, raw in
// WebSocket and raw TCP.
func TestBuiltinMinimumBinary(t *testing.T) {
	for _, tc := range []struct {
		transport string
		size      int
		want      int
	}{
		{"rawtcp", 100, 104},
		{"websocket", 100, 102},
		{"sse", 100, 12 + 136 + 2},
		{"sse-lean", 99, 12 + 132 + 2},
		{"longpoll", 3, 5},
		{"shortpoll", 4, 9},
	} {
		f, ok := results.Builtin(tc.transport, tc.size, true)
		if !ok || f.MinimumBytes != tc.want {
			t.Errorf("Builtin(%q, %d, binary).MinimumBytes = %d (known %v), want %d", tc.transport, tc.size, f.MinimumBytes, ok, tc.want)
		}
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
