package loadgen

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// chunkedWriter makes the poll server's answers chunked: it drops their
// Content-Length and flushes after every write (each a chunk).
type chunkedWriter struct{ http.ResponseWriter }

func (w chunkedWriter) Write(b []byte) (int, error) {
	w.Header().Del("Content-Length")
	n, err := w.ResponseWriter.Write(b)
	http.NewResponseController(w.ResponseWriter).Flush()
	return n, err
}

// servedKey is the context key of a connection's count of requests.
type servedKey struct{}

// pollServer serves a poll transport over loopback, with every answer
// passed through wrap (nil: as the server writes it).
func pollServer(t *testing.T, name string, wrap func(n int64, w http.ResponseWriter, r *http.Request) http.ResponseWriter, idle time.Duration) (*httptest.Server, *msglog.Log) {
	t.Helper()
	log := msglog.New(10000)
	srv, err := mustLookup(t, name).NewServer(log, transports.ServerOptions{MaxBatch: 7, HoldTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wrap != nil {
			if w = wrap(n.Add(1), w, r); w == nil {
				return
			}
		}
		srv.ServeHTTP(w, r)
	}))
	hs.Config.IdleTimeout = idle
	hs.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, servedKey{}, new(atomic.Int64))
	}
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs, log
}

// TestReactorPollsDeliverEveryMessageOnceInOrder runs reactor-mode poll
// clients against the real poll server over loopback, through answers of
// at most 7 messages: sized and chunked answers, a server that closes
// kept-alive connections (idle between short polls, or by Connection:
// close) and one that drops requests unanswered, all without a drop; a
// server that fails every 9th poll with a 503, each a drop resumed from
// the cursor. Every message arrives once and in order, and the goroutine
// client, run on the same servers, drops as often.
func TestReactorPollsDeliverEveryMessageOnceInOrder(t *testing.T) {
	chunked := func(_ int64, w http.ResponseWriter, _ *http.Request) http.ResponseWriter { return chunkedWriter{w} }
	closing := func(n int64, w http.ResponseWriter, _ *http.Request) http.ResponseWriter {
		if n%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		return w
	}
	hangup := func(n int64, w http.ResponseWriter, r *http.Request) http.ResponseWriter {
		// Every 5th request, unless it is the first on its connection:
		// net/http's client retries those (on a new connection).
		if served := r.Context().Value(servedKey{}).(*atomic.Int64); served.Add(1) > 1 && n%5 == 0 {
			panic(http.ErrAbortHandler) // the connection closes unanswered
		}
		return w
	}
	failing := func(n int64, w http.ResponseWriter, _ *http.Request) http.ResponseWriter {
		if n%9 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return nil
		}
		return w
	}
	for _, tc := range []struct {
		name, transport string
		wrap            func(int64, http.ResponseWriter, *http.Request) http.ResponseWriter
		idle            time.Duration
		drops           bool
	}{
		{"sized", "longpoll", nil, 0, false},
		{"chunked", "longpoll", chunked, 0, false},
		{"short sized", "shortpoll", nil, 0, false},
		{"short chunked", "shortpoll", chunked, 0, false},
		{"idle close", "shortpoll", nil, 5 * time.Millisecond, false},
		{"connection close", "longpoll", closing, 0, false},
		{"hangup", "longpoll", hangup, 0, false},
		{"503", "longpoll", failing, 0, true},
	} {
		for _, mode := range []string{ModeReactor, ModeGoroutine} { // the goroutine client is the reference
			t.Run(tc.name+" "+mode, func(t *testing.T) {
				hs, log := pollServer(t, tc.transport, tc.wrap, tc.idle)
				w := runPollClients(t, tc.transport, mode, hs.URL, log, 8, 300)
				// A client's reconnect may still be pending when the window ends.
				if tc.drops != (w.Drops > 0) || w.Reconnects > w.Drops || w.Reconnects < w.Drops-8 {
					t.Errorf("%d drops, %d reconnects; want drops: %v, a reconnect for each", w.Drops, w.Reconnects, tc.drops)
				}
			})
		}
	}
}

