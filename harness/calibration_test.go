package harness

import (
	"context"
	"math"
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
