package harness

import (
	"fmt"
	"runtime"
	"time"

	"github.com/pushbench/pushbench/results"
)

// saturatedAt is the share of its cores above which the load generator is
// taken to be the bottleneck: its figures then measure pushbench.
const saturatedAt = 0.85

// gcStat is the load generator's garbage collector at one moment.
type gcStat struct {
	num     uint32
	totalNs uint64
	pauses  [256]uint64 // runtime.MemStats.PauseNs: the last 256 pauses, a ring
}

func readGC() gcStat {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return gcStat{num: ms.NumGC, totalNs: ms.PauseTotalNs, pauses: ms.PauseNs}
}

// since is the number of GC pauses between a and b, their total and the
// longest (of the last 256: the runtime keeps no more).
func (b gcStat) since(a gcStat) (n int64, total, longest time.Duration) {
	n = int64(b.num - a.num)
	for i := int64(0); i < min(n, 256); i++ {
		p := time.Duration(b.pauses[(int64(b.num)-1-i+256)%256])
		longest = max(longest, p)
	}
	return n, time.Duration(b.totalNs - a.totalNs), longest
}

// fillLoadgen writes the load generator's own cost and health over the
// window: CPU as a share of the cores it may use, RSS, GC pauses, and
// whether it was saturated.
func fillLoadgen(res *results.Resources, window time.Duration, s0, s1 samples) {
	cpu := (s1.genCPU - s0.genCPU).Seconds()
	res.CPUSeconds, res.RSSBytes, res.HeapBytes, res.Goroutines = cpu, s1.genRSS, int64(s1.genHeap), s1.genGor
	res.Cores = float64(runtime.GOMAXPROCS(0))
	if window > 0 {
		res.CPUUtilization = cpu / window.Seconds() / res.Cores
	}
	n, total, longest := s1.gcEnd.since(s0.gcStart)
	res.GCPauses, res.GCPauseTotalUs, res.GCPauseMaxUs = n, float64(total)/1e3, float64(longest)/1e3
	if res.CPUUtilization > saturatedAt {
		res.Saturated = fmt.Sprintf("load generator at %.0f%% of %g CPU", 100*res.CPUUtilization, res.Cores)
	}
}
