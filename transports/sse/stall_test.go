package sse_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// smallBuffers fixes the socket buffers at a few hundred KiB (loopback
// autotuning grows them to megabytes), so a stalled reader backs up into
// the server after a few hundred events. Much smaller buffers make TCP
// itself crawl (windows below the loopback MSS).
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(256 << 10)
	}
	return c, err
}

func smallReadDial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(256 << 10)
	}
	return c, err
}

// TestStalledSubscriberDelaysOthers is evidence for IsolatesSlowConsumers
// false: while one client's Receiver blocks, the library's stream loop
// blocks on that subscriber's full channel (stream.go:77-79) and another,
// healthy subscriber stops receiving. With a write timeout far longer than
// the test, nothing is cut: once the stalled client reads again, both
// receive everything.
func TestStalledSubscriberDelaysOthers(t *testing.T) {
	const n, size = 2000, 4 << 10
	e := newEnv(t, 4*n, transports.ServerOptions{QueueLen: 4 * n, WriteTimeout: 5 * time.Minute})
	e.hs.Listener = smallBuffers{e.hs.Listener}
	e.start()
	e.copts.Dial = smallReadDial
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stalled, healthy := newRecorder(), newRecorder()
	stalled.Block, stalled.Blocked = make(chan struct{}), make(chan struct{})
	stalledDone := run(ctx, e.client(t), -1, stalled)
	healthyDone := run(ctx, e.client(t), -1, healthy)
	stalled.WaitFor(ctx, t, "stalled connected", func(r *recorder) bool { return r.Connects == 1 })
	healthy.WaitFor(ctx, t, "healthy connected", func(r *recorder) bool { return r.Connects == 1 })

	e.publish(1, size)
	<-stalled.Blocked // its Receiver now blocks inside Message(1)
	e.publish(n-1, size)

	// Wait until the healthy client makes no progress for a while: the
	// library is stuck on the stalled subscriber.
	last := -1
	for got := healthy.Count(); got != last; got = healthy.Count() {
		last = got
		select {
		case <-time.After(300 * time.Millisecond): // observing a standstill, not synchronising
		case <-ctx.Done():
			t.Fatal("timed out waiting for the healthy client to stop")
		}
	}
	if last >= n {
		t.Fatalf("healthy client received all %d messages while the other was stalled: the library isolated it", n)
	}
	t.Logf("healthy client stuck at %d of %d messages while one subscriber stalls", last, n)

	close(stalled.Block)
	for _, r := range []*recorder{stalled, healthy} {
		r.WaitFor(ctx, t, "every message after the stall", func(r *recorder) bool { return len(r.Seqs) >= n })
	}
	cancel()
	for _, d := range []<-chan error{stalledDone, healthyDone} {
		if err := <-d; err != nil {
			t.Errorf("Run = %v, want nil at ctx end", err)
		}
	}
	checkRun(t, "healthy", healthy.Seqs, 1, n)
	checkRun(t, "stalled", stalled.Seqs, 1, n)
	if s := e.srv.Stats(); s.SlowDisconnects != 0 {
		t.Errorf("stats = %+v, want no disconnect", s)
	}
}

// TestStalledSubscriberIsCutByWriteDeadline: with a short write timeout the
// stalled subscriber's write fails, the conn cancels the library's request
// context, and the others receive everything, late.
func TestStalledSubscriberIsCutByWriteDeadline(t *testing.T) {
	const n, size = 2000, 4 << 10
	e := newEnv(t, 4*n, transports.ServerOptions{QueueLen: 4 * n, WriteTimeout: 300 * time.Millisecond})
	e.hs.Listener = smallBuffers{e.hs.Listener}
	e.start()
	e.copts.Dial = smallReadDial
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stalled, healthy := newRecorder(), newRecorder()
	stalled.Block, stalled.Blocked = make(chan struct{}), make(chan struct{})
	stalledDone := run(ctx, e.client(t), -1, stalled)
	healthyDone := run(ctx, e.client(t), -1, healthy)
	stalled.WaitFor(ctx, t, "stalled connected", func(r *recorder) bool { return r.Connects == 1 })
	healthy.WaitFor(ctx, t, "healthy connected", func(r *recorder) bool { return r.Connects == 1 })
	e.publish(n, size)
	<-stalled.Blocked
	healthy.WaitFor(ctx, t, "every message despite the stall", func(r *recorder) bool { return len(r.Seqs) >= n })
	if s := e.srv.Stats(); s.SlowDisconnects != 1 {
		t.Errorf("stats = %+v, want 1 slow disconnect", s)
	}
	close(stalled.Block)
	if err := <-stalledDone; err == nil {
		t.Error("stalled client's Run = nil, want the cut")
	}
	cancel()
	if err := <-healthyDone; err != nil {
		t.Errorf("healthy Run = %v", err)
	}
	checkRun(t, "healthy", healthy.Seqs, 1, n)
}
