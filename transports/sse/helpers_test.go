package sse_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/sse"
)

// recorder is the shared test Receiver.
type recorder = testrec.Recorder

func newRecorder() *recorder { return testrec.New() }

// checkRun asserts seqs are exactly from..to in order.
var checkRun = testrec.CheckRun

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

func (e *env) publish(n, size int) { testrec.Publish(e.log, n, size) }

// run runs c in a goroutine; the returned channel yields Run's error.
func run(ctx context.Context, c transports.Client, since int64, r transports.Receiver) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, since, r) }()
	return done
}
