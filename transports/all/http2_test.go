package all_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// TestVariantsSpeakTheirProtocol: the server sees HTTP/2 requests from
// the h2 and h2c variants and HTTP/1.1 from every other HTTP transport, so
// a variant's figures are of the protocol it names.
func TestVariantsSpeakTheirProtocol(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		if tr.Path == "" {
			return
		}
		e := newEnv(t, tr, 100, transports.ServerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		rec := newRecorder()
		done := make(chan error, 1)
		go func() { done <- e.clientWith(t, e.dopts).Run(runCtx, 0, rec) }()
		e.publish(1, 8)
		rec.WaitFor(ctx, t, "a message", func(r *recorder) bool { return len(r.Seqs) > 0 })
		stop()
		<-done
		want := "HTTP/1.1"
		if tr.HTTP2() {
			want = "HTTP/2.0"
		}
		var got []string
		e.protos.Range(func(k, _ any) bool { got = append(got, k.(string)); return true })
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint([]string{want}) {
			t.Errorf("server saw %v, want only %s", got, want)
		}
	})
}

// forEachHTTP2Push runs fn for the HTTP/2 variants of push transports that
// isolate slow consumers.
func forEachHTTP2Push(t *testing.T, fn func(t *testing.T, tr transports.Transport)) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		if tr.HTTP2() && tr.Push && tr.IsolatesSlowConsumers {
			fn(t, tr)
		}
	})
}

// TestSharedConnectionWaitsAtTheServerStreamLimit: clients sharing one
// HTTP/2 connection, as a browser's tabs do, never open a second one past
// the server's stream limit: with a limit of 10, the 11th stream waits
// until one of the 10 ends, then opens on the same connection.
func TestSharedConnectionWaitsAtTheServerStreamLimit(t *testing.T) {
	forEachHTTP2Push(t, func(t *testing.T, tr transports.Transport) {
		const limit = 10
		e := newEnvStreams(t, tr, 1000, transports.ServerOptions{}, limit)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		opts := e.dopts
		opts.Shared = transports.SharedHTTP2(opts)
		defer opts.Shared.CloseIdleConnections()
		var wg sync.WaitGroup
		defer wg.Wait()
		var stops []context.CancelFunc
		var recs []*recorder
		for i := 0; i <= limit; i++ {
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			rec := newRecorder()
			stops, recs = append(stops, stop), append(recs, rec)
			c := e.clientWith(t, opts)
			wg.Go(func() { _ = c.Run(runCtx, 0, rec) })
			if i < limit {
				rec.WaitFor(ctx, t, fmt.Sprintf("stream %d open", i+1), func(r *recorder) bool { return r.Connects > 0 })
			}
		}
		waitStats(ctx, t, e.srv, func(s transports.Stats) bool { return s.Open == limit })
		// The assertion is that nothing happens: give the 11th stream a
		// bounded chance to open (a new connection would take a fraction
		// of this on loopback) and check that it has not.
		last := recs[limit]
		notYet, stopWaiting := context.WithTimeout(ctx, 300*time.Millisecond)
		defer stopWaiting()
		if waitUntil(notYet, func() bool { return connects(last) > 0 }) {
			t.Fatalf("stream %d opened past the server's limit of %d (%d connections)", limit+1, limit, e.conns.Load())
		}
		stops[0]()
		last.WaitFor(ctx, t, "the waiting stream open once another ended", func(r *recorder) bool { return r.Connects > 0 })
		if n := e.conns.Load(); n != 1 {
			t.Errorf("%d connections for %d streams with a limit of %d: want 1, the 11th waiting", n, limit+1, limit)
		}
		for _, stop := range stops {
			stop()
		}
	})
}

// waitUntil polls cond until it holds (true) or ctx ends (false).
func waitUntil(ctx context.Context, cond func() bool) bool {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

func connects(r *recorder) int {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	return r.Connects
}

// TestStalledStreamDoesNotStallTheOthers (head-of-line blocking): one
// stream on a shared HTTP/2 connection stops reading; the others on the
// same connection still receive every message in order, and the server
// cuts the stalled one as a slow consumer. 6 MiB is more than the stalled
// stream's flow-control window (4 MiB in Go's client) holds, so its
// writes block; the publisher is paced (4 MB/s a stream) so that the one
// connection carries the healthy streams even under the race detector.
func TestStalledStreamDoesNotStallTheOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: pushes 6 MiB per transport over one HTTP/2 connection until a stalled stream is cut (seconds)")
	}
	forEachHTTP2Push(t, func(t *testing.T, tr transports.Transport) {
		// A backlog of 1024 (4 MiB) and 2 s a write: the healthy streams,
		// which share one connection and its one writer, are not cut for
		// being slow under the race detector; the stalled one is cut when
		// its writes block on its exhausted window past WriteTimeout.
		e := newEnv(t, tr, 100000, transports.ServerOptions{QueueLen: 1024, WriteTimeout: 2 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		opts := e.dopts
		opts.Shared = transports.SharedHTTP2(opts)
		defer opts.Shared.CloseIdleConnections()

		stalled := newRecorder()
		stalled.Block, stalled.Blocked = make(chan struct{}), make(chan struct{})
		stalledDone := make(chan error, 1)
		go func() { stalledDone <- e.clientWith(t, opts).Run(runCtx, 0, stalled) }()
		stalled.WaitFor(ctx, t, "stalled stream open", func(r *recorder) bool { return r.Connects > 0 })
		var recs []*recorder
		var sessions []*session
		for i := 0; i < 4; i++ {
			rec := newRecorder()
			recs = append(recs, rec)
			sessions = append(sessions, startSession(runCtx, e.clientWith(t, opts), 0, rec))
			rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects > 0 })
		}
		const n = 1500 // 6 MiB
		for i := 0; i < n/20; i++ {
			e.publish(20, 4096)
			select { // pace the publisher so healthy streams keep up within QueueLen
			case <-ctx.Done():
				t.Fatal("timed out publishing")
			case <-time.After(20 * time.Millisecond):
			}
		}
		<-stalled.Blocked
		for i, rec := range recs {
			rec.WaitFor(ctx, t, fmt.Sprintf("stream %d complete beside a stalled one", i), func(r *recorder) bool { return len(r.Seqs) >= n })
		}
		waitStats(ctx, t, e.srv, func(s transports.Stats) bool { return s.SlowDisconnects >= 1 })
		close(stalled.Block)
		if err := <-stalledDone; err == nil {
			t.Error("stalled stream's Run returned nil; want the disconnect error")
		}
		stop()
		for i, s := range sessions {
			<-s.done
			checkExact(t, fmt.Sprintf("stream %d", i), recs[i], 1, n)
			if s.reconnects != 0 {
				t.Errorf("stream %d reconnected %d times: the stalled stream took it down (%v)", i, s.reconnects, s.errs)
			}
		}
		if c := e.conns.Load(); c != 1 {
			t.Errorf("%d connections: want the 5 streams on 1", c)
		}
	})
}
