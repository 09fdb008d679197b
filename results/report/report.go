// Package report turns a run's records into what people read: per-scenario
// tables with each transport's ratio to the raw-TCP floor, loss and errors
// shown first, a summary naming the best transport per metric, and the
// claims section. It renders the same Report to a terminal, markdown and a
// self-contained HTML page. Everything comes from the records; nothing is
// written by hand.
package report

import (
	"sort"
	"time"

	"github.com/pushbench/pushbench/harness/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// Report is a rendered-ready view of one run.
type Report struct {
	RunID    string
	Started  time.Time
	Machine  proc.Machine
	Pinning  string
	Network  string
	Records  int
	Sections []Section
	Claims   []Claim
}

// Section is one scenario.
type Section struct {
	Scenario string
	Question string
	Alerts   []string // loss, duplicates, reorderings, errors: shown first
	Tables   []Table
	Summary  []string // best transport per metric and ratios to the floor
}

// Table is a titled grid of cells, already formatted.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Note   string
}

// group is the repetitions of one (scenario, step, transport).
type group struct {
	key  results.Key
	recs []results.Record // all repetitions
	ok   []results.Record // repetitions without an error
}

func (g *group) first() results.Record { return g.recs[0] }

// median of metric m over the group's successful repetitions; ok is false
// when none applies.
func (g *group) median(m results.Metric) (float64, bool) {
	var vals []float64
	for _, r := range g.ok {
		if m.Applies(r) {
			vals = append(vals, m.Value(r))
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	sort.Float64s(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2], true
	}
	return (vals[n/2-1] + vals[n/2]) / 2, true
}

// medianOf is median for a metric by name (which must exist).
func (g *group) medianOf(name string) (float64, bool) {
	m, _ := results.MetricByName(name)
	return g.median(m)
}

// Build groups the records by scenario, step and transport (in suite
// order) and derives every section and the claims.
func Build(recs []results.Record) *Report {
	rep := &Report{Records: len(recs)}
	if len(recs) > 0 {
		r0 := recs[0]
		rep.RunID, rep.Started, rep.Machine, rep.Pinning, rep.Network = r0.RunID, r0.Started, r0.Machine, r0.Pinning, r0.Params.Network
	}
	byScenario := map[string][]*group{}
	index := map[results.Key]*group{}
	var order []string
	for _, r := range recs {
		k := results.KeyOf(r)
		g := index[k]
		if g == nil {
			g = &group{key: k}
			index[k] = g
			if _, seen := byScenario[r.Scenario]; !seen {
				order = append(order, r.Scenario)
			}
			byScenario[r.Scenario] = append(byScenario[r.Scenario], g)
		}
		g.recs = append(g.recs, r)
		if r.Error == "" {
			g.ok = append(g.ok, r)
		}
	}
	for _, name := range order {
		groups := byScenario[name]
		sort.SliceStable(groups, func(i, j int) bool {
			if groups[i].key.Step != groups[j].key.Step {
				return groups[i].key.Step < groups[j].key.Step
			}
			return transportRank(groups[i].key.Transport) < transportRank(groups[j].key.Transport)
		})
		rep.Sections = append(rep.Sections, buildSection(name, groups))
	}
	if sec, ok := proxySection(recs); ok { // real proxies in the path: proxies.go
		rep.Sections = append(rep.Sections, sec)
	}
	rep.Claims = evaluateClaims(byScenario)
	return rep
}

// transportOrder puts the floor last so every table ends with it.
var transportOrder = []string{"shortpoll", "longpoll", "sse", "sse-lean", "websocket", results.Floor}

func transportRank(name string) int {
	if name == results.Floor {
		return 1 << 20
	}
	for i, n := range transportOrder {
		if n == name {
			return i
		}
	}
	return len(transportOrder) // unknown transports after the known ones, before the floor
}

func question(scenario string) string {
	if sc, err := scenarios.Find(scenario); err == nil {
		return sc.Question
	}
	return ""
}
