package all_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/all"
	"github.com/pushbench/pushbench/transports/internal/testrec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// forEach runs fn as a parallel-safe subtest per registered transport.
func forEach(t *testing.T, fn func(t *testing.T, tr transports.Transport)) {
	all := transports.All()
	if len(all) == 0 {
		t.Fatal("no transports registered")
	}
	for _, tr := range all {
		t.Run(tr.Name, func(t *testing.T) { fn(t, tr) })
	}
}

// session runs a client with resume until ctx ends, as the load generator
// does: on every disconnect it reconnects from its recorder's cursor.
type session struct {
	rec        *recorder
	reconnects int
	errs       []error
	done       chan struct{}
}

func startSession(ctx context.Context, c transports.Client, since int64, rec *recorder) *session {
	s := &session{rec: rec, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		cursor := since
		for attempt := 0; ctx.Err() == nil && attempt < 1000; attempt++ {
			err := c.Run(ctx, cursor, rec)
			if ctx.Err() != nil {
				return
			}
			s.errs = append(s.errs, err)
			s.reconnects++
			cursor = rec.Last(cursor)
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(attempt%5) * time.Millisecond): // bounded reconnect backoff, not synchronisation
			}
		}
	}()
	return s
}

func checkExact(t *testing.T, name string, rec *recorder, from, to int64) {
	t.Helper()
	rec.Mu.Lock()
	defer rec.Mu.Unlock()
	testrec.CheckRun(t, name, rec.Seqs, from, to)
}

func TestDeliveryInOrderNoLossNoDuplicates(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		e := newEnv(t, tr, 10000, transports.ServerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		e.publish(7, 16) // history a from-now client must not see
		var recs []*recorder
		var sessions []*session
		for i := 0; i < 3; i++ {
			rec := newRecorder()
			recs = append(recs, rec)
			sessions = append(sessions, startSession(runCtx, e.client(t), -1, rec))
		}
		for _, rec := range recs {
			rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects > 0 })
		}
		const n = 500
		e.publish(n, 64)
		for _, rec := range recs {
			rec.WaitFor(ctx, t, "all messages", func(r *recorder) bool { return len(r.Seqs) >= n })
		}
		stop()
		for i, s := range sessions {
			<-s.done
			checkExact(t, fmt.Sprintf("client %d", i), recs[i], 8, 7+n)
			if s.reconnects != 0 {
				t.Errorf("client %d reconnected %d times without a cut: %v", i, s.reconnects, s.errs)
			}
		}
	})
}

func TestResumeAfterServerCutsMidStream(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		e := newEnv(t, tr, 100000, transports.ServerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		rec := newRecorder()
		s := startSession(runCtx, e.client(t), 0, rec)
		rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects > 0 })
		const rounds, per = 5, 400
		for round := 1; round <= rounds; round++ {
			e.publish(per, 32)
			// Cut once part of this round has arrived, so the cut lands mid-stream.
			target := (round-1)*per + per/4
			rec.WaitFor(ctx, t, "part of a round", func(r *recorder) bool { return len(r.Seqs) >= target })
			e.proxy.Cut()
			if tr.Push { // a poll client's next request simply opens a new connection
				connected := round + 1
				rec.WaitFor(ctx, t, "reconnect", func(r *recorder) bool { return r.Connects >= connected })
			}
		}
		rec.WaitFor(ctx, t, "every message", func(r *recorder) bool { return len(r.Seqs) >= rounds*per })
		stop()
		<-s.done
		checkExact(t, "resumed client", rec, 1, rounds*per)
		if tr.Push && s.reconnects < rounds {
			t.Errorf("reconnects = %d, want >= %d (one per cut)", s.reconnects, rounds)
		}
		if len(rec.Gaps) != 0 {
			t.Errorf("gaps %v with the cursor inside the ring", rec.Gaps)
		}
	})
}

