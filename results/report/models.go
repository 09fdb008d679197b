package report

import (
	"slices"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// modelRank orders server models as scenarios.Models lists them (event
// loop, thread pool, process per connection), then any other model, then
// none.
func modelRank(model string) int {
	if i := slices.Index(scenarios.Models, model); i >= 0 {
		return i
	}
	if model == "" {
		return len(scenarios.Models) + 1
	}
	return len(scenarios.Models)
}

// byModel is impls grouped by model in modelRank's order, each model's
// implementations in their order in impls.
func byModel(impls []results.Implementation) []results.Implementation {
	out := slices.Clone(impls)
	sort.SliceStable(out, func(i, j int) bool { return modelRank(out[i].Model) < modelRank(out[j].Model) })
	return out
}

// modelCell and runtimeCell are an implementation's model and runtime as
// table cells; "-" when the record names none.
func modelCell(im results.Implementation) string   { return orDash(im.Model, im.Model != "") }
func runtimeCell(im results.Implementation) string { return orDash(im.Runtime, im.Runtime != "") }

// severalImplementations says whether groups measured more than one
// server.
func severalImplementations(groups []*group) bool {
	for _, g := range groups {
		if idOf(g.impl) != idOf(groups[0].impl) {
			return true
		}
	}
	return false
}

// withModels gives each table of a section of several implementations a
// model and a runtime column after its transport column: the tables of
// buildSection hold one row per group, in the groups' order. A section of
// one implementation is returned as it is.
func withModels(sec Section, groups []*group) Section {
	if len(groups) == 0 || !severalImplementations(groups) {
		return sec
	}
	for ti, t := range sec.Tables {
		at := slices.Index(t.Header, "transport")
		if at < 0 || len(t.Rows) != len(groups) {
			continue
		}
		t.Header = slices.Insert(slices.Clone(t.Header), at+1, "model", "runtime")
		rows := make([][]string, len(t.Rows))
		for i, row := range t.Rows {
			rows[i] = slices.Insert(slices.Clone(row), at+1, modelCell(groups[i].impl), runtimeCell(groups[i].impl))
		}
		t.Rows = rows
		sec.Tables[ti] = t
	}
	return sec
}

// idleHeldCell is the most idle connections the implementation held: the
// clients of the idle step the section reads (the largest with a
// qualifying repetition), then the larger steps that failed (an error in
// some repetition) or were excluded, never a step left unrun because an
// earlier one failed; "N+ (largest step tried)" when no larger step was
// tried, so it may hold more; "none (N failed)" when no step held.
func (f *implFigures) idleHeldCell() string {
	if !f.idleRan {
		return cellNotRun
	}
	held := 0
	if f.idlePick != nil {
		held = f.idlePick.first().Params.Clients
	}
	var above []string
	for _, g := range f.idle {
		n := g.first().Params.Clients
		if n <= held {
			continue
		}
		why := cellExcluded
		for _, r := range g.recs {
			switch {
			case strings.HasPrefix(r.Error, notRunPrefix):
				why = ""
			case r.Error != "":
				why = "failed"
			}
		}
		if why != "" {
			above = append(above, num(float64(n))+" "+why)
		}
	}
	switch {
	case held == 0 && len(above) == 0:
		return cellExcluded
	case held == 0:
		return "none (" + strings.Join(above, ", ") + ")"
	case len(above) == 0:
		return num(float64(held)) + "+ (largest step tried)"
	}
	return num(float64(held)) + " (" + strings.Join(above, ", ") + ")"
}

// notRunPrefix starts the error of a step the run skipped because an
// earlier step of the ramp failed (harness).
const notRunPrefix = "not run:"
