package sse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/sse"
)

// recorder is a Receiver that keeps what it is told. block, when non-nil,
// makes Message wait for it to close (a stalled consumer); blocked is
// closed when Message first waits.
type recorder struct {
	mu        sync.Mutex
	seqs      []int64
	gaps      []msglog.Gap
	connected int
	changed   chan struct{}
	block     chan struct{}
	blocked   chan struct{}
	once      sync.Once
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) Connected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected++
	r.notify()
}

func (r *recorder) Message(seq, sent int64, size int) {
	if r.block != nil {
		r.once.Do(func() { close(r.blocked) })
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seqs = append(r.seqs, seq)
	r.notify()
}

func (r *recorder) Gap(first, last int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gaps = append(r.gaps, msglog.Gap{First: first, Last: last})
	r.notify()
}

func (r *recorder) Empty() {}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seqs)
}

// waitFor blocks until cond (called with the lock held) holds, or fails
// the test when ctx ends.
func (r *recorder) waitFor(ctx context.Context, t *testing.T, what string, cond func(*recorder) bool) {
	t.Helper()
	for {
		r.mu.Lock()
		ok, ch := cond(r), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s: connected=%d messages=%d gaps=%v", what, r.connected, len(r.seqs), r.gaps)
		}
	}
}

// checkRun asserts seqs are exactly from..to in order.
func checkRun(t *testing.T, name string, seqs []int64, from, to int64) {
	t.Helper()
	if want := int(to - from + 1); len(seqs) != want {
		t.Errorf("%s: got %d messages, want %d (seq %d..%d)", name, len(seqs), want, from, to)
	}
	for i, s := range seqs {
		if s != from+int64(i) {
			t.Errorf("%s: message %d has seq %d, want %d (loss, duplicate or reorder)", name, i, s, from+int64(i))
			return
		}
	}
}

// env is an sse server on an httptest server.
type env struct {
	log   *msglog.Log
	srv   *sse.Server
	hs    *httptest.Server
	copts transports.ClientOptions
}

// newEnv starts a server over a log of ring entries. Cleanup closes the
// sse server before the HTTP server (whose Close waits for handlers) and
// then checks for leaked goroutines.
func newEnv(t *testing.T, ring int, sopts transports.ServerOptions) *env {
	t.Helper()
	e := &env{log: msglog.New(ring)}
	srv, err := sse.NewServer(e.log, sopts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	mux := http.NewServeMux()
	mux.Handle("/sse", srv)
	e.hs = httptest.NewUnstartedServer(mux)
	t.Cleanup(func() {
		srv.Close()
		e.hs.Close()
		goleak.VerifyNone(t)
	})
	e.copts = transports.ClientOptions{BaseURL: "", Timeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	return e
}

// start starts the HTTP server (tests may change e.hs first).
func (e *env) start() *env {
	e.hs.Start()
	e.copts.BaseURL = e.hs.URL
	return e
}

func (e *env) client(t *testing.T) *sse.Client {
	t.Helper()
	c, err := sse.NewClient(e.copts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) publish(n, size int) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	for i := 0; i < n; i++ {
		e.log.Append(time.Now().UnixNano(), string(payload))
	}
}

// run runs c in a goroutine; the returned channel yields Run's error.
func run(ctx context.Context, c transports.Client, since int64, r transports.Receiver) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, since, r) }()
	return done
}
