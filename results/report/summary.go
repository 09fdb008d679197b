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

func metricLine(groups []*group, step int, name string) string {
	m, _ := results.MetricByName(name)
	type val struct {
		transport string
		v         float64
	}
	var vals []val
	var floor *val
	prefix := ""
	for _, g := range groups {
		if g.key.Step != step {
			continue
		}
		v, ok := g.median(m)
		if !ok {
			continue
		}
		vals = append(vals, val{g.key.Transport, v})
		if g.key.Transport == results.Floor {
			floor = &vals[len(vals)-1]
		}
		prefix = strings.TrimPrefix(stepLabel(g.first()), " ")
	}
	if len(vals) == 0 {
		return ""
	}
	best := vals[0]
	for _, v := range vals[1:] {
		if (m.Better == results.Lower && v.v < best.v) || (m.Better == results.Higher && v.v > best.v) {
			best = v
		}
	}
	var ratios []string
	if floor != nil && floor.v != 0 {
		for _, v := range vals {
			if v.transport != results.Floor {
				ratios = append(ratios, fmt.Sprintf("%s %.2fx", v.transport, v.v/floor.v))
			}
		}
	}
	line := fmt.Sprintf("%s (%s, %s is better): best %s (%s)", name, m.Unit, m.Better, best.transport, format(m, best.v))
	if len(ratios) > 0 {
		line += "; vs " + results.Floor + ": " + strings.Join(ratios, ", ")
	}
	if prefix != "" {
		line = prefix + ": " + line
	}
	return line
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

// withinSLO reports whether a group met the p99 SLO without loss or error.
func withinSLO(g *group) bool {
	if len(g.ok) != len(g.recs) || len(g.ok) == 0 {
		return false
	}
	p99, ok := g.medianOf("p99")
	lost, _ := g.medianOf("lost")
	return ok && p99 <= float64(g.first().Params.SLOP99Us) && lost == 0
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

func bestStep(groups []*group, what string, value func(*group) (float64, bool)) []string {
	best := map[string]float64{}
	tried := map[string]int{}
	maxStep := 0
	var order []string
	for _, g := range groups {
		t := g.key.Transport
		if _, ok := tried[t]; !ok {
			order = append(order, t)
		}
		tried[t]++
		maxStep = max(maxStep, g.key.Step)
		if v, ok := value(g); ok && v > best[t] {
			best[t] = v
		}
	}
	slo := us(float64(groups[0].first().Params.SLOP99Us))
	lines := []string{fmt.Sprintf("%s within p99 %s and no loss, per transport:", what, slo)}
	for _, t := range order {
		switch {
		case best[t] == 0:
			lines = append(lines, fmt.Sprintf("  %s: none (the first step already missed the SLO or lost messages)", t))
		case tried[t] == maxStep+1 && isLastWithin(groups, t):
			lines = append(lines, fmt.Sprintf("  %s: %s (the largest step tried: its limit is higher)", t, num(best[t])))
		default:
			lines = append(lines, fmt.Sprintf("  %s: %s", t, num(best[t])))
		}
	}
	return lines
}

func isLastWithin(groups []*group, transport string) bool {
	var last *group
	for _, g := range groups {
		if g.key.Transport == transport {
			last = g
		}
	}
	return last != nil && withinSLO(last)
}
