package loadgen

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/all"
	"github.com/pushbench/pushbench/transports/serve"
)

// reactorTransports are the transports the reactor reads.
var reactorTransports = []string{"rawtcp", "sse", "sse-lean", "websocket", "longpoll", "shortpoll"}

// isPoll says whether the named transport's clients poll.
func isPoll(name string) bool { return name == "longpoll" || name == "shortpoll" }

func startServe(t *testing.T, addr, raw string, firstSeq int64) *serve.Service {
	t.Helper()
	svc, err := serve.Start(serve.Config{Addr: addr, RawAddr: raw, FirstSeq: firstSeq,
		Transports: reactorTransports, Server: transports.ServerOptions{Heartbeat: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func closeServe(t *testing.T, svc *serve.Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.Close(ctx); err != nil {
		t.Errorf("server Close: %v", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

func publish(svc *serve.Service, n int) (last int64) {
	for i := 0; i < n; i++ {
		last = svc.Publish(time.Now(), "x").Seq
	}
	return last
}

// TestReactorDeliversEveryMessageOnceInOrder runs reactor-mode clients of
// each transport against a real server: every message arrives once and in
// order, a server restart is survived with a gap signal for what the new
// server never had, no goroutine is held per idle client, and every
// descriptor is closed when the generator closes.
func TestReactorDeliversEveryMessageOnceInOrder(t *testing.T) {
	for _, name := range reactorTransports {
		t.Run(name, func(t *testing.T) {
			fds := openFDs(t)
			svc := startServe(t, "127.0.0.1:0", "127.0.0.1:0", 1)
			addr, raw := svc.BaseURL()[len("http://"):], svc.RawAddr()
			tr, err := transports.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			const clients = 30
			g := New(Config{Transport: tr, ClientMode: ModeReactor, Since: svc.Log.Head(),
				Options: transports.ClientOptions{BaseURL: svc.BaseURL(), RawAddr: raw, ReadTimeout: 2 * time.Second, PollInterval: 20 * time.Millisecond}})
			defer g.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := g.Add(ctx, clients); err != nil {
				t.Fatal(err)
			}
			if err := g.WaitConnected(ctx, clients); err != nil {
				t.Fatal(err)
			}
			if mode, why := g.ClientMode(); mode != ModeReactor {
				t.Fatalf("client mode %q (%s), want reactor", mode, why)
			}
			if held := loadgenGoroutines(); held >= clients/2 {
				t.Errorf("%d goroutines for %d idle clients: the reactor should hold them without one each", held, clients)
			}
			head := svc.Log.Head()
			g.StartWindow(head, 1000)
			last := publish(svc, 100)
			if err := g.WaitCursors(ctx, last); err != nil {
				t.Fatal(err)
			}
			w := g.Window(last - head)
			want := results.Counts{Expected: clients * 100, Delivered: clients * 100, Raw: clients * 100}
			if isPoll(name) {
				if w.Polls < clients || w.Polls < w.EmptyPolls {
					t.Errorf("%d polls, %d empty, for %d clients", w.Polls, w.EmptyPolls, clients)
				}
				w.Polls, w.EmptyPolls = 0, 0
			}
			if w.Counts != want {
				t.Errorf("counts\n got %+v\nwant %+v", w.Counts, want)
			}
			if n := w.Latency.TotalCount(); n != want.Delivered {
				t.Errorf("%d latency samples, want one per message (%d)", n, want.Delivered)
			}
			// Every client read at least once in the window, on TCP, where
			// the kernel stamps reads.
			if w.Reads < clients || w.StampedReads == 0 || w.StampedReads > w.Reads {
				t.Errorf("%d reads, %d stamped by the kernel: want at least one per client (%d), some stamped, no more stamped than read", w.Reads, w.StampedReads, clients)
			}

			// Restart: the new server continues the sequence 10 seqs on and
			// never had those: each client resumes with a gap signal.
			g.StartWindow(last, 1000)
			closeServe(t, svc)
			svc = startServe(t, addr, raw, last+11)
			defer func() {
				if svc != nil {
					closeServe(t, svc)
				}
			}()
			if err := g.WaitCursors(ctx, last+10); err != nil {
				t.Fatal(err)
			}
			if err := g.WaitConnected(ctx, clients); err != nil {
				t.Fatal(err)
			}
			last2 := publish(svc, 20)
			if err := g.WaitCursors(ctx, last2); err != nil {
				t.Fatal(err)
			}
			w = g.Window(last2 - last)
			if w.GapSignals != clients || w.GapMessages != clients*10 || w.Delivered != clients*20 ||
				w.Lost != clients*10 || w.Duplicates != 0 || w.Reorders != 0 || w.Unexpected != 0 {
				t.Errorf("after the restart: %+v, want %d gap signals of 10 each and every one of the 20 new messages", w.Counts, clients)
			}
			// A poll client may find the new server before it misses the
			// old one (its idle connection is replaced, as net/http does).
			if !isPoll(name) && (w.Drops < clients || w.Reconnects < clients) {
				t.Errorf("drops %d, reconnects %d: want at least one each per client", w.Drops, w.Reconnects)
			}
			if err := w.Counts.Reconcile(); err != nil {
				t.Error(err)
			}
			g.Close()
			if g.Connected() != 0 {
				t.Errorf("%d clients connected after Close", g.Connected())
			}
			closeServe(t, svc)
			svc = nil
			if now := openFDs(t); now > fds {
				t.Errorf("%d descriptors open after Close, %d before: the reactor left some open", now, fds)
			}
		})
	}
}

// TestReactorFallsBack: what the reactor cannot do runs in goroutines,
// and the reason is recorded.
func TestReactorFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		slow bool
	}{
		{"poll over TLS", Config{Transport: mustLookup(t, "longpoll+tls")}, false},
		{"poll over HTTP/2", Config{Transport: mustLookup(t, "shortpoll+h2c")}, false},
		{"chat", Config{Transport: mustLookup(t, "websocket"), Upstream: true}, false},
		{"slow readers", Config{Transport: mustLookup(t, "rawtcp")}, true},
	} {
		tc.cfg.ClientMode = ModeReactor
		g := New(tc.cfg)
		if tc.slow {
			g.SlowReaders(0.5, time.Millisecond)
		}
		if mode, why := g.ClientMode(); mode != ModeGoroutine || why == "" {
			t.Errorf("%s: mode %q why %q, want goroutine with a reason", tc.name, mode, why)
		}
		g.Close()
	}
	g := New(Config{Transport: mustLookup(t, "rawtcp")})
	defer g.Close()
	if mode, why := g.ClientMode(); mode != ModeGoroutine || why != "" {
		t.Errorf("default: mode %q why %q, want goroutine", mode, why)
	}
}

func mustLookup(t *testing.T, name string) transports.Transport {
	t.Helper()
	tr, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// loadgenGoroutines counts the goroutines running loadgen code other than
// the test's own (the server in this process has goroutines per connection).
func loadgenGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "pushbench/loadgen.") && !strings.Contains(g, "loadgen.Test") {
			n++
		}
	}
	return n
}

// TestReactorChurnAndSilence: connections whose lifetime is over reconnect
// at once, counted as reconnects and never as drops, without losing a
// message; a server that falls silent is dropped after the read timeout.
func TestReactorChurnAndSilence(t *testing.T) {
	svc := startServe(t, "127.0.0.1:0", "127.0.0.1:0", 1)
	defer closeServe(t, svc)
	const clients = 10
	g := New(Config{Transport: mustLookup(t, "websocket"), ClientMode: ModeReactor, Since: svc.Log.Head(),
		Lifetime: 200 * time.Millisecond, Options: transports.ClientOptions{BaseURL: svc.BaseURL(), ReadTimeout: 2 * time.Second}})
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Add(ctx, clients); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitConnected(ctx, clients); err != nil {
		t.Fatal(err)
	}
	head := svc.Log.Head()
	g.StartWindow(head, 1000)
	var last int64
	for i := 0; i < 40; i++ { // over a second: every connection lives 100-300 ms
		last = publish(svc, 1)
		time.Sleep(25 * time.Millisecond) // the publisher's pace, not synchronisation
	}
	if err := g.WaitCursors(ctx, last); err != nil {
		t.Fatal(err)
	}
	w := g.Window(last - head)
	if w.Delivered != clients*40 || w.Lost != 0 || w.Duplicates != 0 || w.Drops != 0 || w.Reconnects < clients*3 {
		t.Errorf("churn: %+v, want every message, no drop and at least 3 reconnects a client", w.Counts)
	}

	// A rawtcp "server" that acknowledges the handshake, then says nothing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 256)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				close(held)
				return
			}
			conn.Read(make([]byte, 9))
			conn.Write([]byte{0, 0, 0, 0})
			held <- conn
		}
	}()
	defer func() {
		ln.Close()
		for c := range held {
			c.Close()
		}
	}()
	g2 := New(Config{Transport: mustLookup(t, "rawtcp"), ClientMode: ModeReactor, Since: -1,
		Options: transports.ClientOptions{RawAddr: ln.Addr().String(), ReadTimeout: 300 * time.Millisecond}})
	defer g2.Close()
	g2.StartWindow(0, 10)
	if err := g2.Add(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, func() bool { return g2.Window(0).Drops >= 1 }, func() error { return fmt.Errorf("no drop") }); err != nil {
		t.Fatal(err)
	}
	for e := range g2.Errors() {
		if !strings.Contains(e, "silent for 300ms") {
			t.Errorf("error %q, want it to name the silence", e)
		}
	}
}
