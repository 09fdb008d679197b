package rawtcp_test

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/rawtcp"
	"github.com/pushbench/pushbench/transports/wire"
)

// memConn is a net.Conn that plays an acknowledgement, then a fixed block
// of message frames over and over, until it is closed. Only what the client
// calls is implemented.
type memConn struct {
	net.Conn
	ack, block []byte
	pos        int
	closed     atomic.Bool
}

func (c *memConn) Read(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if len(c.ack) > 0 {
		n := copy(p, c.ack)
		c.ack = c.ack[n:]
		return n, nil
	}
	n := copy(p, c.block[c.pos:])
	c.pos = (c.pos + n) % len(c.block)
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { c.closed.Store(true); return nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// messageBlock returns 256 framed messages with 100-byte payloads.
func messageBlock() []byte {
	var block []byte
	payload := strings.Repeat("0123456789", 10)
	for i := range 256 {
		body := wire.AppendMessageJSON(nil, int64(i+1), 1_700_000_000_000_000_000, payload)
		block = binary.BigEndian.AppendUint32(block, uint32(len(body)))
		block = append(block, body...)
	}
	return block
}

// countingReceiver cancels its run and ends the stream after want
// messages, so no message is read beyond them.
type countingReceiver struct {
	want, got int
	cancel    context.CancelFunc
	conn      *memConn
}

func (r *countingReceiver) Connected() {}
func (r *countingReceiver) Message(seq, sent int64, size int) {
	if r.got++; r.got == r.want {
		r.cancel()
		r.conn.Close()
	}
}
func (r *countingReceiver) Gap(first, last int64) {}
func (r *countingReceiver) Empty()                {}

// receive runs c over an in-memory stream until n messages arrived.
func receive(tb testing.TB, c *rawtcp.Client, conn *memConn, n int) {
	conn.ack, conn.pos = make([]byte, 4), 0
	conn.closed.Store(false)
	ctx, cancel := context.WithCancel(context.Background())
	r := &countingReceiver{want: n, cancel: cancel, conn: conn}
	if err := c.Run(ctx, 0, r); err != nil {
		tb.Fatal(err)
	}
	if r.got != n {
		tb.Fatalf("received %d messages, want %d", r.got, n)
	}
}

func newMemClient(tb testing.TB, block []byte) (*rawtcp.Client, *memConn) {
	conn := &memConn{block: block}
	c, err := rawtcp.NewClient(transports.ClientOptions{
		RawAddr: "memory",
		Dial:    func(context.Context, string, string) (net.Conn, error) { return conn, nil },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c, conn
}

// BenchmarkClientReceive measures the client receive path (frame read,
// deadline renewal, wire.Decode, Receiver call) per message, over an
// in-memory stream. One Run receives all b.N messages, so its fixed setup
// is spread over them; allocs/op must be 0.
func BenchmarkClientReceive(b *testing.B) {
	block := messageBlock()
	c, conn := newMemClient(b, block)
	b.ReportAllocs()
	b.SetBytes(int64(len(block) / 256))
	b.ResetTimer()
	receive(b, c, conn, b.N)
}

// TestClientReceiveAllocs checks that the allocations of a run do not grow
// with the number of messages: the receive path allocates nothing per
// message.
func TestClientReceiveAllocs(t *testing.T) {
	c, conn := newMemClient(t, messageBlock())
	few := testing.AllocsPerRun(20, func() { receive(t, c, conn, 10) })
	many := testing.AllocsPerRun(20, func() { receive(t, c, conn, 10_000) })
	if many > few+1 {
		t.Errorf("a run of 10000 messages allocates %.1f times, a run of 10 %.1f: the receive path allocates per message", many, few)
	}
	t.Logf("allocations per run: %.1f for 10 messages, %.1f for 10000", few, many)
}

// loopbackRing is how many messages the loopback tests pre-publish; each
// run resumes from 0 and receives up to all of them from the ring, so no
// publishing happens while measuring.
const loopbackRing = 1 << 16

// newLoopbackClient starts a server over a full ring and returns a client
// whose runs count messages; run(n) receives the first n messages.
func newLoopbackClient(tb testing.TB) (run func(n int)) {
	log := msglog.New(loopbackRing)
	payload := strings.Repeat("0123456789", 10)
	for range loopbackRing {
		log.Append(1_700_000_000_000_000_000, payload)
	}
	srv, err := rawtcp.NewServer(log, transports.ServerOptions{QueueLen: 2 * loopbackRing})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	tb.Cleanup(func() {
		srv.Close()
		if err := <-served; err != nil {
			tb.Error(err)
		}
	})
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: ln.Addr().String()})
	if err != nil {
		tb.Fatal(err)
	}
	return func(n int) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := &stopReceiver{want: n, cancel: cancel}
		if err := c.Run(ctx, 0, r); err != nil {
			tb.Fatal(err)
		}
		if r.got != n {
			tb.Fatalf("received %d messages, want %d", r.got, n)
		}
	}
}

// stopReceiver cancels its run after want messages.
type stopReceiver struct {
	want, got int
	cancel    context.CancelFunc
}

func (r *stopReceiver) Connected() {}
func (r *stopReceiver) Message(seq, sent int64, size int) {
	if r.got++; r.got == r.want {
		r.cancel()
	}
}
func (r *stopReceiver) Gap(first, last int64) {}
func (r *stopReceiver) Empty()                {}

// BenchmarkLoopbackReceive measures the whole push path per message over
// 127.0.0.1: server Follow loop, framing, TCP, client receive. Messages are
// published before the timer starts; a reconnect every 65536 messages is
// part of the cost.
func BenchmarkLoopbackReceive(b *testing.B) {
	run := newLoopbackClient(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire.AppendMessageJSON(nil, 1, 1_700_000_000_000_000_000, strings.Repeat("0123456789", 10))) + 4))
	b.ResetTimer()
	for left := b.N; left > 0; left -= loopbackRing {
		run(min(left, loopbackRing))
	}
}

// TestLoopbackAllocs checks that neither the server's push loop nor the
// client allocates per message over a real TCP connection.
func TestLoopbackAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 60000 messages per run")
	}
	run := newLoopbackClient(t)
	few := testing.AllocsPerRun(5, func() { run(10) })
	many := testing.AllocsPerRun(5, func() { run(60_000) })
	if many > few+10 {
		t.Errorf("a run of 60000 messages allocates %.1f times, a run of 10 %.1f: the push path allocates per message", many, few)
	}
	t.Logf("allocations per run (server and client): %.1f for 10 messages, %.1f for 60000", few, many)
}
