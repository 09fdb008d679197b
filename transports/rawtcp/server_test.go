package rawtcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/rawtcp"
	"github.com/pushbench/pushbench/transports/wire"
)

func TestRegistered(t *testing.T) {
	tr, err := transports.Lookup("rawtcp")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != "" || tr.Library != "none (net + own framing)" || !tr.Push || !tr.IsolatesSlowConsumers {
		t.Errorf("registration = %+v", tr)
	}
	srv, err := tr.NewServer(msglog.New(8), transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, ok := srv.(transports.Listener); !ok {
		t.Error("server does not implement transports.Listener")
	}
	if _, err := tr.NewServer(nil, transports.ServerOptions{}); err == nil {
		t.Error("NewServer(nil log) succeeded")
	}
}

func TestServeHTTPNotFound(t *testing.T) {
	srv, err := rawtcp.NewServer(msglog.New(8), transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "own TCP port") {
		t.Errorf("ServeHTTP = %d %q, want 404 naming its own port", rec.Code, rec.Body)
	}
}

// errorFrameReason checks that body is an error frame and returns its reason.
func errorFrameReason(t *testing.T, body []byte) string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte(`{"type":"error","reason":`)) {
		t.Fatalf("frame %q is not an error frame", body)
	}
	var e struct{ Type, Reason string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error frame %q: %v", body, err)
	}
	return e.Reason
}

func TestHandshakeRefused(t *testing.T) {
	log := msglog.New(8)
	log.Append(1, "a")
	log.Append(2, "b")
	srv, addr := startServer(t, log, transports.ServerOptions{})
	tests := []struct {
		name, reason string
		send         []byte
	}{
		{"unknown flag", "unknown handshake flag 7", handshake(7, 0)},
		{"negative cursor", "cursor must be a non-negative integer", handshake(rawtcp.FlagResume, -5)},
		{"from now with a cursor", "must carry cursor 0", handshake(rawtcp.FlagFromNow, 1)},
		{"cursor ahead", "ahead of the newest message 2", handshake(rawtcp.FlagResume, 3)},
		{"short handshake", "handshake must be 9 bytes", []byte{1, 0, 0}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialRaw(t, addr)
			if _, err := conn.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			if len(tt.send) < rawtcp.HandshakeSize {
				if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
			}
			if reason := errorFrameReason(t, readFrame(t, conn)); !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", reason, tt.reason)
			}
			expectClosed(t, conn)
			if got := srv.Stats().Rejected; got != int64(i+1) {
				t.Errorf("Rejected = %d, want %d", got, i+1)
			}
		})
	}
}

func TestHandshakeDeadline(t *testing.T) {
	_, addr := startServer(t, msglog.New(8), transports.ServerOptions{WriteTimeout: 50 * time.Millisecond})
	conn := dialRaw(t, addr) // and send nothing
	if reason := errorFrameReason(t, readFrame(t, conn)); !strings.Contains(reason, "timeout") {
		t.Errorf("reason %q does not mention the timeout", reason)
	}
	expectClosed(t, conn)
}

func TestFramingRoundTrip(t *testing.T) {
	log := msglog.New(4)
	var entries []*msglog.Entry
	for i := range 10 {
		entries = append(entries, log.Append(int64(1000+i), strings.Repeat("x", i)))
	}
	srv, addr := startServer(t, log, transports.ServerOptions{})
	conn := dialRaw(t, addr)
	if _, err := conn.Write(handshake(rawtcp.FlagResume, 0)); err != nil {
		t.Fatal(err)
	}
	if ack := readFrame(t, conn); len(ack) != 0 {
		t.Fatalf("acknowledgement = %q, want an empty frame", ack)
	}
	// Bytes after the handshake are ignored.
	if _, err := conn.Write([]byte("ignored by the server")); err != nil {
		t.Fatal(err)
	}
	if got, want := readFrame(t, conn), wire.AppendGapJSON(nil, 1, 6); !bytes.Equal(got, want) {
		t.Errorf("gap frame = %q, want %q", got, want)
	}
	for _, e := range entries[6:] {
		if got := readFrame(t, conn); !bytes.Equal(got, e.JSON) {
			t.Errorf("frame = %q, want %q", got, e.JSON)
		}
	}
	odd := log.Append(2000, "quote \" newline \n unicode é <tag>")
	if got := readFrame(t, conn); !bytes.Equal(got, odd.JSON) {
		t.Errorf("frame = %q, want %q", got, odd.JSON)
	}
	if st := srv.Stats(); st.MessagesSent != 5 || st.GapsSent != 1 || st.Accepted != 1 || st.Open != 1 {
		t.Errorf("stats = %+v", st)
	}

	fromNow := dialRaw(t, addr)
	if _, err := fromNow.Write(handshake(rawtcp.FlagFromNow, 0)); err != nil {
		t.Fatal(err)
	}
	if ack := readFrame(t, fromNow); len(ack) != 0 {
		t.Fatalf("acknowledgement = %q, want an empty frame", ack)
	}
	next := log.Append(3000, "new")
	if got := readFrame(t, fromNow); !bytes.Equal(got, next.JSON) {
		t.Errorf("from-now frame = %q, want only the new message %q", got, next.JSON)
	}
}

