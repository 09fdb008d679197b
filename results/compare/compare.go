// Package compare tells whether a pushbench run got better or worse than a
// baseline run, the way benchstat does: each metric of each (scenario, step,
// transport) is summarised per run by its median and 95% confidence interval
// over the repetitions, and the two runs are compared with a Mann-Whitney U
// test (golang.org/x/perf/benchmath).
//
// A change is a regression when it is significant (p < alpha) and worse than
// the metric's threshold in its bad direction. With too few repetitions for
// any test to be significant (benchmath needs 4 per side at alpha 0.05), a
// change is "~" with a note, never a regression, except under two rules that
// make compare a CI gate for correctness:
//
//   - Zero rule: lost, duplicates, reorders and unexpected are healthy only
//     at exactly 0. When every base repetition is 0 and any head repetition
//     is above 0, the change is a regression whatever the number of
//     repetitions (one each is enough). The reverse (every base repetition
//     above 0, every head one at 0) is "better".
//   - Error rule: a (scenario, step, transport) with any failed head
//     repetition is a regression, whether or not the base failed too; the
//     row names each failed repetition and why. Failures in the base only
//     are reported and are not a regression. A failure is an error, counts
//     that do not reconcile, or a saturated load generator: such records
//     are never compared as numbers.
//
// Interrupted records (a step cut short) are left out of both runs, and
// the result's notes say how many.
package compare

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/pushbench/pushbench/results"
)

// Confidence is the level of the confidence intervals around medians:
// the reports' (results.Confidence).
const Confidence = results.Confidence

// DefaultAlpha is the significance level when Options.Alpha is 0: the
// reports' (results.Alpha).
const DefaultAlpha = results.Alpha

// Verdict is the outcome of comparing one metric.
type Verdict string

// Verdicts.
const (
	Same       Verdict = "~"          // no significant change (or too few samples to tell)
	Better     Verdict = "better"     // significant change in the good direction
	Worse      Verdict = "worse"      // significant change in the bad direction, within the threshold
	Regression Verdict = "REGRESSION" // significant and beyond the threshold, or a zero or error rule
)

// Options configure Compare; the zero value uses the defaults.
type Options struct {
	// Thresholds are percentages by metric name: a significant change in a
	// metric's bad direction larger than its threshold is a regression.
	// Metrics not listed use DefaultThreshold.
	Thresholds map[string]float64
	// Alpha is the significance level of the U test; 0 means DefaultAlpha.
	Alpha float64
}

// Side is one run's summary of a metric.
type Side struct {
	N       int               // repetitions measured (error rows: records)
	Errors  int               // records with an error (error rows only)
	Summary benchmath.Summary // median and confidence interval
}

// Row is one metric of one (scenario, step, transport), or its errors.
type Row struct {
	Key        results.Key
	Step       string // "clients=100", or "-" when the scenario has no steps
	Metric     string // a results.Metrics name, or "error"
	Unit       string
	Base, Head Side
	Delta      float64 // head median against base median, percent; ±Inf when the base is 0
	P          float64 // p-value of the U test; NaN when no test was made
	Threshold  float64 // percent
	Verdict    Verdict
	Note       string // why, when the verdict needs explaining
}

// Result is the comparison of two runs. Rows follow the order of the base
// run's records and of results.Metrics, so output is deterministic.
type Result struct {
	Rows  []Row
	Notes []string // what could not be compared (keys or metrics in one run only)
	Alpha float64
}

// MismatchError says two inputs cannot be compared at all: no records, no
// (scenario, step, transport) in common, or different schema versions.
type MismatchError struct {
	Problem string // what is wrong
	Fix     string // what to do about it
}

func (e *MismatchError) Error() string { return e.Problem + " (" + e.Fix + ")" }

