package plots

import (
	"fmt"

	"gonum.org/v1/plot/plotter"

	"github.com/pushbench/pushbench/results"
)

// perConn is one per-connection cost plotted against the connection count.
type perConn struct {
	name, title, unit string
	value             func(results.Record) float64 // in unit
}

// scaleCosts are what each connection costs at each count: the scale
// scenarios' question.
var scaleCosts = []perConn{
	{"server-memory", "server RSS per connection", "KiB", func(r results.Record) float64 { return r.Server.RSSPerConn / 1024 }},
	{"loadgen-memory", "load-generator RSS per connection", "KiB", func(r results.Record) float64 { return r.Loadgen.RSSPerConn / 1024 }},
	{"server-cpu", "server CPU per connection-second", "µs", func(r results.Record) float64 { return r.Server.CPUPerConnSecUs }},
	{"connect", "time to connect every client", "s", func(r results.Record) float64 { return r.Loadgen.ConnectS }},
}

// scaleCharts draws each of scaleCosts against the connected clients
// (log x), one line per transport, from the steps that ran without error.
func scaleCharts(d *dataset, sc string) ([]*chart, error) {
	var out []*chart
	for _, c := range scaleCosts {
		p := newPlot(fmt.Sprintf("%s: %s vs connected clients", sc, c.title), "connected clients (log scale)", fmt.Sprintf("%s (%s)", c.title, c.unit))
		f := newFigure(p)
		var ls layers
		xs := newSpan()
		for _, tr := range d.transports(sc) {
			var pts plotter.XYs
			for _, step := range d.steps(sc) {
				s := d.get(sc, step, tr)
				if s == nil || s.params().Clients <= 0 {
					continue
				}
				var ok []results.Record
				for _, r := range s.recs {
					if r.Error == "" && !r.Interrupted {
						ok = append(ok, r)
					}
				}
				if len(ok) == 0 {
					continue
				}
				vs := make([]float64, len(ok))
				for i, r := range ok {
					vs[i] = c.value(r)
				}
				x := float64(s.params().Clients)
				pts = append(pts, plotter.XY{X: x, Y: median(vs)})
				xs.add(x)
			}
			if len(pts) > 0 {
				if err := addCurve(f, &ls, d.drawn(tr), pts); err != nil {
					return nil, err
				}
			}
		}
		if !xs.ok() || xs.min == xs.max {
			continue // one count says nothing about a curve
		}
		p.Add(grid())
		ls.addTo(p)
		logAxis(&p.X, xs.min/1.5, xs.max*1.5)
		p.Y.Min = 0
		out = append(out, &chart{name: sc + "-" + c.name, scenario: sc, fig: f})
	}
	return out, nil
}
