package loadgen

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
)

// TestSaturatedLoadGeneratorIsFlagged: a load generator busy for more than
// 85% of its cores over the window is marked saturated, naming the share;
// one at half its cores is not.
func TestSaturatedLoadGeneratorIsFlagged(t *testing.T) {
	cores := float64(runtime.GOMAXPROCS(0))
	window := 2 * time.Second
	for _, tt := range []struct {
		busy      float64 // share of the cores
		saturated bool
	}{{0.5, false}, {0.84, false}, {0.9, true}, {1.0, true}} {
		s0 := Sample{CPU: time.Second / 2, cpuStart: time.Second} // CPU read before its forced GC, cpuStart after
		s1 := Sample{CPU: time.Second + time.Duration(tt.busy*cores*float64(window)), RSS: 50 << 20}
		res := Usage(Sample{RSS: 10 << 20}, s0, s1, window, 1000, 0)
		if (res.Saturated != "") != tt.saturated {
			t.Errorf("busy %.0f%%: saturated %q, want %v", 100*tt.busy, res.Saturated, tt.saturated)
		}
		if tt.saturated && !strings.Contains(res.Saturated, "%") {
			t.Errorf("busy %.0f%%: %q does not name the share", 100*tt.busy, res.Saturated)
		}
		if d := res.CPUUtilization - tt.busy; d > 0.001 || d < -0.001 {
			t.Errorf("busy %.0f%%: utilisation %v", 100*tt.busy, res.CPUUtilization)
		}
		if res.RSSPerConn != float64(40<<20)/1000 {
			t.Errorf("RSS per connection %v, want (50-10 MiB)/1000", res.RSSPerConn)
		}
	}
}

// TestGCPausesAreCountedBetweenSamples: collections between two samples
// are counted, the samples' own forced ones are not.
func TestGCPausesAreCountedBetweenSamples(t *testing.T) {
	s0 := SampleSelf()
	runtime.GC()
	runtime.GC()
	s1 := SampleSelf()
	res := Usage(s0, s0, s1, time.Second, 0, 0)
	if res.GCPauses != 2 || res.GCPauseTotalUs <= 0 || res.GCPauseMaxUs <= 0 || res.GCPauseMaxUs > res.GCPauseTotalUs {
		t.Errorf("pauses %d, total %v µs, max %v µs; want the 2 collections between the samples, max <= total", res.GCPauses, res.GCPauseTotalUs, res.GCPauseMaxUs)
	}
}

// TestStarvedLoadGeneratorIsFlagged: a generator that used little CPU but
// waited for a CPU most of the window (a busy machine) is saturated all
// the same; one that used and waited little is not.
func TestStarvedLoadGeneratorIsFlagged(t *testing.T) {
	for _, tt := range []struct {
		cpu, wait float64
		want      string
	}{
		{0.3, 0.6, "waited 60% more"},
		{0.5, 0.2, ""},
		{0.9, 0, "at 90%"},
	} {
		got := Saturation(tt.cpu, tt.wait, 2)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("used %.0f%%, waited %.0f%%: %q, want %q", 100*tt.cpu, 100*tt.wait, got, tt.want)
		}
	}
}

// TestLoopLagPastTheLimitIsSaturation: a reactor loop 250 ms behind its
// schedule makes the window saturated, naming the lag; 20 ms is recorded
// and not; an earlier verdict is kept.
func TestLoopLagPastTheLimitIsSaturation(t *testing.T) {
	var res results.Resources
	lagVerdict(&res, 250*time.Millisecond)
	if res.LoopLagMaxUs != 250000 || !strings.Contains(res.Saturated, "250ms") {
		t.Errorf("250 ms: %+v", res)
	}
	res = results.Resources{}
	lagVerdict(&res, 20*time.Millisecond)
	if res.LoopLagMaxUs != 20000 || res.Saturated != "" {
		t.Errorf("20 ms: %+v", res)
	}
	res = results.Resources{Saturated: "load generator at 95% of 1 CPU"}
	lagVerdict(&res, time.Second)
	if res.Saturated != "load generator at 95% of 1 CPU" {
		t.Errorf("an earlier verdict was replaced: %q", res.Saturated)
	}
}

// TestCPUPeakSeesABurst: the 100 ms sampler sees a busy loop, and a peak
// past the threshold is a saturation verdict naming the burst and the mean.
func TestCPUPeakSeesABurst(t *testing.T) {
	p := watchCPUPeak(1)
	end := time.Now().Add(350 * time.Millisecond)
	for x := 0; time.Now().Before(end); x++ { // bounded by time: a burst on this goroutine
	}
	// How much of a core the loop gets depends on what else runs (the
	// test packages run side by side): the sampler must see some of it.
	if peak := p.Stop(); peak <= 0 {
		t.Errorf("peak %.2f of one core during a busy loop", peak)
	}
	res := results.Resources{Cores: 1, CPUUtilization: 0.3}
	peakVerdict(&res, 0.99)
	if !strings.Contains(res.Saturated, "99%") || !strings.Contains(res.Saturated, "30%") {
		t.Errorf("99%% peak over a 30%% mean: %q", res.Saturated)
	}
	res = results.Resources{Cores: 1, CPUUtilization: 0.3}
	peakVerdict(&res, 0.6)
	if res.Saturated != "" || res.CPUPeak != 0.6 {
		t.Errorf("60%% peak: %+v", res)
	}
}

// TestClientLagPastTheLimitIsSaturation: reads whose bytes waited 25 ms on
// average in the sockets make the window saturated; 1 ms is recorded and
// not; no stamped reads record nothing.
func TestClientLagPastTheLimitIsSaturation(t *testing.T) {
	var res results.Resources
	waitVerdict(&res, 100, 25*time.Millisecond, 90*time.Millisecond)
	if res.ClientLagMeanUs != 25000 || res.ClientLagMaxUs != 90000 || !strings.Contains(res.Saturated, "25ms") {
		t.Errorf("25 ms: %+v", res)
	}
	res = results.Resources{}
	waitVerdict(&res, 100, time.Millisecond, 3*time.Millisecond)
	if res.ClientLagMeanUs != 1000 || res.Saturated != "" {
		t.Errorf("1 ms: %+v", res)
	}
	res = results.Resources{}
	waitVerdict(&res, 0, time.Second, time.Second)
	if res.ClientLagMeanUs != 0 || res.ClientLagMaxUs != 0 || res.Saturated != "" {
		t.Errorf("no stamped reads: %+v", res)
	}
}
