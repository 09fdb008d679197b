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

// SaturationFix is what the report tells a reader whose load generator
// was saturated.
const SaturationFix = "to fix: fewer clients per load-generator process, more CPUs, or the lean client"

// alerts lists, per repetition, everything the run knows that a reader
// must see before the numbers: errors, interruptions, counts that do not
// reconcile, a saturated load generator, loss, late, unexpected,
// duplicated or reordered messages, gap signals, clamped and under-range
// latencies, and the record's notes.
func alerts(groups []*group) []string {
	var out []string
	shared, sharedOrder := sharedNotes(groups)
	for _, g := range groups {
		label := g.label() + stepLabel(g.first())
		for _, r := range g.recs {
			rep := ""
			if len(g.recs) > 1 {
				rep = fmt.Sprintf(" (repetition %d)", r.Repetition)
			}
			if r.Error != "" {
				out = append(out, fmt.Sprintf("ERROR %s%s: %s", label, rep, r.Error))
			}
			if r.Interrupted {
				out = append(out, fmt.Sprintf("INTERRUPTED %s%s: the step was cut short; its figures are incomplete and left out of every statistic", label, rep))
			}
			d := r.Delivery
			if d.Mismatch != "" {
				out = append(out, fmt.Sprintf("COUNTS DO NOT RECONCILE %s%s: %s; this record cannot be trusted and never wins", label, rep, d.Mismatch))
			}
			if s := r.Loadgen.Saturated; s != "" {
				out = append(out, fmt.Sprintf("SATURATED %s%s: load generator saturated: this figure measures pushbench, not the transport (%s; %s)", label, rep, s, SaturationFix))
			}
			if p := r.Publisher; p != nil && p.Saturated != "" {
				out = append(out, fmt.Sprintf("SATURATED %s%s: publisher saturated: this figure measures pushbench's publisher, not the server (%s)", label, rep, p.Saturated))
			}
			var bad []string
			if d.Lost > 0 {
				bad = append(bad, fmt.Sprintf("%d of %d messages lost, never arrived (%d clients affected)", d.Lost, d.Expected, d.ClientsWithLoss))
			}
			if d.Late > 0 {
				bad = append(bad, fmt.Sprintf("%d arrived late, after the drain deadline (counted as delivered, latencies in the histogram)", d.Late))
			}
			if d.Unexpected > 0 {
				bad = append(bad, fmt.Sprintf("%d unexpected (outside the window or never published)", d.Unexpected))
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
			if d.ClampedSamples > 0 {
				bad = append(bad, fmt.Sprintf("%d latencies above 60 s recorded as 60 s", d.ClampedSamples))
			}
			if d.UnderRange > 0 {
				bad = append(bad, fmt.Sprintf("%d latencies below 1 µs (clock skew) recorded as 1 µs", d.UnderRange))
			}
			if len(bad) > 0 {
				out = append(out, fmt.Sprintf("%s%s: %s", label, rep, strings.Join(bad, ", ")))
			}
			for _, n := range r.Notes {
				if !shared[n] {
					out = append(out, fmt.Sprintf("note %s%s: %s", label, rep, n))
				}
			}
		}
	}
	for _, n := range sharedOrder {
		out = append(out, "note, every record of this scenario: "+n)
	}
	return out
}

// sharedNotes are the notes every record of the groups carries, in order
// of first appearance: shown once rather than per record.
func sharedNotes(groups []*group) (map[string]bool, []string) {
	count := map[string]int{}
	var order []string
	total := 0
	for _, g := range groups {
		for _, r := range g.recs {
			total++
			seen := map[string]bool{}
			for _, n := range r.Notes {
				if !seen[n] {
					seen[n] = true
					if count[n] == 0 {
						order = append(order, n)
					}
					count[n]++
				}
			}
		}
	}
	shared := map[string]bool{}
	var out []string
	for _, n := range order {
		if total > 1 && count[n] == total {
			shared[n] = true
			out = append(out, n)
		}
	}
	return shared, out
}

// Markers on a transport's cell: saturated, or otherwise disqualified.
const (
	markSaturated    = " ‡"
	markDisqualified = " †"
)

// transportCell names the group's transport (and implementation, when
// not pushbench's own) with its poll interval and its marker.
func transportCell(g *group) string {
	c := g.label() + pollNote(g)
	switch {
	case g.Saturated() != "":
		c += markSaturated
	case g.Disqualified() != "":
		c += markDisqualified
	}
	return c
}

// markNote is the footnote explaining the table's markers, built from the
// groups marked; "" when none is.
func markNote(groups []*group) string {
	var sat, dq []string
	for _, g := range groups {
		where := g.label() + stepLabel(g.first())
		switch {
		case g.Saturated() != "":
			sat = append(sat, where+" ("+g.Saturated()+")")
		case g.Disqualified() != "":
			dq = append(dq, where+" ("+g.Disqualified()+")")
		}
	}
	var out []string
	if len(sat) > 0 {
		out = append(out, "‡ load generator saturated: this figure measures pushbench, not the transport: "+strings.Join(sat, "; ")+"; "+SaturationFix+".")
	}
	if len(dq) > 0 {
		out = append(out, "† never a winner or a capacity limit: "+strings.Join(dq, "; ")+".")
	}
	return strings.Join(out, " ")
}

// excludedNote says which repetitions the statistics leave out.
func excludedNote(groups []*group) string {
	errs, intr := 0, 0
	for _, g := range groups {
		for _, r := range g.recs {
			switch {
			case r.Error != "":
				errs++
			case r.Interrupted:
				intr++
			}
		}
	}
	var parts []string
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d with an error", errs))
	}
	if intr > 0 {
		parts = append(parts, fmt.Sprintf("%d interrupted", intr))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Left out of the statistics: " + strings.Join(parts, ", ") + " repetition(s)."
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
		if g.facts.Floor && g.key.Step == step {
			return g
		}
	}
	return nil
}

