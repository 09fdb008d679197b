package loadgen

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"golang.org/x/sys/unix"
)

// SaturatedAt is the share of its cores above which a load generator is
// taken to be the bottleneck: its figures then measure pushbench.
const SaturatedAt = 0.85

// gcStat is the garbage collector at one moment.
type gcStat struct {
	num     uint32
	totalNs uint64
	pauses  [256]uint64 // runtime.MemStats.PauseNs: the last 256 pauses, a ring
}

// since is the number of GC pauses between a and b, their total and the
// longest (of the last 256: the runtime keeps no more).
func (b gcStat) since(a gcStat) (n int64, total, longest time.Duration) {
	n = int64(b.num - a.num)
	for i := int64(0); i < min(n, 256); i++ {
		longest = max(longest, time.Duration(b.pauses[(int64(b.num)-1-i+256)%256]))
	}
	return n, time.Duration(b.totalNs - a.totalNs), longest
}

// Sample is this process at one moment: what its own cost over a window
// is computed from.
type Sample struct {
	CPU        time.Duration
	RunWait    time.Duration // runnable, waiting for a CPU
	RSS        int64
	Heap       uint64 // heap + stacks in use, after a GC
	Goroutines int
	// The GC before the sample's forced collection (where a window ends)
	// and after it (where a window starts), and the CPU after it (CPU is
	// read before it): the sample's own collection falls in no window.
	gcEnd, gcStart      gcStat
	cpuStart, waitStart time.Duration
}

func readGC() (gcStat, runtime.MemStats) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return gcStat{num: ms.NumGC, totalNs: ms.PauseTotalNs, pauses: ms.PauseNs}, ms
}

// SampleSelf samples this process, collecting garbage so the heap is live
// memory.
func SampleSelf() Sample {
	var s Sample
	if ps, err := proc.Read(os.Getpid()); err == nil {
		s.CPU, s.RunWait, s.RSS = ps.CPU, ps.RunWait, ps.RSS
	}
	s.gcEnd, _ = readGC()
	runtime.GC()
	var ms runtime.MemStats
	s.gcStart, ms = readGC()
	s.Heap, s.Goroutines = ms.HeapInuse+ms.StackInuse, runtime.NumGoroutine()
	s.cpuStart, s.waitStart = s.CPU, s.RunWait
	if ps, err := proc.Read(os.Getpid()); err == nil {
		s.cpuStart, s.waitStart = ps.CPU, ps.RunWait
	}
	return s
}

// Alone adds the starvation verdict to res, the usage of a load generator
// that has its cores to itself (no sibling worker pinned beside it): what
// it used and what it waited for a CPU together past SaturatedAt.
func Alone(res *results.Resources) {
	if res.Saturated == "" {
		res.Saturated = Saturation(res.CPUUtilization, res.RunWaitShare, res.Cores)
	}
}

// Saturation is the verdict on a load generator that used cpu and waited wait (as
// shares of its cores): saturated when what it used, or what it wanted
// (used plus waited for), passed SaturatedAt. A generator whose threads
// wait for its core (for one another, or for another process there) uses
// less CPU than it wants: its clients fell behind all the same.
func Saturation(cpu, wait, cores float64) string {
	switch {
	case cpu > SaturatedAt:
		return fmt.Sprintf("load generator at %.0f%% of %g CPU", 100*cpu, cores)
	case cpu+wait > SaturatedAt:
		return fmt.Sprintf("load generator wanted more than its cores: it ran %.0f%% of %g CPU and its threads waited %.0f%% more for one (for each other, or for another process on its cores)", 100*cpu, cores, 100*wait)
	}
	return ""
}

// PeakSaturatedAt is the share of its cores over PeakEvery above which a
// load generator is taken to have been the bottleneck for that burst.
const (
	PeakSaturatedAt = 0.95
	PeakEvery       = 100 * time.Millisecond
)

// cpuPeak samples this process's CPU every PeakEvery and keeps the highest
// share of its cores used over one interval.
type cpuPeak struct {
	stop, done chan struct{}
	peak       float64
}

func watchCPUPeak(cores float64) *cpuPeak {
	p := &cpuPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(PeakEvery)
		defer tick.Stop()
		last, lastAt, err := selfCPU()
		for err == nil {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			var now time.Duration
			var at time.Time
			if now, at, err = selfCPU(); err == nil {
				if dt := at.Sub(lastAt).Seconds(); dt > 0 {
					p.peak = max(p.peak, (now-last).Seconds()/dt/cores)
				}
				last, lastAt = now, at
			}
		}
		<-p.stop
	}()
	return p
}

