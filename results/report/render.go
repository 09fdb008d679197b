package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/plots"
)

// Render writes everything derived from recs into dir: plots/ (PNG and
// SVG), report.md, report.html and bench.txt, each atomically, and prints
// the terminal tables to w. results.json is the store's (Store.Close);
// Render writes it only when it is missing, so a run whose store was not
// closed still leaves one.
func Render(dir string, recs []results.Record, w io.Writer) (*Report, error) {
	rep := Build(recs)
	rep.front = buildFront(dir, recs)
	if _, err := os.Stat(filepath.Join(dir, "results.json")); errors.Is(err, os.ErrNotExist) && len(recs) > 0 {
		if err := results.WriteJSON(filepath.Join(dir, "results.json"), results.File{Schema: results.SchemaVersion, Records: recs}); err != nil {
			return rep, err
		}
	}
	drawn, err := plots.Render(dir, plotView(recs))
	if err != nil {
		return rep, fmt.Errorf("failed to draw plots: %w", err)
	}
	refs := make([]PlotRef, len(drawn))
	for i, p := range drawn {
		refs[i] = PlotRef{Scenario: p.Scenario, Title: p.Title, PNG: p.PNG, SVG: p.SVG}
	}
	var md, html, bench bytes.Buffer
	if err := rep.WriteMarkdown(&md, refs); err != nil {
		return rep, err
	}
	if err := rep.WriteHTML(&html, dir, refs); err != nil {
		return rep, err
	}
	if err := results.WriteBenchFormat(&bench, recs); err != nil {
		return rep, err
	}
	for name, b := range map[string][]byte{"report.md": md.Bytes(), "report.html": html.Bytes(), "bench.txt": bench.Bytes()} {
		if err := results.WriteFileAtomic(filepath.Join(dir, name), b); err != nil {
			return rep, err
		}
	}
	if w != nil {
		if err := rep.WriteText(w); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// implementationDashes give each implementation other than pushbench's its
// own line in the plots.
var implementationDashes = [][]float64{{6, 2}, {2, 2}, {6, 2, 2, 2}, {10, 3}, {1, 3}}

// modelShades are the plots' hue family of each server model, darkest
// first: blues for an event loop, oranges for a thread pool, purples for a
// process per connection; otherShades (greys) for any other model.
var (
	modelShades = map[string][]string{
		"event loop":             {"#084594", "#2171B5", "#4292C6", "#6BAED6", "#9ECAE1"},
		"thread pool":            {"#8C2D04", "#CC4C02", "#EC7014", "#FE9929", "#FEC44F"},
		"process per connection": {"#7A0177", "#AE017E", "#DD3497", "#F768A1", "#FA9FB5"},
	}
	otherShades = []string{"#252525", "#525252", "#737373", "#969696", "#BDBDBD"}
)

// shadeOf is the colour of a transport family of a server model: the
// model's hue, the family's shade.
func shadeOf(model string, family int) string {
	shades, ok := modelShades[model]
	if !ok {
		shades = otherShades
	}
	return shades[family%len(shades)]
}

// plotView is recs as the plots draw them. With records of several
// implementations, a transport of another implementation than
// pushbench's is its own series ("sse · nchan", with a dash of the
// implementation's), so no plot pools two servers' figures into one line;
// and every series is coloured by its server's model: the model's hue
// family, a shade per transport family (the transport keeps its marker),
// the raw-TCP floor black as always. The plots' legends then group the
// series under their models.
func plotView(recs []results.Record) []results.Record {
	names := map[string]int{}
	families := map[string]results.TransportFacts{}
	for _, r := range recs {
		if n := results.ImplementationOf(r).Name; n != ownName {
			if _, ok := names[n]; !ok {
				names[n] = len(names)
			}
		}
		if f, _ := results.FactsOf(r); !f.Floor {
			families[f.Family(r.Transport)] = f
		}
	}
	if len(names) == 0 {
		return recs
	}
	order := make([]string, 0, len(families))
	for n := range families {
		order = append(order, n)
	}
	sort.Slice(order, func(i, j int) bool {
		if a, b := families[order[i]].Order, families[order[j]].Order; a != b {
			return a < b
		}
		return order[i] < order[j]
	})
	out := make([]results.Record, len(recs))
	for i, r := range recs {
		out[i] = r
		im := results.ImplementationOf(r)
		f, known := results.FactsOf(r)
		if k, other := names[im.Name]; other {
			out[i].Transport = r.Transport + " · " + im.Name
			f.Style.Dashes = implementationDashes[k%len(implementationDashes)]
		}
		if f.Floor {
			out[i].Facts = &f
			continue
		}
		if !known || f.Style.Glyph == "" {
			f.Style.Glyph = "circle"
		}
		f.Style.Color = shadeOf(im.Model, slices.Index(order, f.Family(r.Transport)))
		out[i].Facts = &f
	}
	return out
}
