package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// summarize names, per metric, the best transport and every transport's
// ratio to the floor, at each step.
func summarize(groups []*group, metrics []string) []string {
	var out []string
	for _, step := range steps(groups) {
		for _, name := range metrics {
			if line := metricLine(groups, step, name); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

func summarizeSteps(groups []*group, metric string) []string {
	return summarize(groups, []string{metric})
}

func steps(groups []*group) []int {
	seen := map[int]bool{}
	var out []int
	for _, g := range groups {
		if !seen[g.key.Step] {
			seen[g.key.Step] = true
			out = append(out, g.key.Step)
		}
	}
	sort.Ints(out)
	return out
}

// metricLine is one metric at one step: the winner, named only when it
// qualifies (results.Record.Disqualified) and its repetitions differ from
// the runner-up's significantly (Mann-Whitney U, p < results.Alpha);
// otherwise every qualifying transport's median and interval. Ratios to
// the floor follow, and the transports left out say why.
func metricLine(groups []*group, step int, name string) string {
	m, _ := results.MetricByName(name)
	var vals []metricVal
	var left []string
	var floorG *group
	prefix := ""
	reps := 0
	for _, g := range groups {
		if g.key.Step != step {
			continue
		}
		st := g.Stat(m)
		if !st.OK() {
			continue
		}
		prefix = strings.TrimPrefix(stepLabel(g.first()), " ")
		if g.facts.Floor && floorG == nil {
			floorG = g
		}
		if why := g.Disqualified(); why != "" {
			left = append(left, g.label()+" ("+why+")")
			continue
		}
		reps = max(reps, st.N)
		vals = append(vals, metricVal{g.label(), st})
	}
	if len(vals) == 0 && len(left) == 0 {
		return ""
	}
	sort.SliceStable(vals, func(i, j int) bool {
		if m.Better == results.Higher {
			return vals[i].st.Center > vals[j].st.Center
		}
		return vals[i].st.Center < vals[j].st.Center
	})
	line := fmt.Sprintf("%s (%s, %s is better): ", name, m.Unit, m.Better) + winnerText(m, vals, reps)
	if floorG != nil {
		line += floorRatios(groups, step, floorG, name, m)
	}
	if len(left) > 0 {
		line += "; left out (cannot win): " + strings.Join(left, "; ")
	}
	if prefix != "" {
		line = prefix + ": " + line
	}
	return line
}

// metricVal is one qualifying transport's figure in a metric line.
type metricVal struct {
	transport string
	st        results.Stat
}

// winnerText names the best of vals (sorted best first) when it differs
// significantly from the runner-up, and says why not otherwise.
func winnerText(m results.Metric, vals []metricVal, reps int) string {
	all := func() string {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.transport + " " + statText(m, v.st)
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case len(vals) == 0:
		return "no transport qualifies"
	case len(vals) == 1:
		return "only " + vals[0].transport + " qualifies (" + statText(m, vals[0].st) + "): no winner named"
	case reps < 2:
		return "one repetition, no winner named: " + all()
	}
	p, sig := results.Significance(vals[0].st.Values, vals[1].st.Values)
	if sig {
		return fmt.Sprintf("best %s (%s), ahead of %s (%s; Mann-Whitney p=%.3f)", vals[0].transport, statText(m, vals[0].st), vals[1].transport, statText(m, vals[1].st), p)
	}
	line := fmt.Sprintf("no winner: the best two are indistinguishable at this noise (Mann-Whitney p=%.2f >= %g over %d repetitions): %s", p, results.Alpha, reps, all())
	if n := min(vals[0].st.N, vals[1].st.N); n <= 3 {
		line += fmt.Sprintf(" (%d repetitions a side can never reach p < %g: run 5 or more, --count 5)", n, results.Alpha)
	}
	return line
}

// floorRatios is each other transport's ratio to the floor's figure at
// step, or "" when none has one.
func floorRatios(groups []*group, step int, floorG *group, name string, m results.Metric) string {
	var ratios []string
	for _, g := range groups {
		if g.key.Step != step || g == floorG || !g.Stat(m).OK() {
			continue
		}
		if r := ratioText(g, floorG, name); r != "-" {
			ratios = append(ratios, g.label()+" "+r)
		}
	}
	if len(ratios) == 0 {
		return ""
	}
	return "; vs " + floorG.label() + ": " + strings.Join(ratios, ", ")
}

// statText is a median with its 95% interval when there is one.
func statText(m results.Metric, st results.Stat) string {
	if st.HasInterval() {
		return fmt.Sprintf("%s [%s, %s]", format(m, st.Center), format(m, st.Lo), format(m, st.Hi))
	}
	return format(m, st.Center)
}

func format(m results.Metric, v float64) string {
	switch m.Unit {
	case "us":
		return us(v)
	case "B/conn":
		return fmtBytes(v)
	}
	return num(v) + " " + m.Unit
}

// withinSLO reports whether a group met the p99 SLO (the median of its
// repetitions' p99s) with every repetition qualifying: no error,
// interruption, loss, mismatch or saturated load generator.
func withinSLO(g *group) bool {
	if !g.qualified() || len(g.ok) != len(g.recs) {
		return false
	}
	p99, ok := g.medianOf("p99")
	return ok && p99 <= float64(g.first().Params.SLOP99Us)
}

// largestWithinSLO: per transport, the largest client count served within
// the SLO without loss.
func largestWithinSLO(groups []*group) []string {
	return bestStep(groups, "largest client count", func(g *group) (float64, bool) {
		return g.first().StepValue, withinSLO(g)
	})
}

// highestWithinSLO: per transport, the highest delivered rate within the
// SLO without loss.
func highestWithinSLO(groups []*group) []string {
	return bestStep(groups, "highest delivered msgs/s", func(g *group) (float64, bool) {
		v, ok := g.medianOf("delivered-rate")
		return v, ok && withinSLO(g)
	})
}

// bestStep lists each transport's capacity (of each implementation): the best value at a step
// within the SLO. A step whose records are disqualified is no limit and
// is named as left out; a transport whose largest step tried was still
// within the SLO has not reached its limit.
func bestStep(groups []*group, what string, value func(*group) (float64, bool)) []string {
	best := map[string]float64{}
	var left = map[string][]string{}
	tried := map[string]int{}
	maxStep := 0
	var order []string
	for _, g := range groups {
		t := g.label()
		if _, ok := tried[t]; !ok {
			order = append(order, t)
		}
		tried[t]++
		maxStep = max(maxStep, g.key.Step)
		if why := g.Disqualified(); why != "" {
			left[t] = append(left[t], strings.TrimPrefix(stepLabel(g.first()), " ")+": "+why)
			continue
		}
		if v, ok := value(g); ok && v > best[t] {
			best[t] = v
		}
	}
	slo := us(float64(groups[0].first().Params.SLOP99Us))
	lines := []string{fmt.Sprintf("%s within p99 %s (median of repetitions) and no loss, per transport:", what, slo)}
	for _, t := range order {
		var line string
		switch {
		case best[t] == 0:
			line = fmt.Sprintf("  %s: none (no qualifying step met the SLO)", t)
		case tried[t] == maxStep+1 && isLastWithin(groups, t):
			line = fmt.Sprintf("  %s: %s (the largest step tried: its limit is higher, not reached)", t, num(best[t]))
		default:
			line = fmt.Sprintf("  %s: %s", t, num(best[t]))
		}
		if l := left[t]; len(l) > 0 {
			line += "; left out, never a limit: " + strings.Join(l, "; ")
		}
		lines = append(lines, line)
	}
	return lines
}

func isLastWithin(groups []*group, label string) bool {
	var last *group
	for _, g := range groups {
		if g.label() == label {
			last = g
		}
	}
	return last != nil && withinSLO(last)
}
