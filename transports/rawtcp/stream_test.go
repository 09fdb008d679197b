package rawtcp_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/internal/streamtest"
	"github.com/pushbench/pushbench/transports/wire"
)

// ack is the server's answer to a handshake: an empty frame.
var ack = streamtest.Fixed("\x00\x00\x00\x00")

func lpFrame(body []byte) []byte { return streamtest.LengthPrefixed(body) }

func TestStreamParserMatchesClient(t *testing.T) {
	msg := streamtest.MsgJSON
	var s []byte
	s = append(s, lpFrame(msg(1, "a"))...)
	s = append(s, lpFrame(nil)...)
	s = append(s, lpFrame(wire.AppendGapJSON(nil, 5, 9))...)
	s = append(s, lpFrame(msg(10, strings.Repeat("b", 300)))...)
	s = append(s, lpFrame(msg(11, ""))...)
	s = append(s, lpFrame(wire.AppendBinaryMessage(nil, 12, 1012, []byte{0xff, 0x00, 0x80}))...)
	streamtest.SameAsClient(t, "rawtcp", ack, s)
	streamtest.SameAsClient(t, "rawtcp", ack, append(bytes.Clone(s), lpFrame(wire.AppendBinaryMessage(nil, 13, 1013, []byte{1, 2})[:22])...))
	streamtest.SameAsClient(t, "rawtcp", ack, append(bytes.Clone(s), lpFrame([]byte(`{"type":"error","reason":"going away"}`))...))
	streamtest.SameAsClient(t, "rawtcp", ack, append(bytes.Clone(s), lpFrame([]byte(`{"seq":`))...))
	streamtest.SameAsClient(t, "rawtcp", ack, append(bytes.Clone(s), 0xff, 0xff, 0xff, 0xff, 1))
}

// FuzzStreamParser checks the parser against the client on arbitrary
// streams, each split at every byte boundary (`make fuzz` runs it).
func FuzzStreamParser(f *testing.F) {
	f.Add(lpFrame(streamtest.MsgJSON(1, "a")))
	f.Add(append(lpFrame(nil), lpFrame(wire.AppendGapJSON(nil, 1, 3))...))
	f.Add(lpFrame([]byte(`{"type":"error","reason":"x"}`)))
	f.Add([]byte{0, 0, 1})
	f.Fuzz(func(t *testing.T, stream []byte) { streamtest.SameAsClient(t, "rawtcp", ack, stream) })
}

// TestStreamParserAllocatesNothingPerMessage: a whole frame in one piece,
// text or binary, costs no allocation.
func TestStreamParserAllocatesNothingPerMessage(t *testing.T) {
	for name, body := range map[string][]byte{
		"text":   streamtest.MsgJSON(1, strings.Repeat("x", 100)),
		"binary": wire.AppendBinaryMessage(nil, 1, 1001, bytes.Repeat([]byte{0xfe}, 100)),
	} {
		allocs, n := streamtest.Allocs(t, "rawtcp", nil, lpFrame(body), 100)
		if allocs != 0 || n != 101 {
			t.Errorf("%s: %v allocations a message, %d messages decoded (want 0, 101)", name, allocs, n)
		}
	}
}

func BenchmarkStreamParser(b *testing.B) {
	streamtest.Bench(b, "rawtcp", nil, lpFrame(streamtest.MsgJSON(1, strings.Repeat("x", 100))))
}
