package plots

import (
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// A title wider than its plot is broken into lines that each fit, with
// every word kept in order; one that fits stays one line.
func TestWrapTitleFits(t *testing.T) {
	p := newPlot("", "", "")
	sty := p.Title.TextStyle
	long := "targets-latency: latency by percentile, 100 clients (lines: 4 repetitions pooled; markers: median of their p50, p90, p99, p99.9)"
	width := vg.Points(330)
	if sty.Width(long) <= width {
		t.Fatalf("the test title fits %v already", width)
	}
	got := wrap(sty, long, width)
	lines := strings.Split(got, "\n")
	if len(lines) < 2 {
		t.Fatalf("wrapped into %d line", len(lines))
	}
	for _, l := range lines {
		if sty.Width(l) > width {
			t.Errorf("line %q is %v wide, over %v", l, sty.Width(l), width)
		}
	}
	if strings.Join(strings.Fields(got), " ") != long {
		t.Errorf("words changed: %q", got)
	}
	if short := "idle: memory per connection"; wrap(sty, short, width) != short {
		t.Errorf("a title that fits was wrapped: %q", wrap(sty, short, width))
	}
}

// Drawing a figure wraps its title for the canvas but leaves the plot's
// title as it was: the report uses it as the image's text.
func TestDrawKeepsTheTitle(t *testing.T) {
	title := strings.Repeat("a long title word ", 12)
	f := newFigure(newPlot(title, "x", "y"))
	f.plot.Add(grid())
	f.draw(draw.New(vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))))
	if f.plot.Title.Text != title {
		t.Errorf("title after drawing %q, want %q", f.plot.Title.Text, title)
	}
}

// With several implementations a legend lists each model's series under
// the model's name, models in scenarios.Models' order, reference lines
// last; without, entries stay as added.
func TestLegendGroupsByModel(t *testing.T) {
	f := newFigure(newPlot("t", "x", "y"))
	for _, n := range []string{"sse · php-fpm", "sse", "SLO p99", "websocket · jetty", "websocket"} {
		f.add(n)
	}
	var names []string
	for _, e := range f.legendEntries() {
		names = append(names, e.name)
	}
	if got := strings.Join(names, "|"); got != "sse · php-fpm|sse|SLO p99|websocket · jetty|websocket" {
		t.Errorf("without models: %s", got)
	}
	f.models = map[string]string{"sse · php-fpm": "process per connection", "sse": "event loop", "websocket · jetty": "thread pool", "websocket": "event loop"}
	names = nil
	for _, e := range f.legendEntries() {
		names = append(names, e.name)
	}
	want := "event loop:|sse|websocket|thread pool:|websocket · jetty|process per connection:|sse · php-fpm|SLO p99"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("legend %s, want %s", got, want)
	}
}

// The targets and stacks suites' scenarios get the charts of the
// built-ins they stand for; stacks-idle, a ramp, scale-idle's.
func TestRoleOf(t *testing.T) {
	for sc, want := range map[string]string{
		"stacks-latency": "latency", "stacks-fanout": "fanout", "stacks-idle": "scale-idle",
		"targets-idle": "idle", "targets-fanout": "fanout", "latency": "latency", "my-scenario": "my-scenario",
	} {
		if got := roleOf(sc); got != want {
			t.Errorf("roleOf(%s) = %s, want %s", sc, got, want)
		}
		if _, ok := builders[want]; !ok && want != "scale-idle" && want != "my-scenario" {
			t.Errorf("no charts for %s", want)
		}
	}
}
