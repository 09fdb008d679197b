package all_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/cutnet"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	"github.com/pushbench/pushbench/transports/msglog"
)

// recorder is the shared test Receiver.
type recorder = testrec.Recorder

func newRecorder() *recorder { return testrec.New() }

// env is one transport's server on loopback behind a cutting proxy.
type env struct {
	tr     transports.Transport
	log    *msglog.Log
	srv    transports.Server
	proxy  *cutnet.Proxy
	copts  transports.ClientOptions // through the proxy
	dopts  transports.ClientOptions // straight to the server
	protos sync.Map                 // request protocols the HTTP server saw ("HTTP/2.0")
	conns  atomic.Int64             // connections the HTTP server accepted
}

func newEnv(t testing.TB, tr transports.Transport, ring int, sopts transports.ServerOptions) *env {
	t.Helper()
	return newEnvStreams(t, tr, ring, sopts, 0)
}

// newEnvStreams is newEnv with the server's HTTP/2 stream limit per
// connection (0: Go's default).
func newEnvStreams(t testing.TB, tr transports.Transport, ring int, sopts transports.ServerOptions, maxStreams int) *env {
	t.Helper()
	e := &env{tr: tr, log: msglog.New(ring)}
	srv, err := tr.NewServer(e.log, sopts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	e.srv = srv
	// A variant's server is its base's, behind the listener serve gives
	// it: TLS (ALPN offering h2 for the h2 variant), or h2c on plain TCP.
	var scfg, ccfg *tls.Config
	if tr.TLS() {
		scfg, ccfg = testTLS(t, tr.Variant)
	}
	scheme := "http://"
	if scfg != nil {
		scheme = "https://"
	}
	var target string
	if l, ok := srv.(transports.Listener); ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if scfg != nil {
			ln = tls.NewListener(ln, scfg)
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
		mux.Handle(tr.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.protos.Store(r.Proto, true)
			srv.ServeHTTP(w, r)
		}))
		hs := httptest.NewUnstartedServer(mux)
		hs.Config.ReadHeaderTimeout = 5 * time.Second
		hs.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes the tests cut or refuse on purpose
		hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				e.conns.Add(1)
			}
		}
		transports.ServerProtocols(hs.Config, tr.Variant, maxStreams)
		if scfg != nil {
			hs.Listener = tls.NewListener(hs.Listener, scfg)
		}
		hs.Start()
		t.Cleanup(func() {
			srv.Close()
			hs.Close()
		})
		target = hs.Listener.Addr().String()
	}
	e.proxy = cutnet.New(t, target)
	e.copts = transports.ClientOptions{
		TLS:          ccfg,
		HTTP2:        tr.Variant == transports.VariantH2 || tr.Variant == transports.VariantH2C,
		BaseURL:      scheme + e.proxy.Addr(),
		RawAddr:      e.proxy.Addr(),
		PollInterval: 5 * time.Millisecond,
		Timeout:      5 * time.Second,
		ReadTimeout:  10 * time.Second,
	}
	e.dopts = e.copts
	e.dopts.BaseURL, e.dopts.RawAddr = scheme+target, target
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

func (e *env) publish(n, size int) { testrec.Publish(e.log, n, size) }

// testTLS is a fresh certificate's server configuration (ALPN as serve
// offers it) and a client configuration trusting only it, with a session
// cache so reconnects resume.
func testTLS(t testing.TB, variant string) (server, client *tls.Config) {
	t.Helper()
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	server, err = transports.ServerTLS(certPEM, keyPEM, nil, []string{"h2", "http/1.1"})
	if err != nil {
		t.Fatal(err)
	}
	client, err = transports.ClientTLS(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	client.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	return server, client
}
