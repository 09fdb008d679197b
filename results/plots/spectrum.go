package plots

import (
	"fmt"
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// latencyStep is the step a scenario's latency charts show: its only step,
// or else the last step at which every transport of the scenario delivered
// messages. ok is false when there is no such step.
func latencyStep(d *dataset, sc string) (step int, ok bool) {
	steps := d.steps(sc)
	if len(steps) == 1 {
		for _, tr := range d.transports(sc) {
			if d.get(sc, steps[0], tr).hasLatency() {
				return steps[0], true
			}
		}
		return 0, false
	}
	for i := len(steps) - 1; i >= 0; i-- {
		all := true
		for _, tr := range d.transports(sc) {
			if s := d.get(sc, steps[i], tr); s == nil || !s.hasLatency() {
				all = false
				break
			}
		}
		if all {
			return steps[i], true
		}
	}
	return 0, false
}

// latencySeries are the series of a scenario's step that have latency
// data, in display order.
func latencySeries(d *dataset, sc string, step int) []*series {
	var out []*series
	for _, tr := range d.transports(sc) {
		if s := d.get(sc, step, tr); s != nil && s.hasLatency() {
			out = append(out, s)
		}
	}
	return out
}

// spectrumChart is the HdrHistogram-style percentile spectrum: x is
// 1/(1-q) on a log axis labelled as percentiles, y the latency in ms.
func spectrumChart(d *dataset, sc string) (*chart, error) {
	step, ok := latencyStep(d, sc)
	if !ok {
		return nil, nil
	}
	ss := latencySeries(d, sc, step)
	p := newPlot(fmt.Sprintf("%s: latency by percentile, %s%s", sc, stepDesc(ss[0]), pooledNote(ss)), "percentile (log scale of 1/(1-q))", "latency (ms, log scale)")
	f := newFigure(p)
	p.Add(grid())
	var lines layers
	xMax, yMin, yMax := 10.0, math.Inf(1), 0.0
	for _, s := range ss {
		pts, _ := spectrumPoints(s.hist)
		if len(pts) == 0 {
			continue
		}
		marks := statMarks(s, func(q, v float64) plotter.XY { return plotter.XY{X: 1 / (1 - q/100), Y: v / 1000} })
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("failed to plot the %s spectrum of %s: %w", sc, s.key.Transport, err)
		}
		scatter, err := plotter.NewScatter(marks)
		if err != nil {
			return nil, fmt.Errorf("failed to plot the %s spectrum of %s: %w", sc, s.key.Transport, err)
		}
		line.LineStyle, scatter.GlyphStyle = s.drawn.look.line(), s.drawn.look.marker()
		lines.add(s.drawn, line, scatter)
		f.add(s.key.Transport, line, scatter)
		xMax = math.Max(xMax, pts[len(pts)-1].X)
		for _, pt := range pts {
			yMin, yMax = math.Min(yMin, pt.Y), math.Max(yMax, pt.Y)
		}
	}
	if yMax == 0 {
		return nil, nil // only zero latencies: nothing to draw on a log axis
	}
	lines.addTo(p)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.TickerFunc(percentileTicks)
	p.X.Min, p.X.Max = 1, math.Pow(10, math.Ceil(math.Log10(xMax)))
	logAxis(&p.Y, yMin/1.3, yMax*1.3)
	return &chart{name: sc + "-spectrum", scenario: sc, fig: f}, nil
}

// spectrumPoints samples h at percentiles evenly spaced on the 1/(1-q)
// axis, up to the rank of the last message (q = 100% is infinite, so it is
// left out); marks are the points at 0%, 90%, 99%, ... for the markers.
// Latencies of zero cannot sit on a log axis and are dropped.
func spectrumPoints(h *hdrhistogram.Histogram) (pts, marks plotter.XYs) {
	xMax := math.Max(2, math.Min(float64(h.TotalCount()), 1e7))
	const samples = 240
	for i := 0; i <= samples; i++ {
		x := math.Pow(xMax, float64(i)/samples)
		if v := h.ValueAtQuantile(100 * (1 - 1/x)); v > 0 {
			pts = append(pts, plotter.XY{X: x, Y: float64(v) / 1000})
		}
	}
	for x := 1.0; x <= xMax; x *= 10 {
		if v := h.ValueAtQuantile(100 * (1 - 1/x)); v > 0 {
			marks = append(marks, plotter.XY{X: x, Y: float64(v) / 1000})
		}
	}
	return pts, marks
}

// layers collects each transport's plotters so that the floor can be
// drawn last, on top of the others.
type layers struct{ floor, others []plot.Plotter }

