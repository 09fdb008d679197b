package wire_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/wire"
)

// FuzzDecode cross-checks Decode against encoding/json: whatever Decode
// accepts, encoding/json must read the same seq, sent, gap bounds and
// payload length from; what encoding/json rejects, Decode must reject.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"seq":1,"sent":2,"payload":"abc"}`))
	f.Add(wire.AppendMessageJSON(nil, 9223372036854775807, 1795306802537491092, "x"))
	f.Add([]byte(`{"seq":9999999999999999999,"sent":2,"payload":"abc"}`))
	f.Add([]byte(`{"seq":01,"sent":2,"payload":"abc"}`))
	f.Add([]byte(`{"seq":1,"sent":2,"payload":"a\u0001"}`))
	f.Add([]byte("{\"seq\":1,\"sent\":2,\"payload\":\"\x01\"}"))
	f.Add(wire.AppendGapJSON(nil, 3, 9))
	f.Add([]byte(`{"type":"gap","first":3,"last":+9}`))
	f.Add([]byte(`{ "payload": "abc", "sent": 7, "seq": 3 }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := wire.Decode(b)
		var std struct {
			Type    string  `json:"type"`
			Seq     *int64  `json:"seq"`
			Sent    int64   `json:"sent"`
			Payload *string `json:"payload"`
			First   int64   `json:"first"`
			Last    int64   `json:"last"`
		}
		stdErr := json.Unmarshal(b, &std)
		if stdErr != nil {
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, but encoding/json rejects it: %v", b, got, stdErr)
			}
			return
		}
		if err != nil {
			return // valid JSON that is not a wire object (no seq, no payload)
		}
		if std.Type == "gap" {
			if !got.Gap || got.First != std.First || got.Last != std.Last {
				t.Fatalf("Decode(%q) = %+v, encoding/json reads gap %d..%d", b, got, std.First, std.Last)
			}
			return
		}
		if got.Gap || std.Seq == nil || got.Seq != *std.Seq || got.Sent != std.Sent {
			t.Fatalf("Decode(%q) = %+v, encoding/json reads %+v", b, got, std)
		}
		if !strings.Contains(string(b), `\`) && got.PayloadSize != len(*std.Payload) {
			t.Fatalf("Decode(%q) payload size %d, encoding/json reads %d", b, got.PayloadSize, len(*std.Payload))
		}
	})
}

// FuzzRoundTrip: what AppendMessageJSON writes, Decode reads back exactly.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1), int64(2), "abc")
	f.Add(int64(9223372036854775807), int64(-1), "<&>\"\\\n")
	f.Fuzz(func(t *testing.T, seq, sent int64, payload string) {
		if seq < 0 {
			seq = -(seq + 1)
		}
		b := wire.AppendMessageJSON(nil, seq, sent, payload)
		got, err := wire.Decode(b)
		if err != nil || got.Gap || got.Seq != seq || got.Sent != sent {
			t.Fatalf("Decode(%q) = %+v, %v; want seq %d sent %d", b, got, err, seq, sent)
		}
	})
}

// FuzzParseCursor: a cursor is accepted exactly when it is a non-negative
// int64 in decimal, and the error quotes a bounded prefix of the input.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"0", "17", "-1", "", "x", "9223372036854775807", "9223372036854775808", "+5", strings.Repeat("9", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := wire.ParseCursor("since", v)
		want, perr := strconv.ParseInt(v, 10, 64)
		ok := perr == nil && want >= 0
		if ok != (err == nil) || (ok && n != want) {
			t.Fatalf("ParseCursor(%q) = %d, %v; strconv says %d, %v", v, n, err, want, perr)
		}
		if err != nil && len(err.Error()) > 200+wire.QuoteMax*4 {
			t.Fatalf("error for %d bytes of input is %d bytes long", len(v), len(err.Error()))
		}
	})
}

// FuzzAppendString: the one-pass escaper writes exactly what
// encoding/json writes, and StringLen predicts its length.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quo"te\`, "\x00\x1f\x7f\b\f\n\r\t", "<&>", "ünï\u2028\u2029", "\xff\xfe", "a\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		got := wire.AppendString([]byte("x"), s)
		if string(got[1:]) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got[1:], want)
		}
		if n := wire.StringLen(s); n != len(want) {
			t.Fatalf("StringLen(%q) = %d, want %d", s, n, len(want))
		}
	})
}
