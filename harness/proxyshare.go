package harness

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"

	pprofile "github.com/google/pprof/profile"
)

// The in-process proxy (toxiproxy, the idle closer) runs on goroutines
// labelled proxyLabel: they are started under the label and every
// goroutine they start inherits it. A CPU profile over the window then
// tells the proxy's share of the load generator's CPU apart from the
// clients', which per-thread /proc figures cannot.
const proxyLabelKey, proxyLabel = "pushbench", "proxy"

// labelProxy runs start (which starts the in-process proxy) under the
// proxy label.
func labelProxy(start func()) {
	pprof.Do(context.Background(), pprof.Labels(proxyLabelKey, proxyLabel), func(context.Context) { start() })
}

// cpuShare profiles this process's CPU by label for a window.
type cpuShare struct {
	buf bytes.Buffer
	on  bool
}

// startCPUShare starts profiling; when a profile is already running (a
// test run with -cpuprofile), it says so and measures nothing.
func startCPUShare() (*cpuShare, error) {
	c := &cpuShare{}
	if err := pprof.StartCPUProfile(&c.buf); err != nil {
		return c, fmt.Errorf("the in-process proxy's CPU share is not measured: %w", err)
	}
	c.on = true
	return c, nil
}

// stop ends the profile and returns the share of the sampled CPU that ran
// under the proxy label (0..1) and the number of samples it rests on (the
// profile samples at 100 Hz: a quiet window gives a rough share).
func (c *cpuShare) stop() (share float64, samples int64, err error) {
	if !c.on {
		return 0, 0, nil
	}
	c.on = false
	pprof.StopCPUProfile()
	p, err := pprofile.Parse(&c.buf)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to read the CPU profile for the proxy's share: %w", err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			idx = i
		}
	}
	if idx < 0 {
		return 0, 0, fmt.Errorf("the CPU profile has no cpu samples")
	}
	var all, proxy int64
	for _, s := range p.Sample {
		v := s.Value[idx]
		all += v
		samples += s.Value[0]
		for _, l := range s.Label[proxyLabelKey] {
			if l == proxyLabel {
				proxy += v
			}
		}
	}
	if all == 0 {
		return 0, samples, nil
	}
	return float64(proxy) / float64(all), samples, nil
}
