package browser_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/loadgen/browser"
	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/all"
	"github.com/pushbench/pushbench/transports/serve"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// launch starts Chromium for one test and checks, at the end, that none of
// its processes is left.
func launch(t *testing.T) *browser.Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts a headless Chromium")
	}
	if _, err := browser.FindChromium(""); err != nil {
		if os.Getenv("PUSHBENCH_REQUIRE_CHROMIUM") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	b, err := browser.Launch(context.Background(), browser.Config{IgnoreCertErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Profile() == "" || b.PID() == 0 {
		b.Close()
		t.Fatalf("no profile (%q) or pid (%d) for the browser", b.Profile(), b.PID())
	}
	t.Cleanup(func() {
		b.Close()
		if left := browser.Leftovers(b.Profile()); len(left) > 0 {
			t.Errorf("chromium processes left after Close: %v", left)
		}
	})
	return b
}

// server starts a pushbench server of one transport allowing origin.
func server(t *testing.T, origin, transport string) *serve.Service {
	t.Helper()
	cfg := serve.Config{Addr: "127.0.0.1:0", RawAddr: "127.0.0.1:0", Transports: []string{transport}}
	cfg.Server.CORSOrigin = origin
	svc, err := serve.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Close(ctx); err != nil {
			t.Errorf("server Close: %v", err)
		}
	})
	return svc
}

// publisher publishes n messages at rate, each stamped with its intended
// send time.
func publisher(svc *serve.Service, n int, rate float64) func(ctx context.Context) (int64, int64, error) {
	return func(ctx context.Context) (int64, int64, error) {
		start := time.Now()
		var first, last int64
		for i := 0; i < n; i++ {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			select {
			case <-ctx.Done():
				return 0, 0, ctx.Err()
			case <-time.After(time.Until(due)):
			}
			e := svc.Publish(due, "browser test")
			if first == 0 {
				first = e.Seq
			}
			last = e.Seq
		}
		return first, last, nil
	}
}