// selfCPU is this process's user and system CPU so far, from one
// getrusage call: the sampler runs every PeakEvery beside up to 20,000
// sockets, where a full proc.Read (a listing of /proc/self/fd and a
// schedstat file per thread) cost more CPU than the clients it watched.
func selfCPU() (time.Duration, time.Time, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, time.Time{}, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Now(), nil
}

// Stop ends the sampling and returns the peak (nil-safe, idempotent
// through the caller's ownership).
func (p *cpuPeak) Stop() float64 {
	if p == nil {
		return 0
	}
	close(p.stop)
	<-p.done
	return p.peak
}

// peakVerdict records the window's 100 ms CPU peak in res and, past
// PeakSaturatedAt, says the generator was saturated in a burst (when
// nothing else already did).
func peakVerdict(res *results.Resources, peak float64) {
	res.CPUPeak = peak
	if peak > PeakSaturatedAt && res.Saturated == "" {
		res.Saturated = fmt.Sprintf("load generator at %.0f%% of %g CPU over %v at least once (a burst the window's mean of %.0f%% hides)",
			100*peak, res.Cores, PeakEvery, 100*res.CPUUtilization)
	}
}

// LoopLagSaturated is how far behind its schedule a reactor loop may run
// before the load generator is taken to be the bottleneck: its reads, and
// the latencies timed at them, waited that long.
const LoopLagSaturated = 100 * time.Millisecond

// lagVerdict records a window's reactor loop lag in res and, past
// LoopLagSaturated, says the generator was saturated (when nothing else
// already did).
func lagVerdict(res *results.Resources, lag time.Duration) {
	if lag <= 0 {
		return
	}
	res.LoopLagMaxUs = float64(lag.Microseconds())
	if lag > LoopLagSaturated && res.Saturated == "" {
		res.Saturated = fmt.Sprintf("a reactor loop ran up to %v behind its schedule (over %v): reads waited on it", lag.Round(time.Millisecond), LoopLagSaturated)
	}
}

// ClientLagSaturated is the mean time a read's newest bytes may wait in
// the socket before the load generator is taken to be late reading them.
const ClientLagSaturated = 10 * time.Millisecond

// waitVerdict records how long reads' bytes waited in their sockets (n
// stamped reads) and, past ClientLagSaturated on average, says the
// generator was saturated (when nothing else already did).
func waitVerdict(res *results.Resources, n int64, mean, longest time.Duration) {
	if n == 0 {
		return
	}
	res.ClientLagMeanUs, res.ClientLagMaxUs = float64(mean.Microseconds()), float64(longest.Microseconds())
	if mean > ClientLagSaturated && res.Saturated == "" {
		res.Saturated = fmt.Sprintf("reads' bytes waited %v on average in the sockets (kernel receive timestamps; over %v): the client read late", mean.Round(time.Microsecond), ClientLagSaturated)
	}
}

// Usage is the process's cost and health over a window from s0 to s1
// holding clients connections, against before (no clients yet): CPU as a
// share of the cores it may use, RSS, heap and goroutines per connection,
// GC pauses, and whether it was saturated.
func Usage(before, s0, s1 Sample, window time.Duration, clients int, delivered int64) results.Resources {
	cpu := (s1.CPU - s0.cpuStart).Seconds() // from after s0's collection to before s1's
	res := results.Resources{CPUSeconds: cpu, RSSBytes: s1.RSS, HeapBytes: int64(s1.Heap), Goroutines: s1.Goroutines,
		Cores: float64(runtime.GOMAXPROCS(0))}
	if window > 0 {
		res.CPUUtilization = cpu / window.Seconds() / res.Cores
		res.RunWaitShare = max(0, (s1.RunWait-s0.waitStart).Seconds()) / window.Seconds() / res.Cores
	}
	n, total, longest := s1.gcEnd.since(s0.gcStart)
	res.GCPauses, res.GCPauseTotalUs, res.GCPauseMaxUs = n, float64(total)/1e3, float64(longest)/1e3
	// The run-queue wait is recorded here, judged where the process is
	// known to be alone on its cores (Alone): workers pinned together wait
	// on each other, and their threads' waits add up past what any of
	// them lacked (3 workers on one core at 23% each waited 145% apiece).
	res.Saturated = Saturation(res.CPUUtilization, 0, res.Cores)
	if c := float64(clients); c > 0 {
		res.RSSPerConn = float64(s1.RSS-before.RSS) / c
		res.HeapPerConn = (float64(s1.Heap) - float64(before.Heap)) / c
		res.GoroutinesPerConn = float64(s1.Goroutines-before.Goroutines) / c
		if window > 0 {
			res.CPUPerConnSecUs = cpu * 1e6 / c / window.Seconds()
		}
	}
	if delivered > 0 {
		res.CPUPerMessageUs = cpu * 1e6 / float64(delivered)
	}
	return res
}
