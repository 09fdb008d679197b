package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

const reportUsage = `usage: pushbench report DIR

Re-renders a run's report from DIR/results.json without re-running: the
terminal tables, DIR/report.md, DIR/report.html (self-contained), the plots
in DIR/plots/ (PNG and SVG) and DIR/bench.txt (Go benchmark format).

example:
  pushbench report out/bench
`

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"give exactly one output folder"}
	}
	dir := fs.Arg(0)
	recs, err := results.Load(dir)
	if err != nil {
		return usageError{err.Error()}
	}
	if _, err := report.Render(dir, recs, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nreport: %s/report.html, %s/report.md, %s/plots/, %s/bench.txt\n", dir, dir, dir, dir)
	return nil
}