// runPollClients publishes n messages in bursts to clients reactor-mode
// poll clients and checks each got every one once and in order.
func runPollClients(t *testing.T, name, mode, url string, log *msglog.Log, clients, n int) results.Counts {
	t.Helper()
	g := New(Config{Transport: mustLookup(t, name), ClientMode: mode, Since: log.Head(), Reconnect: 10 * time.Millisecond,
		Options: transports.ClientOptions{BaseURL: url, ReadTimeout: 2 * time.Second, PollInterval: 20 * time.Millisecond}})
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Add(ctx, clients); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitConnected(ctx, int64(clients)); err != nil {
		t.Fatal(err)
	}
	if got, why := g.ClientMode(); got != mode {
		t.Fatalf("client mode %q (%s), want %s", got, why, mode)
	}
	head := log.Head()
	g.StartWindow(head, int64(n))
	var last int64
	for i := 0; i < n; i++ {
		last = log.Append(time.Now().UnixNano(), strings.Repeat("x", i%50)).Seq
		if i%25 == 24 {
			time.Sleep(5 * time.Millisecond) // bursts over several answers, not synchronisation
		}
	}
	if err := g.WaitCursors(ctx, last); err != nil {
		t.Fatal(err)
	}
	w := g.Window(last - head)
	c := w.Counts
	if c.Delivered != int64(clients*n) || c.Raw != c.Delivered || c.Duplicates != 0 || c.Reorders != 0 || c.Holes != 0 || c.Lost != 0 || c.GapSignals != 0 {
		t.Errorf("counts %+v: want all %d messages once and in order", c, clients*n)
	}
	if c.Polls < int64(clients*n/7) {
		t.Errorf("%d polls for %d clients' %d messages in answers of 7 at most", c.Polls, clients, n)
	}
	if err := c.Reconcile(); err != nil {
		t.Error(err)
	}
	return c
}

// TestReactorPollTimeoutAndChurn: a long poll that is never answered ends
// at the request's deadline, counted as a timeout; connections whose
// lifetime is over reconnect as planned without a drop or a lost message.
func TestReactorPollTimeoutAndChurn(t *testing.T) {
	stall := make(chan struct{})
	hs, _ := pollServer(t, "longpoll", func(n int64, w http.ResponseWriter, r *http.Request) http.ResponseWriter {
		if n > 1 {
			select { // hold it past the client's deadline
			case <-stall:
			case <-r.Context().Done():
			}
			return nil
		}
		return w
	}, 0)
	defer close(stall)
	g := New(Config{Transport: mustLookup(t, "longpoll"), ClientMode: ModeReactor, Since: -1,
		Options: transports.ClientOptions{BaseURL: hs.URL, ReadTimeout: 300 * time.Millisecond}})
	defer g.Close()
	g.StartWindow(0, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Add(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, func() bool { return g.Window(0).Drops >= 1 }, func() error { return errors.New("no drop") }); err != nil {
		t.Fatal(err)
	}
	for e := range g.Errors() {
		if !strings.Contains(e, "no answer within 300ms") {
			t.Errorf("error %q, want it to name the deadline", e)
		}
	}
	g.Close()

	hs2, log := pollServer(t, "longpoll", nil, 0)
	gc := New(Config{Transport: mustLookup(t, "longpoll"), ClientMode: ModeReactor, Since: log.Head(), Lifetime: 100 * time.Millisecond,
		Options: transports.ClientOptions{BaseURL: hs2.URL, ReadTimeout: 2 * time.Second}})
	defer gc.Close()
	if err := gc.Add(ctx, 5); err != nil {
		t.Fatal(err)
	}
	head := log.Head()
	gc.StartWindow(head, 100)
	var last int64
	for i := 0; i < 40; i++ { // over half a second: every connection lives 50-150 ms
		last = log.Append(time.Now().UnixNano(), "x").Seq
		time.Sleep(15 * time.Millisecond) // the publisher's pace, not synchronisation
	}
	if err := gc.WaitCursors(ctx, last); err != nil {
		t.Fatal(err)
	}
	w := gc.Window(last - head)
	if w.Delivered != 5*40 || w.Duplicates != 0 || w.Drops != 0 || w.Reconnects < 5*2 {
		t.Errorf("churn: %+v, want every message once, no drop and at least 2 reconnects a client", w.Counts)
	}
}
