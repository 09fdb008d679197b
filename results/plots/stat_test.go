package plots

import (
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot/plotter"

	"github.com/pushbench/pushbench/results"
)

func histOf(vals ...int64) *hdrhistogram.Histogram {
	h := hdrhistogram.New(1, 60_000_000, 3)
	for _, v := range vals {
		_ = h.RecordValue(v)
	}
	return h
}

func latencyRec(tr string, rep int, h *hdrhistogram.Histogram) results.Record {
	return results.Record{Schema: results.SchemaVersion, Scenario: "latency", Transport: tr, Repetition: rep,
		Params:   results.Params{Clients: 10},
		Delivery: results.Delivery{Counts: results.Counts{Delivered: h.TotalCount()}},
		Latency:  results.Summarize(h), LatencyHist: h.Export()}
}

// The p99 a plot marks is the tables' p99: the median of the repetitions'
// p99s, not the p99 of their merged histograms, which here differ.
func TestMarkersAreTheTablesStatistic(t *testing.T) {
	fast, slow := make([]int64, 0, 100), make([]int64, 0, 300)
	for i := 0; i < 100; i++ {
		fast = append(fast, 1000)
	}
	for i := 0; i < 300; i++ {
		slow = append(slow, 5000)
	}
	recs := []results.Record{latencyRec("websocket", 1, histOf(fast...)), latencyRec("websocket", 2, histOf(slow...)), latencyRec("websocket", 3, histOf(fast...))}
	d, err := newDataset(recs)
	if err != nil {
		t.Fatal(err)
	}
	s := d.get("latency", 0, "websocket")
	merged := float64(s.hist.ValueAtQuantile(99))
	g := results.GroupRecords(recs)[0]
	want := g.StatByName("p99").Center
	if merged == want {
		t.Fatalf("test data do not separate the two p99s (both %v)", want)
	}
	var got float64
	for _, pt := range statMarks(s, func(q, v float64) plotter.XY { return plotter.XY{X: q, Y: v} }) {
		if pt.X == 99 {
			got = pt.Y
		}
	}
	if got != want {
		t.Errorf("p99 marker at %v µs, the tables' p99 is %v (merged histogram: %v)", got, want, merged)
	}
}

// A saturated load generator is marked in the legend and the title.
func TestSaturatedMarkedInPlots(t *testing.T) {
	recs := []results.Record{latencyRec("websocket", 1, histOf(1000, 2000)), latencyRec("rawtcp", 1, histOf(900, 1800))}
	recs[0].Loadgen.Saturated = "load generator at 97% of 1 CPU"
	d, err := newDataset(recs)
	if err != nil {
		t.Fatal(err)
	}
	charts, err := buildCharts(d)
	if err != nil || len(charts) == 0 {
		t.Fatalf("no charts: %v", err)
	}
	for _, c := range charts {
		if !strings.Contains(c.fig.plot.Title.Text, "‡ load generator saturated") {
			t.Errorf("%s: title %q lacks the saturation mark", c.name, c.fig.plot.Title.Text)
		}
		if c.fig.marks["websocket"] == "" || c.fig.marks["rawtcp"] != "" {
			t.Errorf("%s: legend marks %v, want websocket only", c.name, c.fig.marks)
		}
	}
}
