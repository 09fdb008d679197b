package plots

import (
	"hash/fnv"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pushbench/pushbench/results"
)

// scenarioOrder is the suite's order.
var scenarioOrder = []string{"latency", "fanout", "throughput", "idle", "payload", "burst", "chat", "churn"}

// look is how one transport is drawn on every chart: colour, line dashes and
// marker.
type look struct {
	color  color.Color
	dashes []vg.Length
	width  vg.Length
	glyph  draw.GlyphDrawer
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// The six base transports' looks come from their facts
// (results.Builtin): the Okabe-Ito palette (readable with colour
// blindness), the raw-TCP floor black and dashed.

// spareLooks serve transports whose facts carry no style; a name always
// gets the same one.
var spareLooks = []look{
	{rgb(0x56B4E9), []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(2), draw.BoxGlyph{}},
	{rgb(0x7F7F7F), []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}, vg.Points(2), draw.PlusGlyph{}},
	{rgb(0x8C564B), []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(2), draw.CircleGlyph{}},
}

var glyphs = map[string]draw.GlyphDrawer{
	"cross": draw.CrossGlyph{}, "circle": draw.CircleGlyph{}, "triangle": draw.TriangleGlyph{},
	"square": draw.SquareGlyph{}, "pyramid": draw.PyramidGlyph{}, "ring": draw.RingGlyph{},
	"box": draw.BoxGlyph{}, "plus": draw.PlusGlyph{},
}

// lookOf is how the transport named name is drawn: its facts' style (an
// unknown colour or marker falls back to grey and a circle), or a spare
// look when they carry none.
func lookOf(name string, st results.Style) look {
	if st.IsZero() {
		h := fnv.New32a()
		h.Write([]byte(name))
		return spareLooks[h.Sum32()%uint32(len(spareLooks))]
	}
	l := look{color: rgb(0x7F7F7F), width: vg.Points(2), glyph: draw.CircleGlyph{}}
	if v, err := strconv.ParseUint(strings.TrimPrefix(st.Color, "#"), 16, 32); err == nil && len(st.Color) == 7 {
		l.color = rgb(uint32(v))
	}
	for _, d := range st.Dashes {
		l.dashes = append(l.dashes, vg.Points(d))
	}
	if st.Width > 0 {
		l.width = vg.Points(st.Width)
	}
	if g, ok := glyphs[st.Glyph]; ok {
		l.glyph = g
	}
	return l
}

// drawn is a transport as the charts need it, from its facts.
type drawn struct {
	name  string
	floor bool // drawn last, on top of the others
	look  look
}

func drawnOf(name string, f results.TransportFacts) drawn {
	return drawn{name, f.Floor, lookOf(name, f.Style)}
}

// plotLess is the charts' order of transports, from their facts: the
// floor first, then by Order (leanest first), a base before its
// variants, transports without an order after the ranked ones, by name.
func plotLess(a, b string, fa, fb results.TransportFacts) bool {
	switch {
	case fa.Floor != fb.Floor:
		return fa.Floor
	case (fa.Order > 0) != (fb.Order > 0):
		return fa.Order > 0
	case fa.Order != fb.Order:
		return fa.Order < fb.Order
	case fa.Variant != fb.Variant:
		return fa.Variant < fb.Variant
	}
	return a < b
}

func (l look) line() draw.LineStyle {
	return draw.LineStyle{Color: l.color, Width: l.width, Dashes: l.dashes}
}

func (l look) marker() draw.GlyphStyle {
	return draw.GlyphStyle{Color: l.color, Radius: vg.Points(3.5), Shape: l.glyph}
}

// Reference lines (SLO, ideal, protocol minimum) are grey so they never pass
// for a transport.
var (
	refColor  = rgb(0x555555)
	refDashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	gridColor = rgb(0xDDDDDD)
)

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot is a plot with pushbench's fonts, title and axis labels (which
// carry their units).
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 15)
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 13)
		a.Tick.Label.Font = font.From(sans, 11)
		a.Label.Padding = vg.Points(4)
	}
	return p
}

// grid is a light grid at the labelled ticks.
func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical = draw.LineStyle{Color: gridColor, Width: vg.Points(0.6)}
	g.Horizontal = g.Vertical
	return g
}

// logAxis makes a a log axis spanning lo..hi (both > 0), widened to at
// least a factor of 4 so that labelled ticks fall inside.
func logAxis(a *plot.Axis, lo, hi float64) {
	if hi/lo < 4 {
		mid := math.Sqrt(lo * hi)
		lo, hi = mid/2, mid*2
	}
	a.Scale = plot.LogScale{}
	a.Tick.Marker = plot.TickerFunc(logTicks)
	a.Min, a.Max = lo, hi
}
