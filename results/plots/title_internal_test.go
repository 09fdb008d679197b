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