// Compare compares head against base. It returns a *MismatchError when the
// two cannot be compared.
func Compare(base, head []results.Record, opts Options) (*Result, error) {
	alpha := opts.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if alpha <= 0 || alpha >= 1 || math.IsNaN(alpha) {
		return nil, fmt.Errorf("failed to compare: alpha %v is not between 0 and 1", opts.Alpha)
	}
	for name, t := range opts.Thresholds {
		if _, ok := results.MetricByName(name); !ok {
			return nil, fmt.Errorf("failed to compare: threshold for unknown metric %q", name)
		}
		if t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("failed to compare: threshold %v%% for %s is not a percentage >= 0", t, name)
		}
	}
	if err := checkInputs(base, head); err != nil {
		return nil, err
	}
	groups, order := groupByKey(base, head)
	res := &Result{Alpha: alpha}
	if ib, ih := interrupted(base), interrupted(head); ib+ih > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("interrupted records left out, neither numbers nor failures: %d in base, %d in head", ib, ih))
	}
	var baseOnly, headOnly, differ []string
	common := 0
	for _, k := range order {
		g := groups[k]
		switch {
		case len(g.head) == 0:
			baseOnly = append(baseOnly, g.label())
		case len(g.base) == 0:
			headOnly = append(headOnly, g.label())
		default:
			if d := workloadDiff(g.base[0], g.head[0]); d != "" {
				differ = append(differ, g.label()+" ("+d+")")
				continue
			}
			common++
			res.compareGroup(g, opts.Thresholds)
		}
	}
	if common == 0 && len(differ) > 0 {
		return nil, &MismatchError{
			Problem: fmt.Sprintf("base and head measured different workloads: %s", sample(differ)),
			Fix:     "compare runs made with the same scenarios and flags, e.g. both with --quick or both without",
		}
	}
	if common == 0 {
		return nil, &MismatchError{
			Problem: fmt.Sprintf("base and head share no (scenario, step, transport): base has %s, head has %s", sample(baseOnly), sample(headOnly)),
			Fix:     "compare two runs of the same scenarios and transports, e.g. both made with the same 'pushbench run' flags",
		}
	}
	if len(differ) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("different workload, not compared: %s", list(differ)))
	}
	if len(baseOnly) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("in base only, not compared: %s", list(baseOnly)))
	}
	if len(headOnly) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("in head only, not compared: %s", list(headOnly)))
	}
	return res, nil
}

// Regressions describes every regression, one line each, in table order.
func (r *Result) Regressions() []string {
	var out []string
	for _, row := range r.Rows {
		if row.Verdict != Regression {
			continue
		}
		where := fmt.Sprintf("%s %s %s %s", row.Key.Scenario, row.Step, row.Key.Transport, row.Metric)
		switch {
		case row.Metric == errorMetric:
			out = append(out, fmt.Sprintf("%s: %s", where, row.Note))
		case row.Note != "":
			out = append(out, fmt.Sprintf("%s: %s -> %s (%s)", where, formatValue(row.Base.Summary.Center, row.Unit), formatValue(row.Head.Summary.Center, row.Unit), row.Note))
		default:
			out = append(out, fmt.Sprintf("%s: %s -> %s, %s (p=%.3f, threshold %g%%)", where, formatValue(row.Base.Summary.Center, row.Unit), formatValue(row.Head.Summary.Center, row.Unit), formatDelta(row.Delta), row.P, row.Threshold))
		}
	}
	return out
}

// checkInputs rejects inputs that cannot be compared at all.
func checkInputs(base, head []results.Record) error {
	if len(base) == 0 || len(head) == 0 {
		which := "base"
		if len(base) > 0 {
			which = "head"
		}
		return &MismatchError{Problem: which + " holds no records", Fix: "point it at the output folder of a finished 'pushbench run'"}
	}
	bs, err := schemaOf("base", base)
	if err != nil {
		return err
	}
	hs, err := schemaOf("head", head)
	if err != nil {
		return err
	}
	if bs != hs {
		return &MismatchError{
			Problem: fmt.Sprintf("base records have schema %d, head records schema %d", bs, hs),
			Fix:     "results of different schema versions measure different things: re-run the base with this pushbench",
		}
	}
	bi, hi := implementationsOf(base), implementationsOf(head)
	if bi != hi {
		return &MismatchError{
			Problem: fmt.Sprintf("base measured %s, head %s", bi, hi),
			Fix:     "a comparison sets one server beside itself: run base and head against the same target (pushbench report sets implementations side by side)",
		}
	}
	return nil
}

// implementationsOf names the servers recs measured (their
// implementations' names, not versions: a new pushbench build is the
// change a comparison is for).
func implementationsOf(recs []results.Record) string {
	seen := map[string]bool{}
	var names []string
	for _, r := range recs {
		if n := results.ImplementationOf(r).Name; !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func schemaOf(which string, recs []results.Record) (int, error) {
	s := recs[0].Schema
	for _, r := range recs[1:] {
		if r.Schema != s {
			return 0, &MismatchError{
				Problem: fmt.Sprintf("%s mixes records of schema %d and %d", which, s, r.Schema),
				Fix:     "compare the output of a single 'pushbench run'",
			}
		}
	}
	return s, nil
}

// IsMismatch reports whether err says the inputs cannot be compared.
func IsMismatch(err error) bool {
	var m *MismatchError
	return errors.As(err, &m)
}