func (l *layers) add(tr drawn, ps ...plot.Plotter) {
	if tr.floor {
		l.floor = append(l.floor, ps...)
	} else {
		l.others = append(l.others, ps...)
	}
}

func (l *layers) addTo(p *plot.Plot) {
	p.Add(l.others...)
	p.Add(l.floor...)
}

// cdfChart is the latency scenario's cumulative distribution: x latency in
// ms (log), y the fraction of messages delivered within it. Only the
// latency scenario gets one; the spectra show the other scenarios' tails.
func cdfChart(d *dataset, sc string) (*chart, error) {
	step, ok := latencyStep(d, sc)
	if !ok {
		return nil, nil
	}
	ss := latencySeries(d, sc, step)
	p := newPlot(fmt.Sprintf("%s: latency CDF, %s%s", sc, stepDesc(ss[0]), pooledNote(ss)), "latency (ms, log scale)", "cumulative fraction of messages")
	f := newFigure(p)
	p.Add(grid())
	var lines layers
	xMin, xMax := math.Inf(1), 0.0
	for _, s := range ss {
		pts := cdfPoints(s.hist)
		if len(pts) == 0 {
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("failed to plot the %s CDF of %s: %w", sc, s.key.Transport, err)
		}
		// Markers at the tables' p50, p90, p99 and p99.9, as on the spectrum.
		marks := statMarks(s, func(q, v float64) plotter.XY { return plotter.XY{X: v / 1000, Y: q / 100} })
		scatter, err := plotter.NewScatter(marks)
		if err != nil {
			return nil, fmt.Errorf("failed to plot the %s CDF of %s: %w", sc, s.key.Transport, err)
		}
		line.LineStyle, scatter.GlyphStyle = s.drawn.look.line(), s.drawn.look.marker()
		lines.add(s.drawn, line, scatter)
		f.add(s.key.Transport, line, scatter)
		xMin, xMax = math.Min(xMin, pts[0].X), math.Max(xMax, pts[len(pts)-1].X)
	}
	if xMax == 0 {
		return nil, nil
	}
	lines.addTo(p)
	logAxis(&p.X, xMin/1.2, xMax*1.2)
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = fractionTicks
	return &chart{name: sc + "-cdf", scenario: sc, fig: f}, nil
}

// cdfPoints are (latency ms, cumulative fraction) at the upper edge of
// each non-empty histogram bucket, starting from 0 at the lowest bucket's
// lower edge; buckets at zero latency are counted but not drawn.
func cdfPoints(h *hdrhistogram.Histogram) plotter.XYs {
	total := float64(h.TotalCount())
	var pts plotter.XYs
	var cum int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		if len(pts) == 0 && b.From > 0 {
			pts = append(pts, plotter.XY{X: float64(b.From) / 1000, Y: float64(cum) / total})
		}
		cum += b.Count
		if b.To > 0 {
			pts = append(pts, plotter.XY{X: float64(b.To) / 1000, Y: float64(cum) / total})
		}
	}
	return pts
}

// stepDesc describes a series' step for a title: "1000 clients",
// "2000 msgs/s published to 4 clients", "1024-byte payload, 5 clients".
func stepDesc(s *series) string {
	p := s.params()
	clients := fmt.Sprintf("%d clients", p.Clients)
	switch s.recs[0].StepParam {
	case "rate":
		return fmt.Sprintf("%s msgs/s published to %s", formatNumber(s.stepValue), clients)
	case "payload":
		return fmt.Sprintf("%d-byte payload, %s", p.Payload, clients)
	}
	return clients
}

// markedQuantiles are the percentiles marked on spectra and CDFs, by
// metric name.
var markedQuantiles = []struct {
	q    float64
	name string
}{{50, "p50"}, {90, "p90"}, {99, "p99"}, {99.9, "p99.9"}}

// statMarks are the markers of a series: at each marked percentile, the
// one statistic of the tables (median over repetitions of each
// repetition's percentile), placed by at.
func statMarks(s *series, at func(q, v float64) plotter.XY) plotter.XYs {
	var out plotter.XYs
	for _, mq := range markedQuantiles {
		if v, ok := s.metric(mq.name); ok && v > 0 {
			out = append(out, at(mq.q, v))
		}
	}
	return out
}

// pooledNote explains the lines and markers when repetitions were pooled.
func pooledNote(ss []*series) string {
	n := 0
	for _, s := range ss {
		n = max(n, len(s.recs))
	}
	if n <= 1 {
		return " (markers: p50, p90, p99, p99.9)"
	}
	return fmt.Sprintf(" (lines: %d repetitions pooled; markers: median of their p50, p90, p99, p99.9)", n)
}
