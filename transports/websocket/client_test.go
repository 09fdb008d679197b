package websocket_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/websocket"
)

func TestRegistered(t *testing.T) {
	tr, err := transports.Lookup("websocket")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != "/ws" || tr.Library != "github.com/gorilla/websocket v1.5.3" || !tr.Push || !tr.IsolatesSlowConsumers ||
		tr.NewServer == nil || tr.NewClient == nil {
		t.Errorf("registration %+v", tr)
	}
}

// run starts c.Run in a goroutine and returns its result channel.
func run(ctx context.Context, c transports.Client, since int64, r transports.Receiver) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, since, r) }()
	return done
}

// expectEvents reads len(want) events from r and compares them.
func expectEvents(t *testing.T, r *recorder, want ...event) {
	t.Helper()
	for i, w := range want {
		if got := <-r.Events; got != w {
			t.Fatalf("event %d: got %+v, want %+v", i, got, w)
		}
	}
}

func msg(e *msglog.Entry, size int) event { return event{Seq: e.Seq, Sent: e.Sent, Size: size} }

func TestClientReceivesAndResumes(t *testing.T) {
	log := msglog.New(64)
	_, ts := startServer(t, log, transports.ServerOptions{})
	var dials atomic.Int64
	d := &net.Dialer{}
	c, err := websocket.NewClient(transports.ClientOptions{
		BaseURL: ts.URL,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	r := newRecorder()
	done := run(ctx, c, -1, r)
	<-r.Up
	es := appendN(log, 5, "hello")
	for _, e := range es {
		expectEvents(t, r, msg(e, 5))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}

	// Resume after seq 3 with the same client: 4 and 5 again, then live.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r = newRecorder()
	done = run(ctx, c, 3, r)
	<-r.Up
	expectEvents(t, r, msg(es[3], 5), msg(es[4], 5))
	e := log.Append(7, strings.Repeat("z", 5000)) // larger than the receive buffer
	expectEvents(t, r, msg(e, 5000))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if dials.Load() != 2 {
		t.Errorf("dialled %d times through opts.Dial, want 2", dials.Load())
	}
}

func TestClientReportsGap(t *testing.T) {
	log := msglog.New(10)
	_, ts := startServer(t, log, transports.ServerOptions{})
	es := appendN(log, 30, "g")
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRecorder()
	done := run(ctx, c, 0, r)
	expectEvents(t, r, event{Gap: true, First: 1, Last: 20})
	for _, e := range es[20:] {
		expectEvents(t, r, msg(e, 1))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestClientRejectedCursor(t *testing.T) {
	_, ts := startServer(t, msglog.New(10), transports.ServerOptions{})
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	err = c.Run(context.Background(), 99, r)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "ahead of the newest message") {
		t.Fatalf("got %v, want a 400 naming the cursor", err)
	}
	select {
	case <-r.Up:
		t.Error("Connected called for a refused upgrade")
	default:
	}
}

func TestClientEndsWhenServerCloses(t *testing.T) {
	srv, ts := startServer(t, msglog.New(10), transports.ServerOptions{})
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	done := run(context.Background(), c, -1, r)
	<-r.Up
	srv.Close()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("got %v, want close 1001", err)
	}
}

func TestClientReadTimeout(t *testing.T) {
	_, ts := startServer(t, msglog.New(10), transports.ServerOptions{Heartbeat: time.Hour})
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL, ReadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Run(context.Background(), -1, newRecorder())
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a read timeout", err)
	}
}

func TestClientPingsRenewReadDeadline(t *testing.T) {
	const timeout = 60 * time.Millisecond
	log := msglog.New(10)
	_, ts := startServer(t, log, transports.ServerOptions{Heartbeat: timeout / 4})
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL, ReadTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRecorder()
	done := run(ctx, c, -1, r)
	<-r.Up
	// Stay silent for five read timeouts: only pings keep both sides alive.
	select {
	case err := <-done:
		t.Fatalf("Run ended on an idle but live connection: %v", err)
	case <-time.After(5 * timeout):
	}
	e := log.Append(1, "after the quiet")
	expectEvents(t, r, msg(e, len("after the quiet")))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestClientCancelDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if conn, err := ln.Accept(); err == nil {
			accepted <- conn // never answered
		}
	}()
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: "http://" + ln.Addr().String(), Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := newRecorder()
	done := run(ctx, c, -1, r)
	conn := <-accepted
	defer conn.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run cancelled during the handshake: %v", err)
	}
}

func TestNewClientRejectsBadURL(t *testing.T) {
	for _, u := range []string{"ftp://host", "://x", "127.0.0.1:80"} {
		if _, err := websocket.NewClient(transports.ClientOptions{BaseURL: u}); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		}
	}
}

func TestClientSendsUpstream(t *testing.T) {
	log := msglog.New(16)
	_, ts := startServer(t, log, transports.ServerOptions{})
	c, err := websocket.NewClient(transports.ClientOptions{BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Send(ctx, "early", 1); !errors.Is(err, websocket.ErrNotConnected) {
		t.Errorf("Send before Run = %v, want ErrNotConnected", err)
	}
	r := newRecorder()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, -1, r) }()
	<-r.Up
	if err := c.Send(ctx, `quote " and \ backslash`, 77); err != nil {
		t.Fatal(err)
	}
	if got := <-r.Events; got.Seq != 1 || got.Sent != 77 {
		t.Errorf("the sender received %+v, want its own message back", got)
	}
	if got := string(mustEntry(t, log, 1).JSON); got != `{"seq":1,"sent":77,"payload":"quote \" and \\ backslash"}` {
		t.Errorf("published %s", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func mustEntry(t *testing.T, log *msglog.Log, seq int64) *msglog.Entry {
	t.Helper()
	es, _, _, err := log.Since(seq-1, 1, nil)
	if err != nil || len(es) != 1 {
		t.Fatalf("entry %d: %v %v", seq, es, err)
	}
	return es[0]
}
