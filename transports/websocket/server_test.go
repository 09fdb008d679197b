package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/websocket"
)

func TestRejectsBadSince(t *testing.T) {
	log := msglog.New(16)
	appendN(log, 3, "x")
	srv, ts := startServer(t, log, transports.ServerOptions{CORSOrigin: "*"})
	tests := []struct {
		name, query, reason string
	}{
		{"not a number", "since=abc", `since must be a non-negative integer (the last seq received), got "abc"`},
		{"negative", "since=-1", `got "-1"`},
		{"empty", "since=", `got ""`},
		{"fraction", "since=1.5", `got "1.5"`},
		{"ahead of head", "since=10", "cursor 10 is ahead of the newest message 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, status, body := dialRaw(t, ts, tt.query, nil)
			if conn != nil {
				t.Fatal("upgrade succeeded, want 400")
			}
			if status != http.StatusBadRequest || !strings.Contains(body, tt.reason) {
				t.Errorf("got %d %q, want 400 with %q", status, body, tt.reason)
			}
		})
	}
	if got := srv.Stats().Rejected; got != int64(len(tests)) {
		t.Errorf("Rejected = %d, want %d", got, len(tests))
	}
	if got := srv.Stats().Accepted; got != 0 {
		t.Errorf("Accepted = %d, want 0", got)
	}
}

func TestRejectedAnswerCarriesCORSHeader(t *testing.T) {
	_, ts := startServer(t, msglog.New(4), transports.ServerOptions{CORSOrigin: "https://app.example"})
	resp, err := http.Get(ts.URL + "/ws?since=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
}

func TestAcceptsCursorAtHead(t *testing.T) {
	log := msglog.New(16)
	appendN(log, 3, "x")
	_, ts := startServer(t, log, transports.ServerOptions{})
	conn, status, body := dialRaw(t, ts, "since=3", nil)
	if conn == nil {
		t.Fatalf("since=head refused: %d %s", status, body)
	}
	e := log.Append(1, "next")
	if _, got, err := conn.ReadMessage(); err != nil || !bytes.Equal(got, e.JSON) {
		t.Fatalf("got %q, %v; want %q", got, err, e.JSON)
	}
}

func TestOversizeFrameGetsClose1009(t *testing.T) {
	log := msglog.New(16)
	srv, ts := startServer(t, log, transports.ServerOptions{ReadLimit: 1024})
	big, _, _ := dialRaw(t, ts, "", nil)
	other, _, _ := dialRaw(t, ts, "", nil)

	// A frame of exactly the limit is accepted (and published upstream).
	exact := []byte(`{"payload":"` + strings.Repeat("a", 1001) + `","sent":1}`)
	if len(exact) != 1024 {
		t.Fatalf("test frame is %d bytes", len(exact))
	}
	if err := other.WriteMessage(gws.TextMessage, exact); err != nil {
		t.Fatal(err)
	}
	if _, got, err := other.ReadMessage(); err != nil || !bytes.Contains(got, []byte(`"seq":1,`)) {
		t.Fatalf("the frame at the limit was not published: %q, %v", got, err)
	}
	if err := big.WriteMessage(gws.TextMessage, bytes.Repeat([]byte("a"), 1025)); err != nil {
		t.Fatal(err)
	}
	var err error
	for err == nil { // the message published above may arrive first
		_, _, err = big.ReadMessage()
	}
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != gws.CloseMessageTooBig || !gws.IsCloseError(err, gws.CloseMessageTooBig) {
		t.Fatalf("oversize frame: got %v, want close 1009", err)
	}

	e := log.Append(1, "still here") // seq 2
	if _, got, err := other.ReadMessage(); err != nil || !bytes.Equal(got, e.JSON) {
		t.Fatalf("other client: got %q, %v; want %q", got, err, e.JSON)
	}
	if s := srv.Stats(); s.SlowDisconnects != 0 || s.Accepted != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestOriginCheck(t *testing.T) {
	tests := []struct {
		name, cors, origin string
		sameHost           bool // origin is the server's own host
		ok                 bool
	}{
		{name: "no origin", ok: true},
		{name: "same host", sameHost: true, ok: true},
		{name: "same host, CORS set elsewhere", cors: "https://app.example", sameHost: true, ok: true},
		{name: "other origin", origin: "https://evil.example"},
		{name: "other origin, CORS any", cors: "*", origin: "https://evil.example", ok: true},
		{name: "configured origin", cors: "https://app.example", origin: "https://app.example", ok: true},
		{name: "not the configured origin", cors: "https://app.example", origin: "https://evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startServer(t, msglog.New(4), transports.ServerOptions{CORSOrigin: tt.cors})
			origin := tt.origin
			if tt.sameHost {
				origin = ts.URL
			}
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			conn, status, _ := dialRaw(t, ts, "", h)
			if tt.ok && conn == nil {
				t.Fatalf("refused with %d, want upgrade", status)
			}
			if !tt.ok && (conn != nil || status != http.StatusForbidden) {
				t.Fatalf("got upgrade=%v status %d, want 403", conn != nil, status)
			}
			if !tt.ok && srv.Stats().Rejected != 1 {
				t.Errorf("Rejected = %d, want 1", srv.Stats().Rejected)
			}
		})
	}
}

func TestServerCloseSendsGoingAway(t *testing.T) {
	srv, ts := startServer(t, msglog.New(4), transports.ServerOptions{})
	conn, _, _ := dialRaw(t, ts, "", nil)
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	_, _, err := conn.ReadMessage()
	if !gws.IsCloseError(err, gws.CloseGoingAway) {
		t.Fatalf("got %v, want close 1001", err)
	}
	<-closed
	if s := srv.Stats(); s.Open != 0 || s.SlowDisconnects != 0 {
		t.Errorf("stats after Close: %+v", s)
	}
	resp, err := http.Get(ts.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("request after Close: %d, want 503", resp.StatusCode)
	}
}

// smallBuffers makes a connection buffer little in the kernel, so a large
// message blocks the server's write until the client reads.
func smallBuffers(c net.Conn) net.Conn {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(16 << 10)
		tc.SetWriteBuffer(16 << 10)
	}
	return c
}