func TestHeartbeatAfterIdle(t *testing.T) {
	_, addr := startServer(t, msglog.New(8), transports.ServerOptions{Heartbeat: 20 * time.Millisecond})
	conn := dialRaw(t, addr)
	if _, err := conn.Write(handshake(rawtcp.FlagFromNow, 0)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // the acknowledgement, then heartbeats
		if body := readFrame(t, conn); len(body) != 0 {
			t.Fatalf("frame %d = %q, want an empty heartbeat", i, body)
		}
	}
}

func TestClientGoneEndsConnection(t *testing.T) {
	srv, addr := startServer(t, msglog.New(8), transports.ServerOptions{Heartbeat: time.Hour})
	conn := dialRaw(t, addr)
	if _, err := conn.Write(handshake(rawtcp.FlagFromNow, 0)); err != nil {
		t.Fatal(err)
	}
	readFrame(t, conn)
	if st := srv.Stats(); st.Open != 1 {
		t.Fatalf("Open = %d after the handshake, want 1", st.Open)
	}
	conn.Close()
	// Only the connection's reader can notice: no heartbeat or message is due.
	eventually(t, func() bool { return srv.Stats().Open == 0 })
}

// eventually polls cond until it holds or the test timeout passes.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(testTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatal("condition not reached within the test timeout")
		}
	}
}

func TestSlowConsumerDisconnected(t *testing.T) {
	log := msglog.New(4096)
	srv, addr := startServer(t, log, transports.ServerOptions{QueueLen: 8, WriteTimeout: 100 * time.Millisecond})
	conn := dialRaw(t, addr)
	if _, err := conn.Write(handshake(rawtcp.FlagFromNow, 0)); err != nil {
		t.Fatal(err)
	}
	readFrame(t, conn)
	payload := strings.Repeat("p", 16<<10)
	for range 2048 { // 32 MiB: more than the socket buffers hold
		log.Append(0, payload)
	}
	if _, err := bytes.NewBuffer(nil).ReadFrom(conn); err != nil && !isReset(err) {
		t.Fatalf("reading to the end: %v", err)
	}
	if st := srv.Stats(); st.SlowDisconnects != 1 {
		t.Errorf("SlowDisconnects = %d, want 1 (stats %+v)", st.SlowDisconnects, st)
	}
}

func TestServeEndsWithContext(t *testing.T) {
	srv, err := rawtcp.NewServer(msglog.New(8), transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	conn := dialRaw(t, ln.Addr().String())
	if _, err := conn.Write(handshake(rawtcp.FlagFromNow, 0)); err != nil {
		t.Fatal(err)
	}
	readFrame(t, conn)
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve = %v after its context ended, want nil", err)
	}
	expectClosed(t, conn)
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts after Serve returned")
	}
}

func TestCloseEndsClients(t *testing.T) {
	srv, err := rawtcp.NewServer(msglog.New(8), transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(context.Background(), -1, r) }()
	r.WaitUp(t, testTimeout)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v after Close, want nil", err)
	}
	if err := <-ran; err == nil || !strings.Contains(err.Error(), "failed to read frame") {
		t.Errorf("Run = %v after the server closed, want a read error", err)
	}
	if err := srv.Serve(context.Background(), ln); err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
}
