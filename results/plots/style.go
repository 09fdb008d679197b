package plots

import (
	"hash/fnv"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// transportOrder is the display order: the floor first, then roughly from
// leanest to heaviest.
var transportOrder = []string{"rawtcp", "websocket", "sse-lean", "sse", "longpoll", "shortpoll"}

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

// looks uses the Okabe-Ito palette (readable with colour blindness); the
// raw-TCP floor is black and dashed.
var looks = map[string]look{
	"rawtcp":    {rgb(0x000000), []vg.Length{vg.Points(6), vg.Points(3)}, vg.Points(2.2), draw.CrossGlyph{}},
	"websocket": {rgb(0x0072B2), nil, vg.Points(2), draw.CircleGlyph{}},
	"sse-lean":  {rgb(0x009E73), nil, vg.Points(2), draw.TriangleGlyph{}},
	"sse":       {rgb(0xE69F00), nil, vg.Points(2), draw.SquareGlyph{}},
	"longpoll":  {rgb(0xCC79A7), nil, vg.Points(2), draw.PyramidGlyph{}},
	"shortpoll": {rgb(0xD55E00), nil, vg.Points(2), draw.RingGlyph{}},
}

// spareLooks serve transports pushbench does not know yet; a name always
// gets the same one.
var spareLooks = []look{
	{rgb(0x56B4E9), []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(2), draw.BoxGlyph{}},
	{rgb(0x7F7F7F), []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}, vg.Points(2), draw.PlusGlyph{}},
	{rgb(0x8C564B), []vg.Length{vg.Points(2), vg.Points(2)}, vg.Points(2), draw.CircleGlyph{}},
}

func lookOf(transport string) look {
	if l, ok := looks[transport]; ok {
		return l
	}
	h := fnv.New32a()
	h.Write([]byte(transport))
	return spareLooks[h.Sum32()%uint32(len(spareLooks))]
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