type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return smallBuffers(c), nil
}

// startSmallBufferServer is startServer with small kernel buffers on the
// server's side of each connection, and a dialer doing the same on the
// client's side.
func startSmallBufferServer(t *testing.T, log *msglog.Log, opts transports.ServerOptions) (*websocket.Server, *httptest.Server, *gws.Dialer) {
	srv, err := websocket.NewServer(log, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = smallBufferListener{ts.Listener}
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	nd := &net.Dialer{}
	d := &gws.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return smallBuffers(c), nil
	}}
	return srv, ts, d
}

func TestSlowConsumerGetsPolicyViolation(t *testing.T) {
	log := msglog.New(256)
	srv, ts, d := startSmallBufferServer(t, log, transports.ServerOptions{QueueLen: 10})
	conn, _, err := d.Dial(wsURL(ts, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The first message is far larger than the socket buffers: its write
	// blocks until the client reads, and meanwhile 20 more (> QueueLen) are
	// published. Only live messages count: history is not backlog.
	log.Append(1, strings.Repeat("b", 1<<20))
	appendN(log, 20, "x")
	for err == nil {
		_, _, err = conn.ReadMessage()
	}
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation || ce.Text != "slow consumer" {
		t.Fatalf("got %v, want close 1008 slow consumer", err)
	}
	if got := srv.Stats().SlowDisconnects; got != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", got)
	}
}

func TestStalledClientCutAtWriteDeadline(t *testing.T) {
	log := msglog.New(256)
	srv, ts, d := startSmallBufferServer(t, log, transports.ServerOptions{WriteTimeout: 50 * time.Millisecond})
	conn, _, err := d.Dial(wsURL(ts, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	log.Append(1, strings.Repeat("b", 1<<20)) // never read
	waitStats(t, srv, func(s transports.Stats) bool { return s.SlowDisconnects == 1 && s.Open == 0 })
}

func TestReplayIsNotBacklog(t *testing.T) {
	log := msglog.New(1000)
	es := appendN(log, 500, "x")
	_, ts := startServer(t, log, transports.ServerOptions{QueueLen: 10})
	conn, _, _ := dialRaw(t, ts, "since=0", nil)
	for _, e := range es {
		if _, got, err := conn.ReadMessage(); err != nil || !bytes.Equal(got, e.JSON) {
			t.Fatalf("got %q, %v; want %q", got, err, e.JSON)
		}
	}
}

// waitStats polls srv's counters until cond holds (the condition is
// checked, not assumed after a sleep).
func waitStats(t *testing.T, srv *websocket.Server, cond func(transports.Stats) bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(20 * time.Second)
	for !cond(srv.Stats()) {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("timed out; stats %+v", srv.Stats())
		}
	}
}

func TestUpgradeAnswerNamesTheCursor(t *testing.T) {
	log := msglog.New(16)
	appendN(log, 7, "x")
	_, ts := startServer(t, log, transports.ServerOptions{CORSOrigin: "*"})
	for query, want := range map[string]string{"": "7", "since=3": "3"} {
		conn, resp, err := (&gws.Dialer{}).Dial(wsURL(ts, query), nil)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if got := resp.Header.Get(transports.HeadHeader); got != want {
			t.Errorf("%q: %s = %q, want %q", query, transports.HeadHeader, got, want)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%q: Access-Control-Allow-Origin = %q", query, got)
		}
	}
}

// readPings reads conn in a goroutine, answering pings with pongs when
// answer is set, and reports each ping and the read error.
func readPings(conn *gws.Conn, answer bool) (pings <-chan struct{}, done <-chan error) {
	p := make(chan struct{}, 1024)
	d := make(chan error, 1)
	conn.SetPingHandler(func(data string) error {
		p <- struct{}{}
		if !answer {
			return nil
		}
		return conn.WriteControl(gws.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				d <- err
				return
			}
		}
	}()
	return p, d
}

func TestPongsKeepConnectionAlive(t *testing.T) {
	const beat = 20 * time.Millisecond // the server's read deadline is 3 beats
	log := msglog.New(16)
	srv, ts := startServer(t, log, transports.ServerOptions{Heartbeat: beat})
	conn, _, _ := dialRaw(t, ts, "", nil)
	pings, done := readPings(conn, true)
	for range 15 { // five read deadlines
		select {
		case <-pings:
		case err := <-done:
			t.Fatalf("connection ended while answering pings: %v", err)
		}
	}
	if s := srv.Stats(); s.Open != 1 {
		t.Errorf("Open = %d, want 1", s.Open)
	}
}

func TestUnansweredPingsEndConnection(t *testing.T) {
	srv, ts := startServer(t, msglog.New(16), transports.ServerOptions{Heartbeat: 10 * time.Millisecond})
	conn, _, _ := dialRaw(t, ts, "", nil)
	_, done := readPings(conn, false)
	err := <-done
	if !gws.IsCloseError(err, gws.CloseAbnormalClosure) {
		t.Errorf("got %v, want the connection dropped", err)
	}
	if s := srv.Stats(); s.SlowDisconnects != 0 {
		t.Errorf("SlowDisconnects = %d, want 0", s.SlowDisconnects)
	}
}

func TestPingsWhileBusy(t *testing.T) {
	const beat = 20 * time.Millisecond
	log := msglog.New(1024)
	_, ts := startServer(t, log, transports.ServerOptions{Heartbeat: beat})
	conn, _, _ := dialRaw(t, ts, "", nil)
	pings, done := readPings(conn, true)
	// Publish every beat/10 for 10 beats: the connection is never idle for a
	// beat, so only pings sent while busy can arrive.
	tick := time.NewTicker(beat / 10)
	defer tick.Stop()
	for range 100 {
		<-tick.C
		log.Append(1, "x")
	}
	n := len(pings)
	if n < 3 {
		t.Errorf("%d pings during 10 busy heartbeats, want >= 3", n)
	}
	select {
	case err := <-done:
		t.Fatalf("connection ended: %v", err)
	default:
	}
}

func TestUpstreamFramesArePublishedToEveryone(t *testing.T) {
	log := msglog.New(16)
	srv, ts := startServer(t, log, transports.ServerOptions{})
	a, _, _ := dialRaw(t, ts, "", nil)
	b, _, _ := dialRaw(t, ts, "", nil)
	if err := a.WriteMessage(gws.TextMessage, []byte(`{"payload":"hi","sent":42}`)); err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"sent":42,"payload":"hi"}`
	for name, c := range map[string]*gws.Conn{"sender": a, "other": b} {
		if _, got, err := c.ReadMessage(); err != nil || string(got) != want {
			t.Errorf("%s got %q, %v; want %q", name, got, err, want)
		}
	}
	// Anything else is refused with close 1007 and counted.
	if err := b.WriteMessage(gws.TextMessage, []byte(`hello`)); err != nil {
		t.Fatal(err)
	}
	_, _, err := b.ReadMessage()
	if !gws.IsCloseError(err, gws.CloseInvalidFramePayloadData) || !strings.Contains(err.Error(), `"payload"`) {
		t.Fatalf("bad upstream frame: %v, want close 1007 naming the form", err)
	}
	if s := srv.Stats(); s.Rejected != 1 || log.Head() != 1 {
		t.Errorf("rejected %d head %d, want 1 and 1", s.Rejected, log.Head())
	}
}
