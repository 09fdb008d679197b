package harness

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/loadgen/browser"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// A browser scenario through pushbench run: every stream in Chromium gets
// every message once; eight EventSources to one origin wait over HTTP/1.1
// and not over h2, so C13 is supported from the records; WebSocket over
// h2 is a named error, not a silent gap.
func TestBrowserScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs pushbench serve and a headless Chromium through a whole browser scenario")
	}
	if _, err := browser.FindChromium(""); err != nil {
		t.Skip(err)
	}
	sc := scenario(t, `{"name":"b","kind":"browser","browser":{"tabs":1,"streams":8,"protocols":["http/1.1","h2"],"open_timeout":"1s"},
		"rate":[20],"warmup":"0s","duration":"1s"}`)
	r, log := newRunner(t, []string{"sse-lean", "websocket"})
	recs := runAll(t, r, log, sc, 4)
	by := map[string]results.Record{}
	for _, rec := range recs {
		by[rec.Transport] = rec
		if g := rec.Loadgen; rec.Error == "" && (g.CPUSeconds <= 0 || g.Processes < 2 || g.RSSBytes <= 0 || g.Cores < 1) {
			t.Errorf("%s: the browser side's cost is missing: cpu %v s, %d processes, rss %d, %v cores", rec.Transport, g.CPUSeconds, g.Processes, g.RSSBytes, g.Cores)
		}
		if rec.Client != results.ClientBrowser {
			t.Errorf("%s: client %q, want browser", rec.Transport, rec.Client)
		}
	}
	for _, name := range []string{"sse-lean", "sse-lean+h2", "websocket"} {
		rec := by[name]
		checkEveryMessageOnce(t, rec, 15, 8)
		if rec.Browser == nil || len(rec.Browser.Streams) != 8 || rec.Latency.Count != rec.Delivery.Delivered {
			t.Fatalf("%s: browser %+v, %d latencies for %d delivered", name, rec.Browser, rec.Latency.Count, rec.Delivery.Delivered)
		}
	}
	if w := by["sse-lean"].Browser.Waited(); len(w) == 0 || by["sse-lean"].Browser.MaxOpen() > 6 {
		t.Errorf("HTTP/1.1: %d waited, %d open at once: want some waiting, at most 6 at once", len(w), by["sse-lean"].Browser.MaxOpen())
	}
	if w := by["sse-lean+h2"].Browser.Waited(); len(w) != 0 || by["sse-lean+h2"].Browser.Protocols[0] != "h2" {
		t.Errorf("h2: %d waited, protocols %v", len(w), by["sse-lean+h2"].Browser.Protocols)
	}
	if w := by["websocket"].Browser.Waited(); len(w) != 0 {
		t.Errorf("websocket: %d waited (WebSocket is not held to six per origin)", len(w))
	}
	if e := by["websocket+h2"].Error; !strings.Contains(e, "RFC 8441") {
		t.Errorf("websocket over h2: error %q, want it to name RFC 8441", e)
	}
	for _, c := range report.Build(recs).Claims {
		if c.ID == "C13" && c.Verdict != report.Supported {
			t.Errorf("C13 %s: %s", c.Verdict, c.Evidence)
		}
	}
}

// TestBrowserUsageIsTheBrowsersSide: a browser record's load generator is
// Chromium's tree and this process over the window, judged for saturation
// like any load generator, never all zero.
func TestBrowserUsageIsTheBrowsersSide(t *testing.T) {
	at := func(chromium, self, wait time.Duration) browserSide {
		return browserSide{chromium: proc.Sample{CPU: chromium, RSS: 300 << 20, RunWait: wait, Threads: 40}, self: proc.Sample{CPU: self, RSS: 50 << 20}, procs: 5}
	}
	res := browserUsage(at(time.Second, time.Second, 0), at(2*time.Second, 1500*time.Millisecond, 0), 10*time.Second, 2, 30)
	if math.Abs(res.CPUSeconds-1.5) > 1e-9 || math.Abs(res.CPUUtilization-0.075) > 1e-9 || res.RSSBytes != 350<<20 || res.Processes != 6 || res.Saturated != "" {
		t.Errorf("quiet browser: %+v", res)
	}
	res = browserUsage(at(0, 0, 0), at(18*time.Second, 0, 0), 10*time.Second, 2, 30)
	if !strings.Contains(res.Saturated, "Chromium") || !strings.Contains(res.Saturated, "90%") {
		t.Errorf("a browser at 90%% of 2 CPU: saturated %q", res.Saturated)
	}
	res = browserUsage(at(0, 0, 0), at(4*time.Second, 0, 14*time.Second), 10*time.Second, 2, 30)
	if res.Saturated != "" || math.Abs(res.RunWaitShare-0.7) > 1e-9 {
		t.Errorf("a browser at 20%% that waited 70%% of 2 CPU: saturated %q, wait %v: the wait is recorded, not judged", res.Saturated, res.RunWaitShare)
	}
}
