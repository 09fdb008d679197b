package wire_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/wire"
)

// FuzzDecode cross-checks Decode against encoding/json (and
// encoding/base64 for binary messages): whatever Decode accepts,
// encoding/json must read the same seq, sent, gap bounds and payload
// length from; what encoding/json rejects, Decode must reject. A binary
// message is accepted exactly when its base64 decodes to size bytes.
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
	f.Add(wire.AppendBinaryJSON(nil, 5, 6, []byte{0xff, 0, 1, 2, 3}))
	f.Add(wire.AppendBinaryJSON(nil, 5, 6, make([]byte, 2000)))
	f.Add([]byte(`{"seq":1,"sent":2,"size":4,"base64":"QUJD"}`))     // decodes to 3, claims 4
	f.Add([]byte(`{"seq":1,"sent":2,"size":1,"base64":"QQ"}`))       // unpadded
	f.Add([]byte(`{"seq":1,"sent":2,"size":4,"base64":"QQ==QUJD"}`)) // padding inside
	f.Add([]byte(`{"seq":1,"sent":2,"size":3,"base64":"QU*D"}`))     // outside the alphabet
	f.Add([]byte(`{"seq":1,"sent":2,"size":3,"base64":"QUJD\n"}`))   // an escape: slow path
	f.Add([]byte(`{"seq":1,"sent":2,"base64":"QUJD"}`))              // no size
	f.Add([]byte(`{"seq":1,"sent":2,"size":3,"base64":"QUJD","payload":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := wire.Decode(b)
		var std struct {
			Type    string  `json:"type"`
			Seq     *int64  `json:"seq"`
			Sent    int64   `json:"sent"`
			Payload *string `json:"payload"`
			Size    *int64  `json:"size"`
			Base64  *string `json:"base64"`
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
		if std.Type != "gap" && std.Seq != nil && std.Base64 != nil {
			checkBinary(t, b, got, err, *std.Seq, std.Sent, std.Size, *std.Base64, std.Payload != nil)
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
		if got.Gap || got.Binary || std.Seq == nil || got.Seq != *std.Seq || got.Sent != std.Sent {
			t.Fatalf("Decode(%q) = %+v, encoding/json reads %+v", b, got, std)
		}
		if !strings.Contains(string(b), `\`) && got.PayloadSize != len(*std.Payload) {
			t.Fatalf("Decode(%q) payload size %d, encoding/json reads %d", b, got.PayloadSize, len(*std.Payload))
		}
	})
}

// checkBinary: a binary JSON message is accepted exactly when it has a
// size, no text payload beside, and base64 that decodes to size bytes.
func checkBinary(t *testing.T, b []byte, got wire.Frame, err error, seq, sent int64, size *int64, b64 string, hasPayload bool) {
	t.Helper()
	raw, b64Err := base64.StdEncoding.DecodeString(b64)
	valid := !hasPayload && size != nil && b64Err == nil && int64(len(raw)) == *size
	if valid != (err == nil) {
		t.Fatalf("Decode(%q) = %+v, %v; the plain reading says valid=%v (base64: %v)", b, got, err, valid, b64Err)
	}
	if valid && (!got.Binary || got.Gap || got.Seq != seq || got.Sent != sent || got.PayloadSize != len(raw)) {
		t.Fatalf("Decode(%q) = %+v, want binary seq %d sent %d size %d", b, got, seq, sent, len(raw))
	}
}

// FuzzDecodeBinary cross-checks DecodeBinary against a plain reading of
// the raw binary form: accepted exactly when the header is whole, of the
// binary kind, the seq non-negative and the payload as long as claimed.
func FuzzDecodeBinary(f *testing.F) {
	f.Add(wire.AppendBinaryMessage(nil, 1, 2, []byte("abc")))
	f.Add(wire.AppendBinaryMessage(nil, 1, 2, nil))
	f.Add(wire.AppendBinaryMessage(nil, 1, 2, []byte("abc"))[:22]) // short
	f.Add(append(wire.AppendBinaryMessage(nil, 1, 2, []byte("abc")), 0))
	f.Add([]byte(`{"seq":1,"sent":2,"payload":"abc"}`))
	f.Add(make([]byte, 21))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := wire.DecodeBinary(b)
		valid := len(b) >= 21 && b[0] == 0x01 && b[1]&0x80 == 0 && int(binary.BigEndian.Uint32(b[17:21])) == len(b)-21
		if valid != (err == nil) {
			t.Fatalf("DecodeBinary(%x) = %+v, %v; want valid=%v", b, got, err, valid)
		}
		if valid && (!got.Binary || got.Seq != int64(binary.BigEndian.Uint64(b[1:9])) || got.Sent != int64(binary.BigEndian.Uint64(b[9:17])) || got.PayloadSize != len(b)-21) {
			t.Fatalf("DecodeBinary(%x) = %+v", b, got)
		}
	})
}

// FuzzBinaryRoundTrip: both binary forms read back exactly what was
// written, and BinaryJSONLen and BinaryJSONTailMax predict the JSON's size.
func FuzzBinaryRoundTrip(f *testing.F) {
	f.Add(int64(1), int64(2), []byte{0xff, 0xfe, 0})
	f.Add(int64(9223372036854775807), int64(-9223372036854775808), make([]byte, 3000))
	f.Fuzz(func(t *testing.T, seq, sent int64, payload []byte) {
		if seq < 0 {
			seq = -(seq + 1)
		}
		js := wire.AppendBinaryJSON(nil, seq, sent, payload)
		got, err := wire.Decode(js)
		if err != nil || !got.Binary || got.Seq != seq || got.Sent != sent || got.PayloadSize != len(payload) {
			t.Fatalf("Decode(%q) = %+v, %v; want seq %d sent %d size %d", js, got, err, seq, sent, len(payload))
		}
		if n := wire.BinaryJSONLen(seq, sent, len(payload)); n != len(js) {
			t.Fatalf("BinaryJSONLen = %d, the JSON is %d bytes", n, len(js))
		}
		if tail := len(wire.AppendBinaryJSONTail(nil, sent, payload)); tail > wire.BinaryJSONTailMax(len(payload)) {
			t.Fatalf("tail of %d bytes over BinaryJSONTailMax %d", tail, wire.BinaryJSONTailMax(len(payload)))
		}
		raw := wire.AppendBinaryMessage(nil, seq, sent, payload)
		got, err = wire.DecodeBinary(raw)
		if err != nil || !got.Binary || got.Seq != seq || got.Sent != sent || got.PayloadSize != len(payload) || !bytes.Equal(raw[wire.BinaryHeaderSize:], payload) {
			t.Fatalf("DecodeBinary = %+v, %v", got, err)
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
