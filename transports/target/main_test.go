package target_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds every wait of these tests.
const waitLimit = 10 * time.Second

// recorder is the tests' Receiver: it keeps every call, with the
// optional extensions (retry, polls, skipped documents), and lets a test
// wait for a condition without sleeping.
type recorder struct {
	mu       sync.Mutex
	seqs     []int64
	sents    []int64
	sizes    []int
	connects int
	empties  int
	polls    int
	retries  []time.Duration
	skipped  []string
	gaps     int
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) update(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) Connected() { r.update(func() { r.connects++ }) }
func (r *recorder) Message(seq, sent int64, size int) {
	r.update(func() {
		r.seqs = append(r.seqs, seq)
		r.sents = append(r.sents, sent)
		r.sizes = append(r.sizes, size)
	})
}
func (r *recorder) Gap(first, last int64) { r.update(func() { r.gaps++ }) }
func (r *recorder) Empty()                { r.update(func() { r.empties++ }) }
func (r *recorder) Polled()               { r.update(func() { r.polls++ }) }
func (r *recorder) Retry(d time.Duration) { r.update(func() { r.retries = append(r.retries, d) }) }
func (r *recorder) Skipped(doc []byte) {
	r.update(func() { r.skipped = append(r.skipped, string(doc)) })
}
func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.seqs) }
func (r *recorder) snapshot() (seqs []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seqs)
}

// waitFor blocks until cond (called with mu held) holds, or fails the test.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s: connects=%d seqs=%v empties=%d skipped=%d", what, r.connects, r.seqs, r.empties, len(r.skipped))
		}
	}
}

// waitMessages waits until n messages arrived.
func (r *recorder) waitMessages(t *testing.T, n int) {
	t.Helper()
	r.waitFor(t, "messages", func() bool { return len(r.seqs) >= n })
}

// countingDial dials loopback and counts its calls, so a test can tell the
// client dialled through ClientOptions.Dial.
type countingDial struct{ n atomic.Int64 }

func (c *countingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c.n.Add(1)
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func testOptions(d *countingDial) transports.ClientOptions {
	return transports.ClientOptions{
		Dial:         d.dial,
		Timeout:      5 * time.Second,
		ReadTimeout:  5 * time.Second,
		PollInterval: 2 * time.Millisecond,
	}
}

// runAsync starts c.Run and returns a channel with its result.
func runAsync(ctx context.Context, c transports.Client, since int64, r transports.Receiver) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx, since, r) }()
	return errc
}

// result waits for Run's result or fails the test.
func result(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
		return nil
	}
}
