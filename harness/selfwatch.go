package harness

import (
	"fmt"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
)

// loadgenCores is the number of cores the load-generator side (the workers
// and this coordinator, which hosts any in-process proxy) shares: its
// utilisation is taken of these.
func (r *Runner) loadgenCores() float64 {
	if r.srvCPU >= 0 {
		return 1 // pinned: the workers and the coordinator share CPU 1
	}
	return float64(proc.CPUs())
}

// addProxy counts the in-process proxy's CPU (in this coordinator) on the
// load-generator side: its share, the utilisation of the shared cores and
// saturation are taken again with it.
func addProxy(res *results.Resources, proxyCPU float64, window time.Duration) {
	if proxyCPU <= 0 {
		return
	}
	res.CPUSeconds += proxyCPU
	res.ProxyCPUShare = proxyCPU / res.CPUSeconds
	if window > 0 && res.Cores > 0 {
		res.CPUUtilization = res.CPUSeconds / window.Seconds() / res.Cores
	}
	if res.Saturated == "" && res.CPUUtilization > loadgen.SaturatedAt {
		res.Saturated = fmt.Sprintf("load generator at %.0f%% of %g CPU", 100*res.CPUUtilization, res.Cores)
	}
	if res.Saturated != "" {
		res.Saturated += fmt.Sprintf(", %.0f%% of it the in-process proxy", 100*res.ProxyCPUShare)
	}
}
