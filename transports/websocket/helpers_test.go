package websocket_test

import (
	"github.com/pushbench/pushbench/transports/internal/testrec"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/websocket"
)

// startServer serves a websocket server over log at Path on a loopback
// httptest server; both are closed when the test ends.
func startServer(t testing.TB, log *msglog.Log, opts transports.ServerOptions) (*websocket.Server, *httptest.Server) {
	t.Helper()
	srv, err := websocket.NewServer(log, opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(websocket.Path, srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return srv, ts
}

// wsURL is the upgrade URL of ts with the given query ("" for none).
func wsURL(ts *httptest.Server, query string) string {
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + websocket.Path
	if query != "" {
		u += "?" + query
	}
	return u
}

// dialRaw opens a plain gorilla client connection, closed when the test
// ends (before the server). On a refused upgrade it returns the status and
// body.
func dialRaw(t testing.TB, ts *httptest.Server, query string, header http.Header) (*gws.Conn, int, string) {
	t.Helper()
	d := gws.Dialer{Proxy: nil}
	conn, resp, err := d.Dial(wsURL(ts, query), header)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		return nil, resp.StatusCode, string(body)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, resp.StatusCode, ""
}

// appendN appends n messages with the given payload and returns them.
func appendN(log *msglog.Log, n int, payload string) []*msglog.Entry {
	out := make([]*msglog.Entry, n)
	for i := range out {
		out[i] = log.Append(int64(1000+i), payload)
	}
	return out
}

// event and recorder are the shared channel-based test Receiver.
type (
	event    = testrec.Event
	recorder = testrec.Stream
)

func newRecorder() *recorder { return testrec.NewStream() }
