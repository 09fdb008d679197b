package all_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pushbench/pushbench/harness/netem/cutnet"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	"github.com/pushbench/pushbench/transports/msglog"
)

// recorder is the shared test Receiver.
type recorder = testrec.Recorder

func newRecorder() *recorder { return testrec.New() }

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
