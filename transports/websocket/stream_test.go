package websocket_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/internal/streamtest"
	"github.com/pushbench/pushbench/transports/wire"
)

func TestStreamParserMatchesClient(t *testing.T) {
	msg := streamtest.MsgJSON
	var s []byte
	s = append(s, streamtest.ServerFrame(0x81, msg(1, "a"))...)
	s = append(s, streamtest.ServerFrame(0x89, []byte("ping!"))...)
	s = append(s, streamtest.ServerFrame(0x81, wire.AppendGapJSON(nil, 2, 4))...)
	bin := wire.AppendBinaryMessage(nil, 5, 1005, []byte{0xff, 0, 1, 2})
	s = append(s, streamtest.ServerFrame(0x02, bin[:7])...) // a binary message in two fragments
	s = append(s, streamtest.ServerFrame(0x80, bin[7:])...)
	m := msg(6, strings.Repeat("p", 200))
	s = append(s, streamtest.ServerFrame(0x01, m[:10])...)
	s = append(s, streamtest.ServerFrame(0x89, nil)...)
	s = append(s, streamtest.ServerFrame(0x8a, []byte("pong"))...)
	s = append(s, streamtest.ServerFrame(0x00, m[10:150])...)
	s = append(s, streamtest.ServerFrame(0x80, m[150:])...)
	s = append(s, streamtest.ServerFrame(0x81, msg(7, strings.Repeat("q", 70000)))...)
	s = append(s, streamtest.ServerFrame(0x82, wire.AppendBinaryMessage(nil, 8, 1008, bytes.Repeat([]byte{0xfe}, 300)))...)
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), streamtest.ServerFrame(0x88, []byte("\x03\xf0slow consumer"))...))
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), streamtest.ServerFrame(0x88, []byte("\x03\xedbad"))...))
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), streamtest.ServerFrame(0xc1, []byte("x"))...))
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), streamtest.ServerFrame(0x81, nil)...))
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), 0x01, 0x01, 'x', 0x81, 0x00))
	streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, append(bytes.Clone(s), streamtest.ServerFrame(0x82, bin[:len(bin)-1])...)) // a short binary message
}

// FuzzStreamParser checks the parser against the client on arbitrary
// streams, each split at every byte boundary (`make fuzz` runs it).
func FuzzStreamParser(f *testing.F) {
	f.Add(streamtest.ServerFrame(0x81, streamtest.MsgJSON(1, "a")))
	f.Add(append(streamtest.ServerFrame(0x01, []byte(`{"seq":2,`)), append(streamtest.ServerFrame(0x89, []byte("p")), streamtest.ServerFrame(0x80, []byte(`"sent":1,"payload":""}`))...)...))
	f.Add(streamtest.ServerFrame(0x88, []byte("\x03\xe8bye")))
	f.Add(streamtest.ServerFrame(0x81, []byte(strings.Repeat("x", 130))))
	f.Fuzz(func(t *testing.T, stream []byte) {
		streamtest.SameAsClient(t, "websocket", streamtest.WebSocketUpgrade, stream)
	})
}

// TestStreamParserAllocatesNothingPerMessage: a whole single-frame message
// in one piece, text or binary, costs no allocation.
func TestStreamParserAllocatesNothingPerMessage(t *testing.T) {
	for name, f := range map[string][]byte{
		"text":   streamtest.ServerFrame(0x81, streamtest.MsgJSON(1, strings.Repeat("x", 100))),
		"binary": streamtest.ServerFrame(0x82, wire.AppendBinaryMessage(nil, 1, 1001, bytes.Repeat([]byte{0xfe}, 100))),
	} {
		allocs, n := streamtest.Allocs(t, "websocket", nil, f, 100)
		if allocs != 0 || n != 101 {
			t.Errorf("%s: %v allocations a message, %d messages decoded (want 0, 101)", name, allocs, n)
		}
	}
}

func BenchmarkStreamParser(b *testing.B) {
	streamtest.Bench(b, "websocket", nil, streamtest.ServerFrame(0x81, streamtest.MsgJSON(1, strings.Repeat("x", 100))))
}
