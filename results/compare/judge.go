package compare

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/pushbench/pushbench/results"
)

var nan = math.NaN()

// zeroHealthy are the metrics whose only healthy value is 0: the zero rule
// applies to them.
var zeroHealthy = map[string]bool{"lost": true, "duplicates": true, "reorders": true, "unexpected": true}

// judge summarises and compares one metric's base and head values.
func judge(m results.Metric, base, head []float64, threshold, alpha float64) Row {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	bs := benchmath.NewSample(slices.Clone(base), th) // NewSample sorts in place
	hs := benchmath.NewSample(slices.Clone(head), th)
	row := Row{
		Metric: m.Name, Unit: m.Unit, Threshold: threshold,
		Base: Side{N: len(base), Summary: summary(base)},
		Head: Side{N: len(head), Summary: summary(head)},
	}
	row.Delta = delta(row.Base.Summary.Center, row.Head.Summary.Center)
	bad := row.Delta // how much worse head is, percent
	if m.Better == results.Higher {
		bad = -bad
	}
	if zeroHealthy[m.Name] && all(base, isZero) && anyOf(head, isPositive) {
		row.P, row.Verdict = nan, Regression
		row.Note = fmt.Sprintf("zero rule: no %s in any base repetition, some in %d of %d head repetitions", m.Name, count(head, isPositive), len(head))
		return row
	}
	if zeroHealthy[m.Name] && all(base, isPositive) && all(head, isZero) {
		row.P, row.Verdict = nan, Better
		row.Note = fmt.Sprintf("zero rule: %s in every base repetition, none in any head repetition", m.Name)
		return row
	}
	if allEqual(base, head) {
		row.P, row.Verdict = 1, Same
		return row
	}
	cmp := benchmath.AssumeNothing.Compare(bs, hs)
	row.P = cmp.P
	switch {
	case cmp.P >= alpha:
		row.Verdict = Same
		if len(cmp.Warnings) > 0 {
			row.Note = cmp.Warnings[0].Error()
		}
	case row.Delta == 0:
		row.Verdict = Same
	case bad < 0:
		row.Verdict = Better
	case bad > threshold:
		row.Verdict = Regression
	default:
		row.Verdict = Worse
		row.Note = fmt.Sprintf("worse, but within the %g%% threshold", threshold)
	}
	return row
}

// delta is new against old in percent; ±Inf when old is 0 and new is not.
func delta(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Inf(int(math.Copysign(1, new)))
	}
	return (new/old - 1) * 100
}

func isZero(v float64) bool     { return v == 0 }
func isPositive(v float64) bool { return v > 0 }

func anyOf(vs []float64, f func(float64) bool) bool { return count(vs, f) > 0 }

func count(vs []float64, f func(float64) bool) int {
	n := 0
	for _, v := range vs {
		if f(v) {
			n++
		}
	}
	return n
}

func all(vs []float64, f func(float64) bool) bool {
	for _, v := range vs {
		if !f(v) {
			return false
		}
	}
	return len(vs) > 0
}

// allEqual reports whether every value of both samples is the same, which
// the U test cannot rank.
func allEqual(a, b []float64) bool {
	v := a[0]
	eq := func(x float64) bool { return x == v }
	return all(a, eq) && all(b, eq)
}

// summary is the one statistic of the reports (results.StatOf): median
// and 95% interval.
func summary(vals []float64) benchmath.Summary {
	st := results.StatOf(vals)
	return benchmath.Summary{Center: st.Center, Lo: st.Lo, Hi: st.Hi, Confidence: results.Confidence}
}
