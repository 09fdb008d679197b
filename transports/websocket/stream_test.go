package websocket_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/internal/streamtest"
	"github.com/pushbench/pushbench/transports/wire"
)

// upgrade answers the client's upgrade request as a server would.
func upgrade(request []byte) ([]byte, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(request)))
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"), nil
}

// serverFrame is one unmasked frame: first byte b0 (FIN, RSV, opcode),
// then the length and the payload.
func serverFrame(b0 byte, payload []byte) []byte {
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, byte(n))
	case n < 1<<16:
		out = binary.BigEndian.AppendUint16(append(out, 126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, 127), uint64(n))
	}
	return append(out, payload...)
}

func TestStreamParserMatchesClient(t *testing.T) {
	msg := streamtest.MsgJSON
	var s []byte
	s = append(s, serverFrame(0x81, msg(1, "a"))...)
	s = append(s, serverFrame(0x89, []byte("ping!"))...)
	s = append(s, serverFrame(0x81, wire.AppendGapJSON(nil, 2, 4))...)
	bin := wire.AppendBinaryMessage(nil, 5, 1005, []byte{0xff, 0, 1, 2})
	s = append(s, serverFrame(0x02, bin[:7])...) // a binary message in two fragments
	s = append(s, serverFrame(0x80, bin[7:])...)
	m := msg(6, strings.Repeat("p", 200))
	s = append(s, serverFrame(0x01, m[:10])...)
	s = append(s, serverFrame(0x89, nil)...)
	s = append(s, serverFrame(0x8a, []byte("pong"))...)
	s = append(s, serverFrame(0x00, m[10:150])...)
	s = append(s, serverFrame(0x80, m[150:])...)
	s = append(s, serverFrame(0x81, msg(7, strings.Repeat("q", 70000)))...)
	s = append(s, serverFrame(0x82, wire.AppendBinaryMessage(nil, 8, 1008, bytes.Repeat([]byte{0xfe}, 300)))...)
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), serverFrame(0x88, []byte("\x03\xf0slow consumer"))...))
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), serverFrame(0x88, []byte("\x03\xedbad"))...))
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), serverFrame(0xc1, []byte("x"))...))
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), serverFrame(0x81, nil)...))
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), 0x01, 0x01, 'x', 0x81, 0x00))
	streamtest.SameAsClient(t, "websocket", upgrade, append(bytes.Clone(s), serverFrame(0x82, bin[:len(bin)-1])...)) // a short binary message
}

// FuzzStreamParser checks the parser against the client on arbitrary
// streams, each split at every byte boundary (`make fuzz` runs it).
func FuzzStreamParser(f *testing.F) {
	f.Add(serverFrame(0x81, streamtest.MsgJSON(1, "a")))
	f.Add(append(serverFrame(0x01, []byte(`{"seq":2,`)), append(serverFrame(0x89, []byte("p")), serverFrame(0x80, []byte(`"sent":1,"payload":""}`))...)...))
	f.Add(serverFrame(0x88, []byte("\x03\xe8bye")))
	f.Add(serverFrame(0x81, []byte(strings.Repeat("x", 130))))
	f.Fuzz(func(t *testing.T, stream []byte) { streamtest.SameAsClient(t, "websocket", upgrade, stream) })
}

// TestStreamParserAllocatesNothingPerMessage: a whole single-frame message
// in one piece, text or binary, costs no allocation.
func TestStreamParserAllocatesNothingPerMessage(t *testing.T) {
	for name, f := range map[string][]byte{
		"text":   serverFrame(0x81, streamtest.MsgJSON(1, strings.Repeat("x", 100))),
		"binary": serverFrame(0x82, wire.AppendBinaryMessage(nil, 1, 1001, bytes.Repeat([]byte{0xfe}, 100))),
	} {
		allocs, n := streamtest.Allocs(t, "websocket", nil, f, 100)
		if allocs != 0 || n != 101 {
			t.Errorf("%s: %v allocations a message, %d messages decoded (want 0, 101)", name, allocs, n)
		}
	}
}

func BenchmarkStreamParser(b *testing.B) {
	streamtest.Bench(b, "websocket", nil, serverFrame(0x81, streamtest.MsgJSON(1, strings.Repeat("x", 100))))
}
