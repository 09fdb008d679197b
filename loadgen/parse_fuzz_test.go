package loadgen

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/wire"
)

// The reactor's parsers against the transports' own clients on arbitrary
// streams (each split at every byte boundary): `make fuzz` runs these.

func FuzzRawParser(f *testing.F) {
	f.Add(rawFrameBytes(msgJSON(1, "a")))
	f.Add(append(rawFrameBytes(nil), rawFrameBytes(wire.AppendGapJSON(nil, 1, 3))...))
	f.Add(rawFrameBytes([]byte(`{"type":"error","reason":"x"}`)))
	f.Add([]byte{0, 0, 1})
	f.Fuzz(func(t *testing.T, stream []byte) { sameAsClient(t, "rawtcp", "", stream) })
}

func FuzzSSEParser(f *testing.F) {
	ev := "retry: 10\n\nid: 1\ndata: " + string(msgJSON(1, "a")) + "\n\nevent: gap\ndata: " + string(wire.AppendGapJSON(nil, 2, 3)) + "\r\n\r\n"
	f.Add(uint8(0), chunked(ev, 5, 9))
	f.Add(uint8(1), []byte(ev+"data: "+string(msgJSON(4, "b"))+"\r\r"))
	f.Add(uint8(2), []byte("\xef\xbb\xbf"+ev))
	f.Add(uint8(0), []byte("3;x\r\nabc\r\n0\r\nA: b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, framing uint8, stream []byte) {
		key := []string{"sse-lean", "sse-lean/eof", "sse-lean/size"}[framing%3]
		sameAsClient(t, "sse-lean", key, stream)
	})
}

func FuzzWSParser(f *testing.F) {
	f.Add(wsFrame(0x81, msgJSON(1, "a")))
	f.Add(append(wsFrame(0x01, []byte(`{"seq":2,`)), append(wsFrame(0x89, []byte("p")), wsFrame(0x80, []byte(`"sent":1,"payload":""}`))...)...))
	f.Add(wsFrame(0x88, []byte("\x03\xe8bye")))
	f.Add(wsFrame(0x81, []byte(strings.Repeat("x", 130))))
	f.Fuzz(func(t *testing.T, stream []byte) { sameAsClient(t, "websocket", "", stream) })
}
