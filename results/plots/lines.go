package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pushbench/pushbench/results"
)

// span tracks the positive range of the values drawn on log axes.
type span struct{ min, max float64 }

func newSpan() span { return span{math.Inf(1), 0} }

// add widens the span by v, ignoring values a log axis cannot show.
func (s *span) add(v float64) {
	if v > 0 && !math.IsInf(v, 0) {
		s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
	}
}

func (s span) ok() bool { return s.max > 0 }

// addCurve draws one transport's points as a line with its markers and
// adds it to the legend.
func addCurve(f *figure, ls *layers, tr drawn, pts plotter.XYs) error {
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("failed to plot %s: %w", tr.name, err)
	}
	line.LineStyle, scatter.GlyphStyle = tr.look.line(), tr.look.marker()
	ls.add(tr, line, scatter)
	f.add(tr.name, line, scatter)
	return nil
}

// refLine is a grey dotted reference line through pts (an SLO, the ideal).
func refLine(f *figure, name string, pts plotter.XYs) (*plotter.Line, error) {
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("failed to plot %s: %w", name, err)
	}
	line.LineStyle = draw.LineStyle{Color: refColor, Width: vg.Points(1.5), Dashes: refDashes}
	f.add(name, line)
	return line, nil
}

// stepCurves draws one line per transport of sc through its steps, each
// point (x, y) from at, which says whether the step has one; xs and ys
// span what was drawn.
func stepCurves(d *dataset, sc string, f *figure, ls *layers, at func(s *series) (x, y float64, ok bool)) (xs, ys span, err error) {
	xs, ys = newSpan(), newSpan()
	for _, tr := range d.transports(sc) {
		var pts plotter.XYs
		for _, step := range d.steps(sc) {
			s := d.get(sc, step, tr)
			if s == nil {
				continue
			}
			x, y, ok := at(s)
			if !ok {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
			xs.add(x)
			ys.add(y)
		}
		if len(pts) > 0 {
			if err := addCurve(f, ls, d.drawn(tr), pts); err != nil {
				return xs, ys, err
			}
		}
	}
	return xs, ys, nil
}

// fanoutChart is p99 latency against connected clients (log-log), one line
// per transport, with the scenario's p99 SLO.
func fanoutChart(d *dataset, sc string) (*chart, error) {
	p := newPlot(sc+": p99 latency vs connected clients", "connected clients (log scale)", "p99 latency (ms, log scale)")
	f := newFigure(p)
	var ls layers
	var slo float64
	xs, ys, err := stepCurves(d, sc, f, &ls, func(s *series) (float64, float64, bool) {
		slo = math.Max(slo, float64(s.params().SLOP99Us)/1000)
		clients := float64(s.params().Clients)
		p99, ok := s.metric("p99")
		return clients, p99 / 1000, ok && clients > 0 && p99 > 0
	})
	if err != nil {
		return nil, err
	}
	if !xs.ok() {
		return nil, nil
	}
	p.Add(grid())
	if slo > 0 {
		ys.add(slo)
		lo, hi := xs.min/1.5, xs.max*1.5
		line, err := refLine(f, fmt.Sprintf("SLO: p99 %s ms", formatNumber(slo)), plotter.XYs{{X: lo, Y: slo}, {X: hi, Y: slo}})
		if err != nil {
			return nil, err
		}
		p.Add(line)
	}
	ls.addTo(p)
	logAxis(&p.X, xs.min/1.5, xs.max*1.5)
	logAxis(&p.Y, ys.min/1.5, ys.max*1.5)
	return &chart{name: sc + "-p99", scenario: sc, fig: f}, nil
}

// throughputChart is delivered against offered message rate (log-log),
// one line per transport, with the ideal delivered = offered.
func throughputChart(d *dataset, sc string) (*chart, error) {
	p := newPlot(sc+": delivered vs offered message rate", "offered (msgs/s to all clients, log scale)", "delivered (msgs/s, log scale)")
	f := newFigure(p)
	var ls layers
	all := newSpan()
	_, _, err := stepCurves(d, sc, f, &ls, func(s *series) (float64, float64, bool) {
		offered := s.median(offeredRate)
		delivered, ok := s.metric("delivered-rate")
		if !ok || offered <= 0 || delivered <= 0 {
			return 0, 0, false
		}
		all.add(offered)
		all.add(delivered)
		return offered, delivered, true
	})
	if err != nil {
		return nil, err
	}
	if !all.ok() {
		return nil, nil
	}
	lo, hi := all.min/1.5, all.max*1.5
	p.Add(grid())
	ideal, err := refLine(f, "ideal: delivered = offered", plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	p.Add(ideal)
	ls.addTo(p)
	logAxis(&p.X, lo, hi)
	logAxis(&p.Y, lo, hi)
	return &chart{name: sc + "-delivered", scenario: sc, fig: f}, nil
}

// offeredRate is a record's offered rate over all clients in msgs/s: as
// measured, or else the step's publish rate times the clients.
func offeredRate(r results.Record) float64 {
	if r.Delivery.OfferedPerS > 0 {
		return r.Delivery.OfferedPerS
	}
	return r.Params.Rate * float64(r.Params.Clients)
}

// instrumentGoal is the most the load generator's CPU per delivered
// message may be as a share of the server's (the report's goal line).
const instrumentGoal = 1.0 / 3

// cpuRatio is a record's load-generator CPU per delivered message over
// the server's, 0 when either was not measured.
func cpuRatio(r results.Record) float64 {
	if r.Loadgen.CPUPerMessageUs <= 0 || r.Server.CPUPerMessageUs <= 0 || !r.Server.Measured("cpu") {
		return 0
	}
	return r.Loadgen.CPUPerMessageUs / r.Server.CPUPerMessageUs
}

// instrumentChart is the load generator's CPU per delivered message as a
// share of the server's against the step (clients for a fanout, offered
// rate for a throughput scenario; log-log), one line per transport, with
// the goal at 1/3: under it, the instrument is lighter than what it
// measures.
func instrumentChart(d *dataset, sc string) (*chart, error) {
	fanout := roleOf(sc) == "fanout"
	xlabel := "offered (msgs/s to all clients, log scale)"
	if fanout {
		xlabel = "connected clients (log scale)"
	}
	p := newPlot(sc+": load generator CPU per message / server's", xlabel, "ratio (log scale)")
	f := newFigure(p)
	var ls layers
	xs, ys, err := stepCurves(d, sc, f, &ls, func(s *series) (float64, float64, bool) {
		x := s.median(offeredRate)
		if fanout {
			x = float64(s.params().Clients)
		}
		var rs []float64
		for _, r := range s.recs {
			if v := cpuRatio(r); v > 0 {
				rs = append(rs, v)
			}
		}
		ratio := median(rs) // over the repetitions that measured both; NaN without one
		return x, ratio, x > 0 && ratio > 0
	})
	if err != nil {
		return nil, err
	}
	if !xs.ok() {
		return nil, nil
	}
	if err := ratioAxes(p, f, &ls, xs, ys, instrumentGoal, "goal: at most 1/3 of the server's", 1.5); err != nil {
		return nil, err
	}
	return &chart{name: sc + "-instrument", scenario: sc, fig: f}, nil
}

// ratioAxes finishes a log-log plot of ratios: the grid, a horizontal
// reference line at y named name across the curves' x span, the curves
// over it, and both axes fitted (y's bottom at ys.min/yLo).
func ratioAxes(p *plot.Plot, f *figure, ls *layers, xs, ys span, y float64, name string, yLo float64) error {
	ys.add(y)
	lo, hi := xs.min/1.5, xs.max*1.5
	p.Add(grid())
	ref, err := refLine(f, name, plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}})
	if err != nil {
		return err
	}
	p.Add(ref)
	ls.addTo(p)
	logAxis(&p.X, lo, hi)
	logAxis(&p.Y, ys.min/yLo, ys.max*1.5)
	return nil
}
