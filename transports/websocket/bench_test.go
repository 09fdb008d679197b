package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/websocket"
	"github.com/pushbench/pushbench/transports/wire"
)

// appendServerFrame appends msg as one unmasked, final text frame.
func appendServerFrame(dst, msg []byte) []byte {
	switch n := len(msg); {
	case n < 126:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x81, 126, byte(n>>8), byte(n))
	default:
		panic("message too large for this benchmark")
	}
	return append(dst, msg...)
}

// blastServer upgrades one connection and writes n messages as
// pre-encoded frames, many per socket write, so the server costs almost
// nothing and the benchmark measures the client's receive path.
func blastServer(b *testing.B, payload string, n int) *httptest.Server {
	const perChunk = 1024
	var chunk []byte
	ends := make([]int, perChunk+1) // ends[i]: bytes of the first i frames
	for i := 1; i <= perChunk; i++ {
		chunk = appendServerFrame(chunk, wire.AppendMessageJSON(nil, int64(i), 1, payload))
		ends[i] = len(chunk)
	}
	up := gws.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for left := n; left > 0; left -= perChunk {
			if _, err := conn.NetConn().Write(chunk[:ends[min(left, perChunk)]]); err != nil {
				return
			}
		}
		for { // until the client hangs up
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}))
}

// countReceiver counts messages and cancels when it has want of them.
type countReceiver struct {
	b            *testing.B
	n, want      int
	cancel       context.CancelFunc
	payloadBytes int
}

func (r *countReceiver) Connected() { r.b.ResetTimer() } // leave the handshake out
func (r *countReceiver) Message(seq, sent int64, size int) {
	r.n++
	r.payloadBytes += size
	if r.n == r.want {
		r.cancel()
	}
}
func (r *countReceiver) Gap(first, last int64) {}
func (r *countReceiver) Empty()                {}

// BenchmarkClientReceive measures the client's receive path per message:
// frame read, copy into the reused buffer, wire.Decode, Receiver call.
// gorilla's NextReader allocates one 8-byte reader per message; the client
// itself adds nothing.
func BenchmarkClientReceive(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			ts := blastServer(b, strings.Repeat("x", size), b.N)
			defer ts.Close()
			c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &countReceiver{b: b, want: b.N, cancel: cancel}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			if err := c.Run(ctx, -1, r); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if r.n != b.N || r.payloadBytes != b.N*size {
				b.Fatalf("received %d messages (%d payload bytes), want %d", r.n, r.payloadBytes, b.N)
			}
		})
	}
}
