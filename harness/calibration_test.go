package harness

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

func runOne(t *testing.T, trs []string, network scenarios.Network, js string) map[string]results.Record {
	t.Helper()
	r, log := newRunner(t, trs)
	r.cfg.Network = network
	if err := r.Run(context.Background(), []scenarios.Scenario{scenario(t, js)}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]results.Record{}
	for _, rec := range recs {
		if rec.Error != "" || rec.Delivery.Lost != 0 {
			t.Fatalf("%s: error %q, lost %d; log:\n%s", rec.Transport, rec.Error, rec.Delivery.Lost, log)
		}
		out[rec.Transport] = rec
	}
	return out
}

// TestCalibrationInjectedLatency: 50 ms of extra downstream latency through
// the proxy must raise the measured median by 50 ms, against the zero-toxic
// proxy measured in the same test. Tolerance: 5 ms. toxiproxy sleeps the
// latency per chunk (Linux sleeps overshoot by well under 1 ms), the HDR
// histogram is exact to 0.1%, and both runs share the publisher's timer
// lateness, which cancels in the difference; the rest is scheduling noise
// on two shared cores under -race.
func TestCalibrationInjectedLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs whole steps through toxiproxy twice (seconds of measuring)")
	}
	const js = `{"name":"calibrate","kind":"broadcast","clients":[4],"rate":[50],"warmup":"300ms","duration":"1500ms"}`
	trs := []string{"sse-lean", "websocket"}
	base := runOne(t, trs, scenarios.Network{Name: "proxy", Proxy: true}, js)
	slow := runOne(t, trs, scenarios.Network{Name: "down50", Proxy: true, Down: scenarios.Direction{LatencyMs: 50}}, js)
	for _, tr := range trs {
		rise := float64(slow[tr].Latency.P50-base[tr].Latency.P50) / 1000
		t.Logf("%s: median %d µs through the bare proxy, %d µs with 50 ms downstream: +%.1f ms", tr, base[tr].Latency.P50, slow[tr].Latency.P50, rise)
		if math.Abs(rise-50) > 5 {
			t.Errorf("%s: median rose by %.1f ms for 50 ms of injected latency (tolerance 5 ms)", tr, rise)
		}
		if slow[tr].Params.Network != "down50" || base[tr].Params.Network != "proxy" {
			t.Errorf("%s: network not recorded: %q, %q", tr, base[tr].Params.Network, slow[tr].Params.Network)
		}
	}
}

// TestCalibrationShortPollInterval: with a 200 ms interval, short poll's
// mean latency must be half the interval plus the floor (sse-lean's mean in
// the same run: publish, transport and receive costs). Tolerance: 10 ms.
// Messages every 20 ms reach a client polling at a random phase; over a
// poll interval its waits are x, x+20, ..., x+180 ms with x uniform in
// [0, 20), so the mean is 100 ms in expectation and the 10 clients' phases
// put the standard error near 2 ms: 10 ms is five of them.
func TestCalibrationShortPollInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs whole steps of short polls at a 200 ms interval (seconds of measuring)")
	}
	const js = `{"name":"calibrate-poll","kind":"broadcast","clients":[10],"rate":[50],"warmup":"300ms","duration":"3s","poll_interval":"200ms"}`
	got := runOne(t, []string{"shortpoll", "sse-lean"}, scenarios.Network{}, js)
	floor := got["sse-lean"].Latency.Mean / 1000
	mean := got["shortpoll"].Latency.Mean / 1000
	want := 100 + floor
	t.Logf("short poll every 200 ms: mean %.1f ms; floor (sse-lean mean) %.2f ms; expected %.1f ms", mean, floor, want)
	if math.Abs(mean-want) > 10 {
		t.Errorf("short poll mean %.1f ms, want %.1f ± 10 ms (half the interval plus the floor)", mean, want)
	}
	if got["shortpoll"].Params.PollInterval != "200ms" {
		t.Errorf("poll interval not recorded: %q", got["shortpoll"].Params.PollInterval)
	}
}

