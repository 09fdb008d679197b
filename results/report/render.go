package report

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/plots"
)

// Render writes everything derived from recs into dir: plots/ (PNG and
// SVG), report.md, report.html and bench.txt, each atomically, and prints
// the terminal tables to w. results.json is the store's and is not touched.
func Render(dir string, recs []results.Record, w io.Writer) (*Report, error) {
	rep := Build(recs)
	drawn, err := plots.Render(dir, recs)
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
