package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

const reportDoc = `usage: pushbench report [--out DIR] DIR [DIR...]

Re-renders a run's report from DIR/results.json (or DIR/records/) without
re-running: the terminal tables, DIR/report.md, DIR/report.html
(self-contained), the plots in DIR/plots/ (PNG and SVG) and DIR/bench.txt
(Go benchmark format). With several folders their records are pooled into
one report written to --out (runs of one scenario on several networks, for
the proxies section). Runs against different servers (--target) are set
side by side, never pooled: each table keeps one row per implementation
and the implementations section compares them.
`

const reportExamples = `  pushbench report out/bench
  pushbench report --out out/proxies/all out/proxies/loopback out/proxies/nginx-tuned
  pushbench report --out out/targets/all out/targets/pushbench out/targets/nchan out/targets/centrifugo
`

// reportCLI defines report's flags over out.
func reportCLI(out *string, stderr io.Writer) *cli {
	c := newCLI("report", stderr)
	c.help = help{doc: reportDoc, examples: reportExamples, groups: []flagGroup{{"Output", []string{"out"}}}}
	c.String(out, "out", "", "where a pooled report of several folders goes (default: the one folder given)")
	return c
}

func runReport(args []string, stdout, stderr io.Writer) error {
	out := new(string)
	dirs, err := reportCLI(out, stderr).parseInterspersed(args, false)
	if err != nil {
		return err
	}
	if len(dirs) == 0 || (len(dirs) > 1 && *out == "") {
		return usageError{"give one output folder, or several with --out for the pooled report"}
	}
	dir := *out
	if dir == "" {
		dir = dirs[0]
	}
	var recs []results.Record
	for _, d := range dirs {
		r, err := results.Load(d)
		if err != nil {
			return usageError{err.Error()}
		}
		recs = append(recs, r...)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", dir, err)
	}
	if _, err := report.Render(dir, recs, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nreport: %s/report.html, %s/report.md, %s/plots/, %s/bench.txt\n", dir, dir, dir, dir)
	return nil
}
