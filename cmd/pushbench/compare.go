package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/compare"
)

const compareDoc = `usage: pushbench compare [flags] BASE NEW

Compares two runs, each an output folder of 'pushbench run' (or its
results.json): every metric of every scenario, step and transport, as the
median and 95%% confidence interval over the repetitions, tested with a
Mann-Whitney U test. A change is a regression when it is significant
(p < alpha) and worse than the metric's threshold. Lost, duplicated or
reordered messages appearing where the base had none in any repetition are
regressions even with one repetition; otherwise tell changes from noise
with at least 4 repetitions per run (run --count 5).

Any failed repetition in NEW (an error, counts that do not reconcile, a
saturated load generator) is a regression, whether or not BASE failed too;
failures in BASE only are reported, not held against NEW.

A BASE that is missing or cannot be read fails (exit 2) with the reason:
a gate without a baseline must not pass in silence. Only a run marked as
the first, with --first-run, passes when BASE does not exist (there is
nothing to compare with yet); a BASE that exists is compared as usual.

Exit status: 0 no regression, 1 regressions (listed on stderr), 2 bad
flags or inputs that cannot be read or compared.

thresholds (percent, in each metric's bad direction): lost, duplicates and
reorders 0 (any increase); max, connect-p99, CPU and memory 10; others 5.
metrics: %s
`

const compareExamples = `  pushbench compare out/main out/branch
  pushbench compare --threshold p99=10,lost=0 base/results.json new/results.json
  pushbench compare --alpha 0.01 out/before out/after
  pushbench compare --first-run out/base out/head   # no baseline yet: passes
`

// compareOpts is what compare's flags set.
type compareOpts struct {
	thresholds map[string]float64
	alpha      float64
	firstRun   bool
}

// compareCLI defines compare's flags over o.
func compareCLI(o *compareOpts, stderr io.Writer) *cli {
	c := newCLI("compare", stderr)
	c.help = help{doc: fmt.Sprintf(compareDoc, metricList()), examples: compareExamples, groups: []flagGroup{
		{"Gate", []string{"threshold", "alpha", "first-run"}},
	}}
	o.thresholds = map[string]float64{}
	c.fs.Func("threshold", "per-metric thresholds in percent, `LIST` of METRIC=PERCENT (repeatable), e.g. p99=10,lost=0", func(v string) error {
		_, err := compare.ParseThresholds(v, o.thresholds)
		if err != nil && c.bad == nil {
			c.bad = fmt.Errorf("--threshold %s: %w", quoteIfNeeded(v), err)
		}
		return err
	})
	c.Float(&o.alpha, "alpha", compare.DefaultAlpha, func(a float64) bool { return a > 0 && a < 1 }, "between 0 and 1, e.g. 0.05", "significance level of the U test")
	c.Bool(&o.firstRun, "first-run", "this is the first run: pass when BASE does not exist (a BASE that exists is compared; one that cannot be read still fails)")
	return c
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	var o compareOpts
	paths, err := compareCLI(&o, stderr).parseInterspersed(args, true)
	if err != nil {
		return err
	}
	thresholds, alpha, firstRun := o.thresholds, &o.alpha, &o.firstRun
	if len(paths) != 2 {
		return usageError{fmt.Sprintf("want BASE and NEW, got %d arguments", len(paths))}
	}
	if _, err := os.Stat(paths[0]); errors.Is(err, os.ErrNotExist) {
		if *firstRun {
			fmt.Fprintf(stdout, "no baseline at %s: --first-run, so nothing is compared and the gate passes; later runs compare with the baseline this one leaves\n", paths[0])
			return nil
		}
		return usageError{fmt.Sprintf("base: no baseline at %s: the gate cannot pass without one (if this is the first run, say so with --first-run)", paths[0])}
	}
	base, err := loadRun(paths[0])
	if err != nil {
		return usageError{"base: " + err.Error()}
	}
	head, err := loadRun(paths[1])
	if err != nil {
		return usageError{"new: " + err.Error()}
	}
	res, err := compare.Compare(base, head, compare.Options{Thresholds: thresholds, Alpha: *alpha})
	if err != nil {
		if compare.IsMismatch(err) {
			return usageError{fmt.Sprintf("cannot compare %s with %s: %v", paths[0], paths[1], err)}
		}
		return err
	}
	if err := res.Write(stdout); err != nil {
		return err
	}
	if regs := res.Regressions(); len(regs) > 0 {
		noun := "regressions"
		if len(regs) == 1 {
			noun = "regression"
		}
		return fmt.Errorf("%d %s beyond threshold:\n  %s", len(regs), noun, strings.Join(regs, "\n  "))
	}
	return nil
}

// loadRun reads a run's records from an output folder or a results file.
func loadRun(path string) ([]results.Record, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read results (want an output folder of 'pushbench run' or its results.json): %w", err)
	}
	if st.IsDir() {
		return results.Load(path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read results: %w", err)
	}
	var f results.File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a pushbench results file: %w", path, err)
	}
	if f.Schema != results.SchemaVersion {
		return nil, fmt.Errorf("%s has schema %d; this pushbench reads schema %d (re-run, or use the pushbench that wrote it)", path, f.Schema, results.SchemaVersion)
	}
	return f.Records, nil
}

func metricList() string {
	names := make([]string, len(results.Metrics))
	for i, m := range results.Metrics {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}