func TestCursorOlderThanRingGetsGapSignal(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		e := newEnv(t, tr, 10, transports.ServerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.publish(50, 16) // the ring keeps 41..50
		runCtx, stop := context.WithCancel(ctx)
		rec := newRecorder()
		s := startSession(runCtx, e.client(t), 5, rec)
		rec.WaitFor(ctx, t, "gap and the rest", func(r *recorder) bool { return len(r.Gaps) > 0 && len(r.Seqs) >= 10 })
		stop()
		<-s.done
		if len(rec.Gaps) != 1 || rec.Gaps[0].First != 6 || rec.Gaps[0].Last != 40 {
			t.Errorf("gaps = %v, want exactly [{6 40}]", rec.Gaps)
		}
		checkExact(t, "after the gap", rec, 41, 50)
	})
}

func TestStalledConsumerIsDisconnectedOthersGetEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: pushes 12 MiB per transport past a stalled client until its write deadline cuts it (seconds)")
	}
	forEach(t, func(t *testing.T, tr transports.Transport) {
		opts := transports.ServerOptions{QueueLen: 512, WriteTimeout: 500 * time.Millisecond}
		e := newEnv(t, tr, 100000, opts)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		defer stop()

		stalled := newRecorder()
		stalled.Block, stalled.Blocked = make(chan struct{}), make(chan struct{})
		stalledDone := make(chan error, 1)
		go func() { stalledDone <- e.clientWith(t, e.dopts).Run(runCtx, 0, stalled) }()
		stalled.WaitFor(ctx, t, "stalled client connected", func(r *recorder) bool { return r.Connects > 0 })

		var recs []*recorder
		var sessions []*session
		for i := 0; i < 2; i++ {
			rec := newRecorder()
			recs = append(recs, rec)
			sessions = append(sessions, startSession(runCtx, e.clientWith(t, e.dopts), 0, rec))
			rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects > 0 })
		}
		const n = 3000 // 3000 x 4 KiB = 12 MiB, more than loopback socket buffers hold
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/20; i++ {
				e.publish(20, 4096)
				select { // pace the publisher so healthy clients keep up within QueueLen (512: slack for a loaded machine; the stalled client still passes it sixfold)
				case <-ctx.Done():
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		wg.Wait()
		select {
		case <-stalled.Blocked:
		case <-ctx.Done():
			t.Fatal("stalled client never received anything")
		}
		for i, rec := range recs {
			rec.WaitFor(ctx, t, fmt.Sprintf("client %d complete while one consumer is stalled", i),
				func(r *recorder) bool { return len(r.Seqs) >= n })
		}
		if tr.Push {
			waitStats(ctx, t, e.srv, func(s transports.Stats) bool { return s.SlowDisconnects >= 1 })
		}
		close(stalled.Block)
		if tr.Push {
			if err := <-stalledDone; err == nil {
				t.Error("stalled client's Run returned nil; want the disconnect error")
			}
		}
		stop()
		if !tr.Push {
			<-stalledDone
		}
		for i, s := range sessions {
			<-s.done
			checkExact(t, fmt.Sprintf("client %d", i), recs[i], 1, n)
		}
	})
}

func waitStats(ctx context.Context, t *testing.T, srv transports.Server, cond func(transports.Stats) bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond) // polling a counter; the condition is checked, not assumed
	defer tick.Stop()
	for !cond(srv.Stats()) {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out; stats %+v", srv.Stats())
		case <-tick.C:
		}
	}
}

func TestCloseEndsEveryConnection(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		e := newEnv(t, tr, 100, transports.ServerOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var errs [3]chan error
		for i := range errs {
			rec := newRecorder()
			errs[i] = make(chan error, 1)
			c := e.clientWith(t, e.dopts)
			go func() { errs[i] <- c.Run(ctx, -1, rec) }()
			rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects > 0 })
		}
		closed := make(chan error, 1)
		go func() { closed <- e.srv.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("Close did not return: a handler did not end")
		}
		if !tr.Push {
			cancel() // poll clients keep polling; end them
		}
		for i := range errs {
			select {
			case err := <-errs[i]:
				if tr.Push && err == nil {
					t.Errorf("client %d: Run returned nil after server close; want an error", i)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("client %d did not notice the server closing", i)
			}
		}
		if s := e.srv.Stats(); s.Open != 0 {
			t.Errorf("open connections after Close = %d", s.Open)
		}
	})
}
