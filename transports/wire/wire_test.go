package wire_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/wire"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	payloads := []string{"", "plain", `quo"te`, "back\\slash", "new\nline", "ünïcode", "<script>&", strings.Repeat("x", 70000)}
	for _, p := range payloads {
		b := wire.AppendMessageJSON(nil, 42, 1795306802537491092, p)
		var std struct {
			Seq     int64  `json:"seq"`
			Sent    int64  `json:"sent"`
			Payload string `json:"payload"`
		}
		if err := json.Unmarshal(b, &std); err != nil || std.Payload != p || std.Seq != 42 {
			t.Errorf("%q: encoding/json reads %+v, %v", p, std, err)
		}
		f, err := wire.Decode(b)
		if err != nil || f.Gap || f.Seq != 42 || f.Sent != 1795306802537491092 {
			t.Errorf("%q: Decode = %+v, %v", p, f, err)
		}
		if !strings.ContainsAny(p, "\"\\\n<>&") && f.PayloadSize != len(p) {
			t.Errorf("%q: payload size %d, want %d", p, f.PayloadSize, len(p))
		}
	}
}

func TestDecodeGapsAndOtherForms(t *testing.T) {
	f, err := wire.Decode(wire.AppendGapJSON(nil, 6, 40))
	if err != nil || !f.Gap || f.First != 6 || f.Last != 40 {
		t.Errorf("gap: %+v %v", f, err)
	}
	// Valid JSON in another key order or spacing takes the slow path.
	f, err = wire.Decode([]byte(`{ "payload": "abc", "sent": 7, "seq": 3 }`))
	if err != nil || f.Seq != 3 || f.Sent != 7 || f.PayloadSize != 3 {
		t.Errorf("reordered: %+v %v", f, err)
	}
	for _, bad := range []string{``, `{`, `[]`, `{"sent":1}`, `{"seq":"x","payload":""}`} {
		if _, err := wire.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

func TestEachInArray(t *testing.T) {
	var got []string
	err := wire.EachInArray([]byte(` [ {"a":"}{"} , {"b":[1,{"c":2}]} ] `), func(o []byte) error {
		got = append(got, string(o))
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != `{"a":"}{"}` || got[1] != `{"b":[1,{"c":2}]}` {
		t.Errorf("got %q, %v", got, err)
	}
	if err := wire.EachInArray([]byte(`[]`), func([]byte) error { t.Error("called"); return nil }); err != nil {
		t.Errorf("empty array: %v", err)
	}
	for _, bad := range []string{`{}`, `[{}`, `[{} {}]`, `[1]`, `[{}] x`, `[{"a":"]`} {
		if err := wire.EachInArray([]byte(bad), func([]byte) error { return nil }); err == nil {
			t.Errorf("EachInArray(%q) accepted", bad)
		}
	}
}

func TestParseCursor(t *testing.T) {
	if n, err := wire.ParseCursor("since", "17"); n != 17 || err != nil {
		t.Errorf("17: %d %v", n, err)
	}
	for _, bad := range []string{"", "-1", "x", "1.5", "99999999999999999999"} {
		if _, err := wire.ParseCursor("since", bad); err == nil || !strings.Contains(err.Error(), "since must be a non-negative integer") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	msg := wire.AppendMessageJSON(nil, 123456, 1795306802537491092, strings.Repeat("a", 64))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBinaryFormsDecodeAndCheck: both binary forms decode to the payload's
// decoded length, the JSON one without allocating; corrupt base64, a wrong
// size or a short frame is an error naming the problem.
func TestBinaryFormsDecodeAndCheck(t *testing.T) {
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i*7 + i>>8)
	}
	js := wire.AppendBinaryJSON(nil, 9, 10, payload)
	f, err := wire.Decode(js)
	if err != nil || !f.Binary || f.Seq != 9 || f.Sent != 10 || f.PayloadSize != len(payload) {
		t.Fatalf("Decode(binary JSON) = %+v, %v", f, err)
	}
	if a := testing.AllocsPerRun(20, func() { _, _ = wire.Decode(js) }); a != 0 {
		t.Errorf("decoding the canonical binary JSON allocates %.0f times", a)
	}
	raw := wire.AppendBinaryMessage(nil, 9, 10, payload)
	if f, err := wire.DecodeBinary(raw); err != nil || !f.Binary || f.Seq != 9 || f.PayloadSize != len(payload) {
		t.Errorf("DecodeBinary = %+v, %v", f, err)
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte(`{"seq":1,"sent":2,"size":3,"base64":"QU*D"}`), "bad base64"},
		{[]byte(`{"seq":1,"sent":2,"size":4,"base64":"QUJD"}`), "decodes to 3 bytes but size says 4"},
		{[]byte(`{"seq":1,"sent":2,"base64":"QUJD"}`), "no size"},
	} {
		if _, err := wire.Decode(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{raw[:20], "short binary frame"},
		{raw[:len(raw)-1], "claims 5000 payload bytes but carries 4999"},
		{append([]byte{'{'}, raw[1:]...), "kind"},
	} {
		if _, err := wire.DecodeBinary(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeBinary(%d bytes) = %v, want an error saying %q", len(tc.in), err, tc.want)
		}
	}
}
