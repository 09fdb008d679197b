package harness

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
		s0 := samples{genCPU: time.Second}
		s1 := samples{genCPU: time.Second + time.Duration(tt.busy*cores*float64(window)), genRSS: 50 << 20}
		var res results.Resources
		fillLoadgen(&res, window, s0, s1)
		if (res.Saturated != "") != tt.saturated {
			t.Errorf("busy %.0f%%: saturated %q, want %v", 100*tt.busy, res.Saturated, tt.saturated)
		}
		if tt.saturated && !strings.Contains(res.Saturated, "%") {
			t.Errorf("busy %.0f%%: %q does not name the share", 100*tt.busy, res.Saturated)
		}
		if d := res.CPUUtilization - tt.busy; d > 0.001 || d < -0.001 {
			t.Errorf("busy %.0f%%: utilisation %v", 100*tt.busy, res.CPUUtilization)
		}
	}
}

// TestGCPausesAreCountedBetweenSamples: collections between two samples
// are counted, the sample's own forced one is not.
func TestGCPausesAreCountedBetweenSamples(t *testing.T) {
	var before samples
	runtime.GC()
	before.gcStart = readGC()
	runtime.GC()
	runtime.GC()
	after := samples{gcEnd: readGC()}
	var res results.Resources
	fillLoadgen(&res, time.Second, before, after)
	if res.GCPauses < 2 || res.GCPauseTotalUs <= 0 || res.GCPauseMaxUs <= 0 || res.GCPauseMaxUs > res.GCPauseTotalUs {
		t.Errorf("pauses %d, total %v µs, max %v µs; want >= 2 collections with max <= total", res.GCPauses, res.GCPauseTotalUs, res.GCPauseMaxUs)
	}
}