func errCell(g *group) string {
	n := 0
	for _, r := range g.recs {
		if r.Error != "" {
			n++
		}
	}
	var parts []string
	if n > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s)", n))
	}
	if k := len(g.recs) - len(g.ok) - n; k > 0 {
		parts = append(parts, fmt.Sprintf("%d interrupted", k))
	}
	return strings.Join(parts, ", ")
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

// metricCell is the group's statistic for a metric: the median over its
// usable repetitions, formatted by f.
func metricCell(g *group, name string, f func(float64) string) (string, float64, bool) {
	st := g.stat(name)
	if !st.OK() {
		return missingCell(g, name), 0, false
	}
	return f(st.Center), st.Center, true
}

// notMeasured is the cell of a server figure of a target that runs
// elsewhere: absent, never 0.
const notMeasured = "not measured"

// missingCell is the cell of a metric that applies to none of the group's
// repetitions: "not measured" for a server figure of a target that runs
// elsewhere, "-" otherwise.
func missingCell(g *group, name string) string {
	if strings.HasPrefix(name, "server-") && !results.ServerMeasured(g.first()) {
		return notMeasured
	}
	return "-"
}

// intervalCell is metricCell with the 95% interval, when there is one.
func intervalCell(g *group, name string, f func(float64) string) string {
	st := g.stat(name)
	if !st.OK() {
		return "-"
	}
	if st.HasInterval() {
		return fmt.Sprintf("%s [%s, %s]", f(st.Center), f(st.Lo), f(st.Hi))
	}
	return f(st.Center)
}

func ratioCell(g, floor *group, name string) string { return ratioText(g, floor, name) }

// ratioText is the ratio of the group's median to the floor's at the same
// step, with an interval from the two 95% intervals (lo/floor hi to
// hi/floor lo) when both have one.
func ratioText(g, floor *group, name string) string {
	if floor == nil {
		return "-"
	}
	a, b := g.stat(name), floor.stat(name)
	out := ratio(a.Center, b.Center, a.OK(), b.OK())
	if out != "-" && a.HasInterval() && b.HasInterval() && b.Lo > 0 {
		out += fmt.Sprintf(" [%.2f, %.2f]", a.Lo/b.Hi, a.Hi/b.Lo)
	}
	return out
}

// loadgenCell is the load generator's CPU use, median over repetitions,
// as a share of the cores it may use.
func loadgenCell(g *group) string {
	var vals []float64
	cores := 0.0
	for _, r := range g.ok {
		if r.Loadgen.Cores > 0 {
			vals = append(vals, r.Loadgen.CPUUtilization)
			cores = r.Loadgen.Cores
		}
	}
	if len(vals) == 0 {
		return "-"
	}
	st := results.StatOf(vals)
	c := fmt.Sprintf("%.0f%% of %s", st.Center*100, num(cores))
	if g.Saturated() != "" {
		c += markSaturated
	}
	return c
}

func repsNote(groups []*group) string {
	most := 0
	for _, g := range groups {
		most = max(most, len(g.ok))
	}
	var s string
	switch {
	case most <= 1:
		s = "One repetition: no interval and no winner; compare runs with pushbench compare, not by eye."
	default:
		s = fmt.Sprintf("Each figure is the median over %d repetitions of that repetition's own figure (a p99 is the median of the repetitions' p99s); [lo, hi] is its 95%% interval where there are enough repetitions (6).", most)
	}
	for _, extra := range []string{excludedNote(groups), markNote(groups)} {
		if extra != "" {
			s += " " + extra
		}
	}
	return s
}
