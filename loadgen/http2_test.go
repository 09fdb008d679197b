package loadgen

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	_ "github.com/pushbench/pushbench/transports/sselean"
)

// h2cServer serves tr's server half over h2c with a stream limit per
// connection, counting the connections it accepts.
func h2cServer(t *testing.T, tr transports.Transport, maxStreams int) (url string, conns *atomic.Int64, srv transports.Server) {
	t.Helper()
	srv, err := tr.NewServer(msglog.New(100), transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int64{}
	mux := http.NewServeMux()
	mux.Handle(tr.Path, srv)
	hs := httptest.NewUnstartedServer(mux)
	transports.ServerProtocols(hs.Config, transports.VariantH2C, maxStreams)
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL, conns, srv
}

// TestStreamsShareConnectionsInGroups: 25 HTTP/2 clients of one generator,
// 10 streams a connection and a server limit of 10, use exactly 3
// connections, all 25 connected; the window reports the 3, and the bytes of
// the shared connections (which no single client owns).
func TestStreamsShareConnectionsInGroups(t *testing.T) {
	tr, err := transports.Lookup("sse-lean+h2c")
	if err != nil {
		t.Fatal(err)
	}
	url, conns, _ := h2cServer(t, tr, 10)
	g := New(Config{Transport: tr, Since: 0, StreamsPerConn: 10,
		Options: transports.ClientOptions{BaseURL: url, HTTP2: true, Timeout: 5 * time.Second}})
	defer g.Close()
	g.StartWindow(0, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Add(ctx, 25); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitConnected(ctx, 25); err != nil {
		t.Fatal(err)
	}
	w := g.Window(0)
	if n := conns.Load(); n != 3 || w.Conns != 3 {
		t.Errorf("server accepted %d connections, the window counts %d, for 25 clients at 10 streams each: want 3", n, w.Conns)
	}
	if w.BytesIn == 0 || w.BytesOut == 0 {
		t.Errorf("bytes in %d, out %d on the shared connections: want both counted", w.BytesIn, w.BytesOut)
	}
}

// TestStreamPastTheServerLimitWaits: with 100 streams a connection (a
// browser's) and a server limit of 10, the 11th client waits for a stream
// instead of opening a second connection.
func TestStreamPastTheServerLimitWaits(t *testing.T) {
	tr, err := transports.Lookup("sse-lean+h2c")
	if err != nil {
		t.Fatal(err)
	}
	url, conns, srv := h2cServer(t, tr, 10)
	g := New(Config{Transport: tr, Since: 0,
		Options: transports.ClientOptions{BaseURL: url, HTTP2: true, Timeout: 5 * time.Second}})
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Add(ctx, 11); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitConnected(ctx, 10); err != nil {
		t.Fatal(err)
	}
	// The assertion is that nothing happens: a bounded chance for an 11th.
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	if g.WaitConnected(short, 11) == nil {
		t.Errorf("11 clients connected past a server limit of 10 streams")
	}
	if n, open := conns.Load(), srv.Stats().Open; n != 1 || open != 10 {
		t.Errorf("%d connections, %d streams open: want 1 connection holding 10, the 11th waiting", n, open)
	}
}