func measure(t *testing.T, b *browser.Browser, name, proto string, tabs, streams int, openTimeout time.Duration, msgs int, h2 bool) browser.Outcome {
	t.Helper()
	sess, err := browser.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	svc := server(t, sess.Origin(), name)
	base := svc.BaseURL()
	if h2 {
		f, err := browser.StartFront(base, true)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		base = f.URL
	}
	tr, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	head := func(context.Context) (int64, error) { return svc.Log.Head(), nil }
	since, _ := head(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := browser.Measure(ctx, b, sess, browser.Measurement{
		Plan: browser.Plan{Transport: tr, Base: base, Tabs: tabs, Streams: streams, Since: since, PollInterval: 100 * time.Millisecond},
		// One warm-up message answers the long polls' first request (a
		// long poll has opened when its first answer arrives).
		WarmUp:   func(ctx context.Context) error { svc.Publish(time.Now(), "warm-up"); return nil },
		Protocol: proto, OpenTimeout: openTimeout, Head: head, Publish: publisher(svc, msgs, 50), Limit: 1 << 16,
		Drain: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCounts asserts every stream got every message once, in order, each
// with a latency sample.
func checkCounts(t *testing.T, out browser.Outcome, streams int, msgs int) {
	t.Helper()
	w := out.Window
	want := int64(streams * msgs)
	if out.Published != int64(msgs) || w.Expected != want || w.Delivered != want || w.Lost != 0 || w.Duplicates != 0 ||
		w.Reorders != 0 || w.Unexpected != 0 || w.Late != 0 {
		t.Errorf("published %d, counts %+v: want every one of %d messages at each of %d streams once, in order", out.Published, w.Counts, msgs, streams)
	}
	if err := w.Counts.Reconcile(); err != nil {
		t.Error(err)
	}
	if n := w.Latency.TotalCount(); n != w.Delivered {
		t.Errorf("%d latency samples for %d delivered", n, w.Delivered)
	}
	for _, st := range out.Browser.Streams {
		if st.OpenedMs < 0 || st.Messages < int64(msgs) || st.ClosedMs < 0 {
			t.Errorf("stream %d.%d: %+v", st.Tab, st.Stream, st)
		}
	}
	if w.UnderRange > 0 {
		t.Errorf("%d negative latencies: the page's clock is ahead of the server's", w.UnderRange)
	}
}

// Every page client, 2 tabs x 3 streams over HTTP/1.1 (within six
// connections per origin), gets every message once and in order.
func TestEveryTransportCounts(t *testing.T) {
	b := launch(t)
	for _, name := range []string{"sse-lean", "sse", "websocket", "longpoll", "shortpoll"} {
		t.Run(name, func(t *testing.T) {
			out := measure(t, b, name, "http/1.1", 2, 3, 5*time.Second, 20, false)
			checkCounts(t, out, 6, 20)
			if out.Browser.OpenedBeforeWindow != 6 {
				t.Errorf("%d of 6 streams open before the window", out.Browser.OpenedBeforeWindow)
			}
			if name != "websocket" && !slices.Equal(out.Browser.Protocols, []string{"http/1.1"}) {
				t.Errorf("protocols %v, want http/1.1", out.Browser.Protocols)
			}
			if abs(out.Browser.ClockOffsetUs) > out.Browser.ClockUncertaintyUs+1000 {
				t.Errorf("clock offset %.0f µs ± %.0f", out.Browser.ClockOffsetUs, out.Browser.ClockUncertaintyUs)
			}
			t.Logf("%s: p50 %d µs p99 %d µs, isolated %v, clock %+.0f±%.0f µs, %d connections", name,
				out.Window.Latency.ValueAtQuantile(50), out.Window.Latency.ValueAtQuantile(99), out.Browser.CrossOriginIsolated,
				out.Browser.ClockOffsetUs, out.Browser.ClockUncertaintyUs, out.Browser.Connections)
		})
	}
}

func abs(v float64) float64 { return max(v, -v) }

// C13: ten EventSources in one page. Over HTTP/1.1 Chromium holds at most
// six connections to the origin, so some stream opens only after another
// has closed; over HTTP/2 all ten share one connection and none waits.
func TestC13ConnectionLimit(t *testing.T) {
	b := launch(t)
	h1 := measure(t, b, "sse-lean", "http/1.1", 1, 10, time.Second, 10, false)
	checkCounts(t, h1, 10, 10)
	waited := h1.Browser.Waited()
	if len(waited) == 0 || h1.Browser.OpenedBeforeWindow > 6 || h1.Browser.MaxOpen() > 6 {
		t.Errorf("HTTP/1.1: %d streams waited for another to close, %d open before the window, at most %d open at once: want some waiting, at most 6 open\n%s",
			len(waited), h1.Browser.OpenedBeforeWindow, h1.Browser.MaxOpen(), timeline(h1))
	}
	h2 := measure(t, b, "sse-lean", "h2", 1, 10, 5*time.Second, 10, true)
	checkCounts(t, h2, 10, 10)
	if w := h2.Browser.Waited(); len(w) > 0 || h2.Browser.OpenedBeforeWindow != 10 ||
		!slices.Equal(h2.Browser.Protocols, []string{"h2"}) || h2.Browser.Connections != 1 || h2.Browser.MaxOpen() != 10 {
		t.Errorf("h2: %d streams waited, %d open before the window, protocols %v over %d connections: want none waiting, all 10 open over one h2 connection\n%s",
			len(w), h2.Browser.OpenedBeforeWindow, h2.Browser.Protocols, h2.Browser.Connections, timeline(h2))
	}
	t.Logf("HTTP/1.1:\n%s\nh2:\n%s", timeline(h1), timeline(h2))
}

func timeline(o browser.Outcome) string {
	s := fmt.Sprintf("protocols %v, %d connections\n", o.Browser.Protocols, o.Browser.Connections)
	for _, st := range o.Browser.Streams {
		s += fmt.Sprintf("  stream %d: opened %.1f ms, first message %.1f ms (latency %d µs), closed %.1f ms\n", st.Stream, st.OpenedMs, st.FirstMs, st.FirstLatencyUs, st.ClosedMs)
	}
	return s
}

// A missing browser is an error naming the fix.
func TestMissingChromium(t *testing.T) {
	_, err := browser.Launch(context.Background(), browser.Config{Chromium: "/nonexistent/chromium"})
	if !errors.Is(err, browser.ErrNoChromium) {
		t.Fatalf("err %v, want ErrNoChromium", err)
	}
	if got := err.Error(); !contains(got, "make system-deps") || !contains(got, "apt-get install chromium") {
		t.Errorf("error %q does not name the fix", got)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A measurement that fails half-way (here: publishing) returns the error;
// the session and browser still close with nothing left (launch's cleanup
// checks the processes, TestMain the goroutines).
func TestFailedMeasurementLeavesNothing(t *testing.T) {
	b := launch(t)
	sess, err := browser.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	svc := server(t, sess.Origin(), "sse-lean")
	tr, _ := transports.Lookup("sse-lean")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	boom := errors.New("publisher failed")
	_, err = browser.Measure(ctx, b, sess, browser.Measurement{
		Plan:    browser.Plan{Transport: tr, Base: svc.BaseURL(), Tabs: 2, Streams: 2, Since: svc.Log.Head()},
		Head:    func(context.Context) (int64, error) { return svc.Log.Head(), nil },
		Publish: func(context.Context) (int64, int64, error) { return 0, 0, boom },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the publisher's", err)
	}
	rawtcp, _ := transports.Lookup("rawtcp")
	if _, err := browser.KindOf(rawtcp); err == nil {
		t.Error("rawtcp has a browser client?")
	}
}
