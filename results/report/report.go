// Package report turns a run's records into what people read: per-scenario
// tables with each transport's ratio to the raw-TCP floor, loss and errors
// shown first, a summary naming a transport best at a metric only when the
// difference is significant over the repetitions, and the
// claims section. It renders the same Report to a terminal, markdown and a
// self-contained HTML page. Everything comes from the records; nothing is
// written by hand.
package report

import (
	"sort"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// Report is a rendered-ready view of one run.
type Report struct {
	RunID    string
	Started  time.Time
	Machine  results.Machine
	Pinning  string
	Network  string
	Records  int
	Sections []Section
	Claims   []Claim
	// ClaimsNote states how the claims were judged: the family of
	// comparisons, its correction and alpha, what was excluded.
	ClaimsNote string
	front      frontPage // the HTML page's opening (front.go), set by Render
}

// Section is one scenario.
type Section struct {
	Scenario string
	Question string
	Alerts   []string // errors, interruptions, saturation, loss, notes: shown first
	Tables   []Table
	Summary  []string // per metric: the winner when significant, else the intervals; ratios to the floor
}

// Table is a titled grid of cells, already formatted.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Note   string
}

// group is the repetitions of one (scenario, step, transport) of one
// implementation: the shared results.Group, with the repetitions whose
// figures count (no error, not interrupted) at hand.
type group struct {
	*results.Group
	key  results.Key
	recs []results.Record // all repetitions
	ok   []results.Record // usable repetitions (results.Usable)
	// facts are the transport's (results.FactsOf of the first
	// repetition); zero for an unknown transport of a record without them.
	facts results.TransportFacts
	known bool // facts are known (recorded or built in)
	// impl is the server the repetitions measured
	// (results.ImplementationOf of the first).
	impl results.Implementation
}

func (g *group) first() results.Record { return g.recs[0] }

// stat is metric name over the usable repetitions: the one statistic
// (results.Stat) every table, summary and claim shows.
func (g *group) stat(name string) results.Stat { return g.StatByName(name) }

// median of metric m over the group's usable repetitions; ok is false
// when none applies.
func (g *group) median(m results.Metric) (float64, bool) {
	st := g.Stat(m)
	return st.Center, st.OK()
}

// medianOf is median for a metric by name (which must exist).
func (g *group) medianOf(name string) (float64, bool) {
	st := g.stat(name)
	return st.Center, st.OK()
}

// qualified reports whether the group may be a winner or a capacity limit.
func (g *group) qualified() bool { return g.Disqualified() == "" && len(g.ok) > 0 }

// Build groups the records by scenario, step, transport and
// implementation (in suite order) and derives every section and the
// claims. With records of several implementations, each step's rows are
// grouped by server model (event loop, thread pool, process per
// connection) and the tables get model and runtime columns. With records of several implementations, the claims are judged
// on one (pushbench's own when present) and C8 and C9 per implementation.
func Build(recs []results.Record) *Report {
	rep := &Report{Records: len(recs)}
	if len(recs) > 0 {
		r0 := recs[0]
		rep.RunID, rep.Started, rep.Machine, rep.Pinning, rep.Network = r0.RunID, r0.Started, r0.Machine, r0.Pinning, r0.Params.Network
	}
	byScenario := map[string][]*group{}
	var order []string
	impls := implementations(recs)
	rank := map[implID]int{}
	for i, im := range impls {
		rank[idOf(im)] = i
	}
	for _, rg := range groupRecords(recs) {
		g := &group{Group: rg, key: rg.Key, recs: rg.Records, ok: rg.Usable(), impl: results.ImplementationOf(rg.Records[0])}
		g.facts, g.known = results.FactsOf(rg.Records[0])
		if _, seen := byScenario[g.key.Scenario]; !seen {
			order = append(order, g.key.Scenario)
		}
		byScenario[g.key.Scenario] = append(byScenario[g.key.Scenario], g)
	}
	for _, name := range order {
		groups := byScenario[name]
		sort.SliceStable(groups, func(i, j int) bool {
			if groups[i].key.Step != groups[j].key.Step {
				return groups[i].key.Step < groups[j].key.Step
			}
			if mi, mj := modelRank(groups[i].impl.Model), modelRank(groups[j].impl.Model); mi != mj {
				return mi < mj
			}
			if tableLess(groups[i].facts, groups[j].facts) || tableLess(groups[j].facts, groups[i].facts) {
				return tableLess(groups[i].facts, groups[j].facts)
			}
			return rank[idOf(groups[i].impl)] < rank[idOf(groups[j].impl)]
		})
		rep.Sections = append(rep.Sections, withModels(buildSection(name, groups), groups))
	}
	if sec, ok := implementationSection(byScenario, impls); ok { // several servers: implementations.go
		rep.Sections = append(rep.Sections, sec)
	}
	rep.Sections = appendBinarySection(rep.Sections, byScenario)
	if sec, ok := proxySection(recs); ok { // real proxies in the path: proxies.go
		rep.Sections = append(rep.Sections, sec)
	}
	if sec, ok := browserSection(recs); ok { // browser-measured records: browser.go
		rep.Sections = append(rep.Sections, sec)
	}
	rep.Sections = appendVariantSection(rep.Sections, byScenario)    // TLS and HTTP/2 variants: variants.go
	rep.Sections = appendInstrumentSection(rep.Sections, byScenario) // the load generator's cost beside the server's: instrument.go
	rep.Claims, rep.ClaimsNote = claimsByImplementation(byScenario, impls)
	return rep
}

// factsOf is r's transport facts, zero when they are not known.
func factsOf(r results.Record) results.TransportFacts {
	f, _ := results.FactsOf(r)
	return f
}

// tableLess is the tables' order of transports, from their facts: the
// heaviest first (highest Order), a base before its variants, transports
// without an order after the ranked ones, and the floor last so every
// table ends with it. Ties keep their order.
func tableLess(a, b results.TransportFacts) bool {
	switch {
	case a.Floor != b.Floor:
		return b.Floor
	case (a.Order > 0) != (b.Order > 0):
		return a.Order > 0
	case a.Order != b.Order:
		return a.Order > b.Order
	}
	return a.Variant < b.Variant
}

// transportLess is tableLess by name, ties broken by name.
func transportLess(facts map[string]results.TransportFacts, a, b string) bool {
	fa, fb := facts[a], facts[b]
	switch {
	case tableLess(fa, fb):
		return true
	case tableLess(fb, fa):
		return false
	}
	return a < b
}

// knownFacts are the facts of each transport of recs that has them
// (results.FactsOf of its first record).
func knownFacts(recs []results.Record) map[string]results.TransportFacts {
	out := map[string]results.TransportFacts{}
	for _, r := range recs {
		if _, seen := out[r.Transport]; seen {
			continue
		}
		if f, ok := results.FactsOf(r); ok {
			out[r.Transport] = f
		}
	}
	return out
}

// namesWhere lists the transports in facts that pred accepts, in table
// order.
func namesWhere(facts map[string]results.TransportFacts, pred func(results.TransportFacts) bool) []string {
	var out []string
	for n, f := range facts {
		if pred(f) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return transportLess(facts, out[i], out[j]) })
	return out
}

func question(scenario string) string {
	if sc, err := scenarios.Find(scenario); err == nil {
		return sc.Question
	}
	return ""
}
