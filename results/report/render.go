package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
// own line in the plots, the transport's colour kept.
var implementationDashes = [][]float64{{6, 2}, {2, 2}, {6, 2, 2, 2}, {10, 3}, {1, 3}}

// plotView is recs as the plots draw them: with records of several
// implementations, a transport of another implementation than
// pushbench's is its own series ("sse · nchan"), in the transport's
// colour with a dash of the implementation's, so no plot pools two
// servers' figures into one line.
func plotView(recs []results.Record) []results.Record {
	names := map[string]int{}
	for _, r := range recs {
		if n := results.ImplementationOf(r).Name; n != "pushbench" {
			if _, ok := names[n]; !ok {
				names[n] = len(names)
			}
		}
	}
	if len(names) == 0 {
		return recs
	}
	out := make([]results.Record, len(recs))
	for i, r := range recs {
		out[i] = r
		n := results.ImplementationOf(r).Name
		k, ok := names[n]
		if !ok {
			continue
		}
		out[i].Transport = r.Transport + " · " + n
		if f, ok := results.FactsOf(r); ok {
			f.Style.Dashes = implementationDashes[k%len(implementationDashes)]
			out[i].Facts = &f
		}
	}
	return out
}
