package all_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/cutnet"
	"github.com/pushbench/pushbench/transports/msglog"
)

// recorder is a Receiver that keeps everything it is told, for assertions.
// block, when non-nil, makes Message wait for it to close (a stalled
// consumer).
type recorder struct {
	mu        sync.Mutex
	seqs      []int64
	gaps      []msglog.Gap
	connected int
	empties   int
	changed   chan struct{}
	block     chan struct{}
	blocked   chan struct{} // closed when Message first blocks
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

func (r *recorder) Empty() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.empties++
	r.notify()
}

// last is the cursor a resuming client sends: the newest seq or gap end.
func (r *recorder) last(since int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := since
	if n := len(r.seqs); n > 0 && r.seqs[n-1] > cur {
		cur = r.seqs[n-1]
	}
	if n := len(r.gaps); n > 0 && r.gaps[n-1].Last > cur {
		cur = r.gaps[n-1].Last
	}
	return cur
}

// waitFor blocks until cond (called with the lock held) is true, or fails
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

// env is one transport's server on loopback behind a cutting proxy.
type env struct {
	tr    transports.Transport
	log   *msglog.Log
	srv   transports.Server
	proxy *cutnet.Proxy
	copts transports.ClientOptions // through the proxy
	dopts transports.ClientOptions // straight to the server
}

func newEnv(t testing.TB, tr transports.Transport, ring int, sopts transports.ServerOptions) *env {
	t.Helper()
	e := &env{tr: tr, log: msglog.New(ring)}
	srv, err := tr.NewServer(e.log, sopts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	e.srv = srv
	var target string
	if l, ok := srv.(transports.Listener); ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- l.Serve(context.Background(), ln) }()
		t.Cleanup(func() {
			srv.Close()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
		target = ln.Addr().String()
	} else {
		mux := http.NewServeMux()
		mux.Handle(tr.Path, srv)
		hs := httptest.NewUnstartedServer(mux)
		hs.Config.ReadHeaderTimeout = 5 * time.Second
		hs.Start()
		t.Cleanup(func() {
			srv.Close()
			hs.Close()
		})
		target = hs.Listener.Addr().String()
	}
	e.proxy = cutnet.New(t, target)
	e.copts = transports.ClientOptions{
		BaseURL:      "http://" + e.proxy.Addr(),
		RawAddr:      e.proxy.Addr(),
		PollInterval: 5 * time.Millisecond,
		Timeout:      5 * time.Second,
		ReadTimeout:  10 * time.Second,
	}
	e.dopts = e.copts
	e.dopts.BaseURL, e.dopts.RawAddr = "http://"+target, target
	return e
}

func (e *env) client(t *testing.T) transports.Client { return e.clientWith(t, e.copts) }

func (e *env) clientWith(t *testing.T, opts transports.ClientOptions) transports.Client {
	t.Helper()
	c, err := e.tr.NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
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
