package websocket_test

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

// rawFrame is one WebSocket frame as it crossed the wire.
type rawFrame struct {
	fin, masked bool
	opcode      byte
	payload     []byte
}

// dialFrames upgrades by hand over TCP so the test sees the server's frames
// exactly as sent, not reassembled into messages.
func dialFrames(t *testing.T, addr, query string) *bufio.Reader {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(nc, "GET /ws?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", query, addr, key)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return br
}

func readFrame(br *bufio.Reader) (rawFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return rawFrame{}, err
	}
	f := rawFrame{fin: h[0]&0x80 != 0, opcode: h[0] & 0x0f, masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	f.payload = make([]byte, n)
	_, err := io.ReadFull(br, f.payload)
	return f, err
}

// expectTextFrame reads one frame and checks it is a single, final,
// unmasked text frame holding exactly want.
func expectTextFrame(t *testing.T, br *bufio.Reader, want []byte) {
	t.Helper()
	f, err := readFrame(br)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if !f.fin || f.opcode != 1 || f.masked || string(f.payload) != string(want) {
		t.Fatalf("got frame fin=%v opcode=%d masked=%v %q; want one final text frame %q",
			f.fin, f.opcode, f.masked, f.payload, want)
	}
}

func TestOneMessagePerFrame(t *testing.T) {
	payload := strings.Repeat("p", 200) // frames over 125 bytes use the 16-bit length
	tests := []struct {
		name         string
		appendBefore bool // entries appended before NewServer have no prepared frame
	}{
		{name: "prepared frames"},
		{name: "entries older than the server", appendBefore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := msglog.New(100)
			var old []*msglog.Entry
			if tt.appendBefore {
				old = appendN(log, 300, payload)
			}
			_, ts := startServer(t, log, transports.ServerOptions{})
			if !tt.appendBefore {
				old = appendN(log, 300, payload)
			}
			br := dialFrames(t, ts.Listener.Addr().String(), "since=0")
			// The ring holds 201..300: first one gap frame, then one frame
			// per message, though they are written as one batch.
			expectTextFrame(t, br, wire.AppendGapJSON(nil, 1, 200))
			for _, e := range old[200:] {
				expectTextFrame(t, br, e.JSON)
			}
			for _, e := range appendN(log, 5, "live") {
				expectTextFrame(t, br, e.JSON)
			}
		})
	}
}
