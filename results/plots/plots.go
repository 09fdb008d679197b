// Package plots draws pushbench's charts from result records with
// gonum.org/v1/plot: latency percentile spectra, a latency CDF, fanout and
// throughput curves, idle costs, wire bytes per message and chat latency.
//
// Every chart is 8 x 5 inches (PNG at 120 DPI, and SVG), has a title, axes
// labelled with units and a legend to the right of the data. Each transport
// keeps one colour and marker on every chart; the raw-TCP floor is black
// and dashed. Repetitions of a (scenario, step, transport) are combined
// by the one statistic of results.Stat: every plotted number (a point, a
// bar, a percentile marker) is the median over the repetitions of each
// repetition's own figure, as in the tables. Only the shape of a latency
// spectrum or CDF line is drawn from the repetitions' histograms merged,
// which is the distribution of all their messages pooled. Records with an
// Error, and interrupted ones, are left out; a transport whose load
// generator was saturated is marked "‡" in the legend and the title.
package plots

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// Plot is one rendered chart.
type Plot struct {
	Name     string // file stem, e.g. "latency-spectrum"
	Title    string
	Scenario string
	PNG, SVG string // paths relative to the output dir, e.g. "plots/latency-spectrum.png"
}

// chart is a figure waiting to be saved.
type chart struct {
	name     string
	scenario string
	fig      *figure
}

// Render draws every plot the records support into dir/plots/ (PNG and SVG
// each) and returns them in a stable order: by scenario in suite order,
// each scenario's own charts before its latency spectrum.
func Render(dir string, recs []results.Record) ([]Plot, error) {
	d, err := newDataset(recs)
	if err != nil {
		return nil, err
	}
	charts, err := buildCharts(d)
	if err != nil {
		return nil, err
	}
	if len(charts) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", filepath.Join(dir, "plots"), err)
	}
	out := make([]Plot, 0, len(charts))
	for _, c := range charts {
		pl := Plot{
			Name:     c.name,
			Title:    c.fig.plot.Title.Text,
			Scenario: c.scenario,
			PNG:      "plots/" + c.name + ".png",
			SVG:      "plots/" + c.name + ".svg",
		}
		if err := c.fig.save(filepath.Join(dir, pl.PNG), filepath.Join(dir, pl.SVG)); err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	return out, nil
}

// builder makes one chart of a scenario, or nil when the data do not
// support it.
type builder func(d *dataset, scenario string) (*chart, error)

// builders are each scenario's charts; every scenario with latency data
// also gets a spectrum.
var builders = map[string][]builder{
	"latency":    {spectrumChart, cdfChart},
	"fanout":     {fanoutChart, spectrumChart, instrumentChart},
	"throughput": {throughputChart, spectrumChart, instrumentChart},
	"idle":       {idleMemoryChart, idleBytesChart},
	"payload":    {payloadBytesChart, payloadOverheadChart, spectrumChart},
	"chat":       {chatChart, spectrumChart},
}

// scaleBuilders are the scale suite's: every per-connection cost against
// the connection count, and for fan-out the p99 too.
var scaleBuilders = map[string][]builder{
	"scale-idle":   {},
	"scale-fanout": {fanoutChart, spectrumChart},
	"fanout-1m":    {fanoutChart, spectrumChart},
}

// roleOf is the scenario whose charts sc gets: the targets and stacks
// suites' scenarios (targets-latency, stacks-fanout, ...) are drawn as
// the built-in they stand for, and stacks-idle, a ramp of connection
// counts, as scale-idle.
func roleOf(sc string) string {
	if sc == "stacks-idle" {
		return "scale-idle"
	}
	for _, p := range []string{"targets-", "stacks-"} {
		if role, ok := strings.CutPrefix(sc, p); ok {
			return role
		}
	}
	return sc
}

func buildCharts(d *dataset) ([]*chart, error) {
	var out []*chart
	for _, sc := range d.scenarios() {
		bs, ok := builders[roleOf(sc)]
		scale, isScale := scaleBuilders[roleOf(sc)]
		switch {
		case isScale:
			bs = scale
			cs, err := scaleCharts(d, sc)
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				c.fig.marks, c.fig.models = d.marks(sc), d.models
				out = append(out, c)
			}
		case !ok:
			bs = []builder{spectrumChart} // burst, churn and unknown scenarios
		}
		for _, b := range bs {
			c, err := b(d, sc)
			if err != nil {
				return nil, err
			}
			if c != nil {
				c.fig.marks, c.fig.models = d.marks(sc), d.models
				if len(c.fig.marks) > 0 {
					c.fig.plot.Title.Text += " (‡ load generator saturated)"
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}
