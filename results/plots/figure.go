package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// Every chart is Width x Height; PNGs are rendered at DPI, so they are
// Width.Dots(DPI) x Height.Dots(DPI) pixels (960 x 600).
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
	DPI    = 120
)

// figure is a plot with its legend drawn to the right of it, outside the
// data, so that no curve is hidden behind it.
type figure struct {
	plot    *plot.Plot
	legend  plot.Legend
	entries []entry
	// marks are suffixes for legend names, such as a saturated load
	// generator's "‡ load generator saturated", applied when drawn.
	marks map[string]string
	// models are the server models of the entries' transports when the
	// chart sets several implementations side by side: the legend then
	// lists its entries under each model's name (scenarios.Models' order),
	// reference lines last.
	models map[string]string
}

type entry struct {
	name   string
	thumbs []plot.Thumbnailer
}

func newFigure(p *plot.Plot) *figure {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, 12)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(28)
	l.Padding = vg.Points(4)
	return &figure{plot: p, legend: l}
}

// add adds a legend entry.
func (f *figure) add(name string, thumbs ...plot.Thumbnailer) {
	f.entries = append(f.entries, entry{name, thumbs})
}

// buildLegend fills the legend from legendEntries, marks applied; once.
func (f *figure) buildLegend() {
	for _, e := range f.legendEntries() {
		f.legend.Add(e.name+f.marks[e.name], e.thumbs...)
	}
	f.entries = nil
}

// legendEntries are the entries in legend order: as added, or, when the
// figure has models, under a heading per model (a line without a
// thumbnail), each model's entries as added, then the reference lines.
func (f *figure) legendEntries() []entry {
	if len(f.models) == 0 {
		return f.entries
	}
	var out []entry
	for _, m := range f.modelOrder() {
		out = append(out, entry{name: modelHeading(m)})
		for _, e := range f.entries {
			if em, ok := f.models[e.name]; ok && em == m {
				out = append(out, e)
			}
		}
	}
	for _, e := range f.entries {
		if _, ok := f.models[e.name]; !ok {
			out = append(out, e)
		}
	}
	return out
}

// modelOrder is the models of the entries: scenarios.Models' first, in
// its order, then others as they come.
func (f *figure) modelOrder() []string {
	var seen []string
	for _, e := range f.entries {
		if m, ok := f.models[e.name]; ok && !slices.Contains(seen, m) {
			seen = append(seen, m)
		}
	}
	var out []string
	for _, m := range scenarios.Models {
		if slices.Contains(seen, m) {
			out = append(out, m)
		}
	}
	for _, m := range seen {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// modelHeading is the legend line above a model's entries.
func modelHeading(model string) string {
	if model == "" {
		return "model not given:"
	}
	return model + ":"
}

// draw draws the figure onto c. The axis labels are drawn here, centred
// on the data area, because gonum/plot places them by the arithmetic
// middle of the axis range, which on a log axis squeezes the plot.
func (f *figure) draw(c draw.Canvas) {
	f.buildLegend()
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	p, pad := f.plot, vg.Points(10)
	xLabel, yLabel := p.X.Label.Text, p.Y.Label.Text
	p.X.Label.Text, p.Y.Label.Text = "", ""
	defer func() { p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel }()
	xSty, ySty := p.X.Label.TextStyle, p.Y.Label.TextStyle
	xSty.XAlign, xSty.YAlign = draw.XCenter, draw.YBottom
	ySty.Rotation, ySty.XAlign, ySty.YAlign = math.Pi/2, draw.XCenter, draw.YTop
	xH, yW := pad/2, pad/2
	if xLabel != "" {
		xH += xSty.Height(xLabel) + pad/2
	}
	if yLabel != "" {
		yW += ySty.Height(yLabel) + pad/2
	}
	legendW := f.legend.Rectangle(c).Size().X + 2*pad
	pc := draw.Crop(c, yW, -legendW, xH, -pad/2)
	title := p.Title.Text
	defer func() { p.Title.Text = title }()
	p.Title.Text = wrap(p.Title.TextStyle, title, pc.Size().X)
	data := p.DataCanvas(pc)
	p.Draw(pc)
	c.FillText(xSty, vg.Point{X: data.Center().X, Y: c.Min.Y + pad/2}, xLabel)
	c.FillText(ySty, vg.Point{X: c.Min.X + pad/2, Y: data.Center().Y}, yLabel)
	f.legend.Draw(draw.Crop(c, c.Size().X-legendW+pad, -pad, 0, data.Max.Y-c.Max.Y))
}

// wrap breaks s into lines at spaces so that each line fits width in
// style sty (a word longer than width keeps a line of its own): gonum/plot
// centres a title over the plot and cuts off what does not fit on both
// sides.
func wrap(sty text.Style, s string, width vg.Length) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case sty.Width(line+" "+w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// save writes the figure as PNG and SVG.
func (f *figure) save(pngPath, svgPath string) (err error) {
	defer func() {
		// gonum/plot panics on some degenerate inputs (a log axis that
		// reaches zero); report those as errors, never crash a report.
		if r := recover(); r != nil {
			err = fmt.Errorf("failed to draw %s: %v", pngPath, r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))
	f.draw(draw.New(img))
	if err := writeFile(pngPath, vgimg.PngCanvas{Canvas: img}); err != nil {
		return err
	}
	svg := vgsvg.New(Width, Height)
	f.draw(draw.New(svg))
	return writeFile(svgPath, svg)
}

func writeFile(path string, w io.WriterTo) error {
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("failed to encode %s: %w", path, err)
	}
	return results.WriteFileAtomic(path, buf.Bytes())
}
