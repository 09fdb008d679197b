package report

import (
	"fmt"
	"strings"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

func buildSection(name string, groups []*group) Section {
	sec := Section{Scenario: name, Question: question(name)}
	sec.Alerts = alerts(groups)
	param, kind := groups[0].first().StepParam, groups[0].first().Kind
	switch {
	case groups[0].first().Params.Fault != "":
		sec.Tables = []Table{faultTable(groups), latencyTable(groups, "")}
		sec.Summary = summarize(groups, []string{"p99", "max"})
	case kind == scenarios.Idle:
		sec.Tables = []Table{idleTable(groups)}
		sec.Summary = summarize(groups, []string{"server-heap-per-conn", "server-rss-per-conn", "loadgen-heap-per-conn", "bytes-per-conn-min", "server-cpu-per-conn-s"})
	case param == "clients":
		sec.Tables = []Table{latencyTable(groups, "clients")}
		sec.Summary = largestWithinSLO(groups)
	case param == "rate":
		sec.Tables = []Table{throughputTable(groups)}
		sec.Summary = highestWithinSLO(groups)
	case param == "payload":
		sec.Tables = []Table{payloadTable(groups)}
		sec.Summary = summarizeSteps(groups, "bytes-per-msg")
	default:
		sec.Tables = []Table{latencyTable(groups, "")}
		sec.Summary = summarize(groups, []string{"p50", "p99", "max", "bytes-per-msg", "server-cpu-per-msg"})
	}
	return sec
}

// alerts lists every group with loss, duplicates, reorderings or errors.
func alerts(groups []*group) []string {
	var out []string
	for _, g := range groups {
		label := g.key.Transport + stepLabel(g.first())
		for _, r := range g.recs {
			rep := ""
			if len(g.recs) > 1 {
				rep = fmt.Sprintf(" (repetition %d)", r.Repetition)
			}
			if r.Error != "" {
				out = append(out, fmt.Sprintf("ERROR %s%s: %s", label, rep, r.Error))
				continue
			}
			d := r.Delivery
			var bad []string
			if d.Lost > 0 {
				bad = append(bad, fmt.Sprintf("%d of %d messages not delivered by the end of the drain: lost or late (%d clients affected)", d.Lost, d.Expected, d.ClientsWithLoss))
			}
			if d.Duplicates > 0 {
				bad = append(bad, fmt.Sprintf("%d duplicates", d.Duplicates))
			}
			if d.Reorders > 0 {
				bad = append(bad, fmt.Sprintf("%d reordered", d.Reorders))
			}
			if d.GapSignals > 0 {
				bad = append(bad, fmt.Sprintf("%d gap signals (%d messages left the ring)", d.GapSignals, d.GapMessages))
			}
			if len(bad) > 0 {
				out = append(out, fmt.Sprintf("%s%s: %s", label, rep, strings.Join(bad, ", ")))
			}
		}
	}
	return out
}

func stepLabel(r results.Record) string {
	if r.StepParam == "" {
		return ""
	}
	return fmt.Sprintf(" at %s=%s", r.StepParam, num(r.StepValue))
}

// floorGroup finds the floor's group at the same step.
func floorGroup(groups []*group, step int) *group {
	for _, g := range groups {
		if g.key.Transport == results.Floor && g.key.Step == step {
			return g
		}
	}
	return nil
}

func errCell(g *group) string {
	n := len(g.recs) - len(g.ok)
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d error(s)", n)
}

func deliveredCell(g *group) string {
	var del, exp int64
	for _, r := range g.ok {
		del += r.Delivery.Delivered
		exp += r.Delivery.Expected
	}
	if len(g.ok) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s/%s", num(float64(del)), num(float64(exp)))
}

func metricCell(g *group, name string, f func(float64) string) (string, float64, bool) {
	v, ok := g.medianOf(name)
	if !ok {
		return "-", 0, false
	}
	return f(v), v, true
}

func ratioCell(g, floor *group, name string) string {
	if floor == nil {
		return "-"
	}
	v, ok := g.medianOf(name)
	f, okF := floor.medianOf(name)
	return ratio(v, f, ok, okF)
}

func repsNote(groups []*group) string {
	most := 0
	for _, g := range groups {
		most = max(most, len(g.recs))
	}
	if most <= 1 {
		return "One repetition: compare runs with pushbench compare, not by eye."
	}
	return fmt.Sprintf("Medians over %d repetitions.", most)
}
