package plots

import (
	"fmt"
	"math"
)

// singleStep is the series of a one-step scenario (its last step when
// there are several) that have data, in display order, with the step's
// description.
func singleStep(d *dataset, sc string) ([]*series, string) {
	steps := d.steps(sc)
	if len(steps) == 0 {
		return nil, ""
	}
	step := steps[len(steps)-1]
	var out []*series
	for _, tr := range d.transports(sc) {
		if s := d.get(sc, step, tr); s != nil {
			out = append(out, s)
		}
	}
	return out, stepDesc(out[0])
}

// metricBars are bars of the named metrics (one group each), one series
// per transport, with values divided by scale; it reports whether any
// value is present.
func metricBars(f *figure, ss []*series, names []string, scale float64) (*bars, bool) {
	b := &bars{groups: make([]string, len(names))}
	found := false
	for _, s := range ss {
		bs := barSeries{color: s.drawn.look.color, values: make([]float64, len(names))}
		for i, n := range names {
			v, ok := s.metric(n)
			bs.values[i] = math.NaN()
			if ok {
				bs.values[i], found = v/scale, true
			}
		}
		b.series = append(b.series, bs)
		f.add(s.key.Transport, swatch{bs.color})
	}
	return b, found
}

// idleMemoryChart compares memory per idle connection: server RSS and
// heap, and the load generator's heap, in KiB.
func idleMemoryChart(d *dataset, sc string) (*chart, error) {
	ss, desc := singleStep(d, sc)
	if len(ss) == 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("%s: memory per connection, %s", sc, desc), "", "memory per connection (KiB)")
	f := newFigure(p)
	b, ok := metricBars(f, ss, []string{"server-rss-per-conn", "server-heap-per-conn", "loadgen-heap-per-conn"}, 1024)
	if !ok {
		return nil, nil
	}
	b.groups = []string{"server RSS", "server heap + stacks", "load generator heap + stacks"}
	addBars(f, b)
	return &chart{name: sc + "-memory", scenario: sc, fig: f}, nil
}

// idleBytesChart compares the traffic an idle connection costs, in bytes
// per connection-minute (keep-alives, polls, headers), on a log axis when
// the transports differ by orders of magnitude.
func idleBytesChart(d *dataset, sc string) (*chart, error) {
	ss, desc := singleStep(d, sc)
	if len(ss) == 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("%s: traffic per idle connection, %s", sc, desc), "", "bytes per connection-minute")
	f := newFigure(p)
	b, ok := metricBars(f, ss, []string{"bytes-per-conn-min"}, 1)
	if !ok {
		return nil, nil
	}
	b.groups = []string{"both directions, counted at the client sockets"}
	b.log = b.needsLog(20)
	if b.log {
		p.Y.Label.Text += " (log scale; 0 = no bar)"
	}
	addBars(f, b)
	return &chart{name: sc + "-bytes", scenario: sc, fig: f}, nil
}

// chatChart compares chat's send-to-receive latency, p50 and p99 per
// transport, in ms.
func chatChart(d *dataset, sc string) (*chart, error) {
	ss, desc := singleStep(d, sc)
	if len(ss) == 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("%s: send-to-receive latency, %s", sc, desc), "", "latency (ms)")
	f := newFigure(p)
	b, ok := metricBars(f, ss, []string{"p50", "p99"}, 1000)
	if !ok {
		return nil, nil
	}
	b.groups = []string{"p50", "p99"}
	b.log = b.needsLog(20)
	if b.log {
		p.Y.Label.Text = "latency (ms, log scale)"
	}
	addBars(f, b)
	return &chart{name: sc + "-latency", scenario: sc, fig: f}, nil
}
