package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bars is a grouped bar chart that also works on a log value axis: there
// bars rise from the axis minimum, and a value <= 0 gets no bar, only its
// label. Within a group the bars present sit side by side, centred; NaN
// marks a missing bar. Each bar is labelled with its value.
type bars struct {
	groups []string // along x at 0, 1, ...
	series []barSeries
	log    bool
}

// barSeries is one transport's bars, one value per group.
type barSeries struct {
	color  color.Color
	values []float64
}

// slots is the most bars any group holds.
func (b *bars) slots() int {
	most := 1
	for gi := range b.groups {
		most = max(most, len(b.present(gi)))
	}
	return most
}

// present are the series with a value in group gi.
func (b *bars) present(gi int) []int {
	var out []int
	for si, s := range b.series {
		if !math.IsNaN(s.values[gi]) {
			out = append(out, si)
		}
	}
	return out
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	groupW := trX(1) - trX(0)
	barW := groupW * 0.8 / vg.Length(b.slots())
	base := 0.0
	if b.log {
		base = p.Y.Min
	}
	lbl := text.Style{Color: color.Black, Font: font.From(sans, 10), XAlign: draw.XCenter, Handler: p.TextHandler}
	for gi := range b.groups {
		in := b.present(gi)
		left := trX(float64(gi)) - barW*vg.Length(len(in))/2
		for i, si := range in {
			v := b.series[si].values[gi]
			x0 := left + barW*vg.Length(i)
			y0 := trY(base)
			y1 := y0
			if !b.log || v > 0 {
				y1 = trY(math.Min(v, p.Y.Max))
				rect := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x0 + barW*0.92, Y: y1}, {X: x0 + barW*0.92, Y: y0}}
				c.FillPolygon(b.series[si].color, c.ClipPolygonY(rect))
			}
			sty, y := lbl, y1+vg.Points(2)
			if y1 < y0 { // a negative bar: label below its end
				sty.YAlign, y = draw.YTop, y1-vg.Points(2)
			}
			label := formatValue(v)
			if sty.Width(label) > barW*0.95 { // narrow bars: a smaller label
				sty.Font.Size = 8
			}
			c.FillText(sty, vg.Point{X: x0 + barW*0.46, Y: y}, label)
		}
	}
}

// DataRange implements plot.DataRanger: the groups along x, the values
// (and zero, on a linear axis) along y.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	if !b.log {
		ymin, ymax = 0, 0
	}
	for _, s := range b.series {
		for _, v := range s.values {
			if math.IsNaN(v) || b.log && v <= 0 {
				continue
			}
			ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
		}
	}
	return -0.5, float64(len(b.groups)) - 0.5, ymin, ymax
}

// swatch is a bar series' legend thumbnail.
type swatch struct{ color color.Color }

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.color, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
}

// addBars adds b to f's plot with its axes: nominal groups along x and a
// value axis with room for the labels, logarithmic when b.log and some
// value is positive.
func addBars(f *figure, b *bars) {
	_, _, lo, hi := b.DataRange()
	if b.log && !(hi > 0) {
		b.log = false
		_, _, lo, hi = b.DataRange()
	}
	p := f.plot
	g := grid()
	g.Vertical.Color = nil // a line through the middle of each group
	p.Add(g, b)
	p.NominalX(b.groups...)
	p.X.Padding, p.Y.Padding = 0, 0 // bars stand on the x axis
	p.X.Min, p.X.Max = -0.5, float64(len(b.groups))-0.5
	if b.log {
		logAxis(&p.Y, lo/2, hi*3)
		return
	}
	if hi == lo {
		hi = lo + 1
	}
	p.Y.Min, p.Y.Max = lo, hi+(hi-lo)*0.1
	if lo < 0 {
		p.Y.Min = lo - (hi-lo)*0.1
	}
}

// needsLog says whether the positive values spread over more than ratio,
// so that a linear axis would flatten the small ones.
func (b *bars) needsLog(ratio float64) bool {
	s := newSpan()
	for _, bs := range b.series {
		for _, v := range bs.values {
			s.add(v)
		}
	}
	return s.ok() && s.max/s.min > ratio
}
