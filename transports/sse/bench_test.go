package sse_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sse"
	"github.com/pushbench/pushbench/transports/wire"
)

// BenchmarkClientReceive measures the client's receive path per event: the
// library's scanner and event parser plus wire.Decode and the Receiver
// call, fed from memory (no network, no server). The library allocates on
// every event; this reports how much.
func BenchmarkClientReceive(b *testing.B) {
	for _, size := range []int{100, 4 << 10} {
		b.Run("payload="+strconv.Itoa(size), func(b *testing.B) {
			event := []byte("id: 123456\ndata: " +
				string(wire.AppendMessageJSON(nil, 123456, time.Now().UnixNano(), strings.Repeat("x", size))) + "\n\n")
			c, err := sse.NewClient(transports.ClientOptions{
				BaseURL: "http://bench.invalid",
				Dial: func(context.Context, string, string) (net.Conn, error) {
					return newCannedConn(event, b.N), nil
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			var r countReceiver
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			b.ResetTimer()
			err = c.Run(context.Background(), -1, &r)
			b.StopTimer()
			if err == nil || !strings.Contains(err.Error(), "server closed the stream") {
				b.Fatalf("Run = %v, want the stream's end", err)
			}
			if r.n != b.N {
				b.Fatalf("received %d events, want %d", r.n, b.N)
			}
		})
	}
}

type countReceiver struct{ n int }

func (r *countReceiver) Connected()                     {}
func (r *countReceiver) Message(seq, sent int64, _ int) { r.n++ }
func (r *countReceiver) Gap(first, last int64)          {}
func (r *countReceiver) Empty()                         {}

// cannedConn is a net.Conn that answers the request with an SSE response
// of n copies of event, then EOF. Reads wait for the request to be written
// (http.Transport drops a response that comes before its request).
type cannedConn struct {
	mu      sync.Mutex
	asked   chan struct{}
	once    sync.Once
	pending []byte // the rest of the current chunk of output
	event   []byte
	left    int
}

func newCannedConn(event []byte, n int) *cannedConn {
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nretry: 1000\n\n"
	return &cannedConn{asked: make(chan struct{}), pending: []byte(head), event: event, left: n}
}

func (c *cannedConn) Read(p []byte) (int, error) {
	<-c.asked
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for n < len(p) {
		if len(c.pending) == 0 {
			if c.left == 0 {
				break
			}
			c.pending, c.left = c.event, c.left-1
		}
		k := copy(p[n:], c.pending)
		c.pending, n = c.pending[k:], n+k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *cannedConn) Write(p []byte) (int, error) {
	c.once.Do(func() { close(c.asked) })
	return len(p), nil
}

func (c *cannedConn) Close() error {
	c.once.Do(func() { close(c.asked) })
	return nil
}

func (c *cannedConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *cannedConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *cannedConn) SetDeadline(time.Time) error      { return nil }
func (c *cannedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cannedConn) SetWriteDeadline(time.Time) error { return nil }