// TestCalibrationResetsLoseNothingInsideTheRing: every connection through
// the proxy is reset every 400 ms while messages flow. With the cursor
// inside the ring nothing may be lost, duplicated or reordered on any
// transport; with a ring shorter than what is published during a
// reconnect, the push transports must signal the gap and the loss must be
// counted.
func TestCalibrationResetsLoseNothingInsideTheRing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs every transport through a proxy that resets connections (tens of seconds)")
	}
	all := []string{"shortpoll", "longpoll", "sse", "sse-lean", "websocket", "rawtcp"}
	const inside = `{"name":"resets","kind":"broadcast","clients":[4],"rate":[200],"warmup":"200ms","duration":"2s","poll_interval":"50ms",
		"fault":{"type":"reset","every":"400ms"}}`
	got := runOne(t, all, scenarios.Network{}, inside)
	for _, tr := range all {
		d := got[tr].Delivery
		if d.Lost != 0 || d.Duplicates != 0 || d.Reorders != 0 || d.GapSignals != 0 {
			t.Errorf("%s: lost %d dups %d reorders %d gaps %d across resets, want none", tr, d.Lost, d.Duplicates, d.Reorders, d.GapSignals)
		}
		if tr != "shortpoll" && tr != "longpoll" && d.Drops == 0 {
			t.Errorf("%s: no disconnects seen: the resets did not happen", tr)
		}
	}
	// 2000 msg/s and a 100-message ring: a 100 ms reconnect misses ~200.
	const outside = `{"name":"resets-small-ring","kind":"broadcast","clients":[2],"rate":[2000],"ring":100,"warmup":"200ms","duration":"2s",
		"fault":{"type":"reset","every":"500ms"}}`
	push := []string{"sse-lean", "websocket", "rawtcp"}
	r, log := newRunner(t, push)
	if err := r.Run(context.Background(), []scenarios.Scenario{scenario(t, outside)}); err != nil {
		t.Fatal(err)
	}
	recs, _ := results.Load(r.cfg.Out)
	for _, rec := range recs {
		d := rec.Delivery
		if rec.Error != "" || d.GapSignals == 0 || d.Lost == 0 || d.Lost > d.GapMessages {
			t.Errorf("%s: error %q, gap signals %d naming %d messages, lost %d: want gaps signalled and the loss counted within them; log:\n%s",
				rec.Transport, rec.Error, d.GapSignals, d.GapMessages, d.Lost, log)
		}
		if d.Duplicates != 0 || d.Reorders != 0 {
			t.Errorf("%s: dups %d reorders %d", rec.Transport, d.Duplicates, d.Reorders)
		}
	}
}

// TestServerRestartIsRecoveredAndAccounted kills the server mid-window:
// every push client reconnects to the new process, nothing is duplicated
// or reordered, and whatever was lost is counted and named by gap signals.
func TestServerRestartIsRecoveredAndAccounted(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills and restarts the server process mid-window for every push transport")
	}
	trs := []string{"longpoll", "sse-lean", "websocket", "rawtcp"}
	const js = `{"name":"restart","kind":"broadcast","clients":[3],"rate":[100],"warmup":"200ms","duration":"2s",
		"fault":{"type":"restart","every":"1s"}}`
	r, log := newRunner(t, trs)
	if err := r.Run(context.Background(), []scenarios.Scenario{scenario(t, js)}); err != nil {
		t.Fatal(err)
	}
	recs, _ := results.Load(r.cfg.Out)
	if len(recs) != len(trs) {
		t.Fatalf("%d records; log:\n%s", len(recs), log)
	}
	for _, rec := range recs {
		d := rec.Delivery
		if rec.Error != "" || d.Published < 150 {
			t.Errorf("%s: error %q, published %d", rec.Transport, rec.Error, d.Published)
			continue
		}
		if d.Drops == 0 || rec.Reconnect.Count == 0 {
			t.Errorf("%s: %d disconnects, %d reconnects timed: the restart went unnoticed", rec.Transport, d.Drops, rec.Reconnect.Count)
		}
		if d.Delivered+d.Lost != d.Expected || d.Duplicates != 0 || d.Reorders != 0 {
			t.Errorf("%s: delivered %d + lost %d vs expected %d, dups %d, reorders %d", rec.Transport, d.Delivered, d.Lost, d.Expected, d.Duplicates, d.Reorders)
		}
		if d.Lost > 0 && d.GapSignals == 0 {
			t.Errorf("%s: %d lost without a gap signal", rec.Transport, d.Lost)
		}
		if d.ServerWritten != nil || !strings.Contains(d.Witnesses, "restarted") || rec.Server.CPUSeconds <= 0 {
			t.Errorf("%s: ledger %v (%s), server CPU %v s: a restart takes the ledger, not the CPU of the killed processes", rec.Transport, d.ServerWritten, d.Witnesses, rec.Server.CPUSeconds)
		}
	}
}

// TestProxyShareOfTheLoadGenerator: through the in-process proxy, which
// copies every byte twice, the proxy takes a visible share of the load
// generator's CPU, and less than all of it (the clients parse every message).
func TestProxyShareOfTheLoadGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a whole step through the in-process proxy to measure its CPU share")
	}
	const js = `{"name":"share","kind":"broadcast","clients":[4],"rate":[3000],"warmup":"200ms","duration":"1500ms"}`
	rec := runOne(t, []string{"sse-lean"}, scenarios.Network{Name: "proxy", Proxy: true}, js)["sse-lean"]
	share := rec.Loadgen.ProxyCPUShare
	t.Logf("proxy share %.2f of the load generator's CPU (%.3f s); notes %q", share, rec.Loadgen.CPUSeconds, rec.Notes)
	if share <= 0.02 || share >= 0.98 {
		t.Errorf("the in-process proxy's share of the load generator's CPU is %.3f, want within (0.02, 0.98)", share)
	}
}
