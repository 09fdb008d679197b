package plots

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pushbench/pushbench/results"
)

// payloadPoint is one transport's measurement at one payload size.
type payloadPoint struct {
	payload, messageBytes, bytesPerMsg float64 // messageBytes: as the transport carries it
	minimum                            float64 // the protocol's minimum for the message (results.MinimumOf)
}

// payloadPoints are a transport's steps that delivered messages.
func payloadPoints(d *dataset, sc, tr string) []payloadPoint {
	var out []payloadPoint
	for _, step := range d.steps(sc) {
		s := d.get(sc, step, tr)
		if s == nil {
			continue
		}
		bpm, ok := s.metric("bytes-per-msg")
		payload := float64(s.params().Payload)
		if !ok || bpm <= 0 || payload <= 0 {
			continue
		}
		out = append(out, payloadPoint{payload, float64(results.MessageBytesOf(s.recs[0])), bpm, float64(results.MinimumOf(s.recs[0]))})
	}
	return out
}

// payloadBytesChart is bytes on the wire per delivered message against
// payload size (log-log), one line per transport, each with its
// protocol's minimum (from its facts, results.MinimumOf) dotted in the
// same colour.
func payloadBytesChart(d *dataset, sc string) (*chart, error) {
	p := newPlot(sc+": bytes on the wire per delivered message (both directions)", "payload (bytes, log scale)", "bytes per delivered message (log scale)")
	f := newFigure(p)
	var ls layers
	xs, ys := newSpan(), newSpan()
	for _, tr := range d.transports(sc) {
		var measured, minimum plotter.XYs
		for _, pt := range payloadPoints(d, sc, tr) {
			measured = append(measured, plotter.XY{X: pt.payload, Y: pt.bytesPerMsg})
			xs.add(pt.payload)
			ys.add(pt.bytesPerMsg)
			if pt.messageBytes > 0 {
				m := pt.minimum
				minimum = append(minimum, plotter.XY{X: pt.payload, Y: m})
				ys.add(m)
			}
		}
		if len(measured) == 0 {
			continue
		}
		if err := addCurve(f, &ls, d.drawn(tr), measured); err != nil {
			return nil, err
		}
		if len(minimum) > 0 {
			line, err := plotter.NewLine(minimum)
			if err != nil {
				return nil, fmt.Errorf("failed to plot the minimum of %s: %w", tr, err)
			}
			line.LineStyle = draw.LineStyle{Color: d.drawn(tr).look.color, Width: vg.Points(1.2), Dashes: refDashes}
			ls.add(d.drawn(tr), line)
		}
	}
	if !xs.ok() {
		return nil, nil
	}
	// A legend entry only: each minimum is drawn in its transport's colour.
	f.add("protocol minimum", &plotter.Line{LineStyle: draw.LineStyle{Color: refColor, Width: vg.Points(1.2), Dashes: refDashes}})
	p.Add(grid())
	ls.addTo(p)
	logAxis(&p.X, xs.min/1.5, xs.max*1.5)
	logAxis(&p.Y, ys.min/1.5, ys.max*1.5)
	return &chart{name: sc + "-bytes", scenario: sc, fig: f}, nil
}

// payloadOverheadChart is the wire overhead ratio, bytes on the wire per
// delivered message / message bytes, against payload size; 1 means no
// overhead at all.
func payloadOverheadChart(d *dataset, sc string) (*chart, error) {
	p := newPlot(sc+": wire overhead (wire bytes / message bytes)", "payload (bytes, log scale)", "bytes on the wire / message bytes (log scale)")
	f := newFigure(p)
	var ls layers
	xs, ys := newSpan(), newSpan()
	for _, tr := range d.transports(sc) {
		var pts plotter.XYs
		for _, pt := range payloadPoints(d, sc, tr) {
			if pt.messageBytes <= 0 {
				continue
			}
			r := pt.bytesPerMsg / pt.messageBytes
			pts = append(pts, plotter.XY{X: pt.payload, Y: r})
			xs.add(pt.payload)
			ys.add(r)
		}
		if len(pts) > 0 {
			if err := addCurve(f, &ls, d.drawn(tr), pts); err != nil {
				return nil, err
			}
		}
	}
	if !xs.ok() {
		return nil, nil
	}
	if err := ratioAxes(p, f, &ls, xs, ys, 1, "no overhead (ratio 1)", 1.3); err != nil {
		return nil, err
	}
	return &chart{name: sc + "-overhead", scenario: sc, fig: f}, nil
}
