package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// implID identifies an implementation: records of one name and version
// measured the same server.
type implID struct{ name, version string }

func idOf(im results.Implementation) implID { return implID{im.Name, im.Version} }

// ownName is the name of pushbench's own servers: the implementation of
// records that name none.
var ownName = results.ImplementationOf(results.Record{}).Name

// implName is "nchan 1.3.6", or the name alone when there is no version.
func implName(im results.Implementation) string {
	if im.Version == "" {
		return im.Name
	}
	return im.Name + " " + im.Version
}

// implLabel is how tables name a transport of an implementation: the
// transport alone for pushbench's own servers, "sse (nchan 1.3.6)" for
// another's.
func implLabel(transport string, im results.Implementation) string {
	if im.Name == ownName {
		return transport
	}
	return transport + " (" + implName(im) + ")"
}

// label names the group's transport and, when not pushbench's own, its
// implementation.
func (g *group) label() string { return implLabel(g.key.Transport, g.impl) }

// groupRecords is results.GroupRecords keyed by implementation too:
// records of two servers speaking one transport never share a group.
// Groups come in order of first appearance.
func groupRecords(recs []results.Record) []*results.Group {
	type key struct {
		results.Key
		impl implID
	}
	index := map[key]*results.Group{}
	var out []*results.Group
	for _, r := range recs {
		k := key{results.KeyOf(r), idOf(results.ImplementationOf(r))}
		g := index[k]
		if g == nil {
			g = &results.Group{Key: k.Key}
			index[k] = g
			out = append(out, g)
		}
		g.Records = append(g.Records, r)
	}
	return out
}

// implementations are the implementations recs measured (each as its
// first record names it): pushbench's own first, then the others in order
// of first appearance.
func implementations(recs []results.Record) []results.Implementation {
	seen := map[implID]bool{}
	var own, others []results.Implementation
	for _, r := range recs {
		im := results.ImplementationOf(r)
		if seen[idOf(im)] {
			continue
		}
		seen[idOf(im)] = true
		if im.Name == ownName {
			own = append(own, im)
		} else {
			others = append(others, im)
		}
	}
	return append(own, others...)
}

// ofImplementation is byScenario's groups of one implementation.
func ofImplementation(byScenario map[string][]*group, id implID) claimData {
	out := claimData{}
	for name, groups := range byScenario {
		for _, g := range groups {
			if idOf(g.impl) == id {
				out[name] = append(out[name], g)
			}
		}
	}
	return out
}

// Figures of the implementations section and its claims: the scenarios
// and metrics the tables and claims use.
const (
	implLatency = "latency" // p50, p99 and bytes per message, at its first step
	implIdle    = "idle"    // server RSS and CPU per connection, at its largest step
	implFanout  = "fanout"  // the largest step within the SLO
)

// Cells of the implementations section where a figure is absent.
const (
	cellNotRun   = "not run"  // no record of the scenario
	cellExcluded = "excluded" // every repetition disqualified
)

// qualifying is g with only its qualifying repetitions
// (results.Record.Disqualified empty); nil when none qualifies. Its
// statistics are the tables' (group.stat) over those repetitions.
func qualifying(g *group) *group {
	var kept []results.Record
	for _, r := range g.recs {
		if r.Disqualified() == "" {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	rg := &results.Group{Key: g.key, Records: kept}
	return &group{Group: rg, key: g.key, recs: kept, ok: rg.Usable(), facts: g.facts, known: g.known, impl: g.impl}
}

// untrusted: r is disqualified by how it was measured (an error, an
// interruption, counts that do not reconcile, a saturated load generator
// or publisher), not only by what the server delivered (loss, duplicates,
// reorderings, unexpected messages), which is a fanout step's own result.
func untrusted(r results.Record) bool {
	c := r
	c.Delivery.Lost, c.Delivery.Duplicates, c.Delivery.Reorders, c.Delivery.Unexpected = 0, 0, 0, 0
	return c.Disqualified() != ""
}

// anyUntrusted: some repetition of g is untrusted.
func anyUntrusted(g *group) bool {
	for _, r := range g.recs {
		if untrusted(r) {
			return true
		}
	}
	return false
}

// implFigures are one implementation's groups of one transport in the
// section's scenarios (steps in order), every repetition included.
type implFigures struct {
	impl                   results.Implementation
	latency, idle, fanout  []*group
	transport              string
	facts                  results.TransportFacts
	latencyPick, idlePick  *group // the step the section reads, qualifying repetitions only
	latencyRan, idleRan    bool
	fanoutLimit            float64
	fanoutTop, fanoutTried bool
	fanoutTrusted          bool     // some step's measurement can be trusted
	fanoutUntrustedAbove   []string // steps above the limit whose measurement cannot be trusted
}

// rolePrefixes name the scenarios that play a built-in's role for the
// comparison across implementations: targets-latency (make bench-targets)
// and stacks-latency (make bench-stacks) are latency.
var rolePrefixes = []string{"targets-", "stacks-"}

// withRoles is byScenario with the groups of each targets-X or stacks-X
// scenario also under X, the scenario whose role it plays.
func withRoles(byScenario map[string][]*group) map[string][]*group {
	out := make(map[string][]*group, len(byScenario))
	for name, gs := range byScenario {
		out[name] = append(out[name], gs...)
		for _, p := range rolePrefixes {
			if role, ok := strings.CutPrefix(name, p); ok && (role == implLatency || role == implIdle || role == implFanout) {
				out[role] = append(out[role], gs...)
			}
		}
	}
	return out
}

// figuresOf gathers, per transport and implementation, the groups of the
// section's scenarios, and each transport's facts.
func figuresOf(byScenario map[string][]*group) (map[string]map[implID]*implFigures, map[string]results.TransportFacts) {
	out := map[string]map[implID]*implFigures{}
	facts := map[string]results.TransportFacts{}
	for _, sc := range []string{implLatency, implIdle, implFanout} {
		for _, g := range byScenario[sc] {
			t, id := g.key.Transport, idOf(g.impl)
			if out[t] == nil {
				out[t] = map[implID]*implFigures{}
			}
			f := out[t][id]
			if f == nil {
				f = &implFigures{impl: g.impl, transport: t}
				out[t][id] = f
			}
			if _, ok := facts[t]; !ok || g.known {
				facts[t] = g.facts
			}
			switch sc {
			case implLatency:
				f.latency = append(f.latency, g)
			case implIdle:
				f.idle = append(f.idle, g)
			default:
				f.fanout = append(f.fanout, g)
			}
		}
	}
	for _, byImpl := range out {
		for _, f := range byImpl {
			f.facts = facts[f.transport]
			if len(f.latency) > 0 {
				f.latencyRan, f.latencyPick = true, qualifying(f.latency[0])
			}
			if len(f.idle) > 0 {
				f.idleRan = true
				for i := len(f.idle) - 1; i >= 0 && f.idlePick == nil; i-- { // the largest step held
					f.idlePick = qualifying(f.idle[i])
				}
			}
			if len(f.fanout) > 0 {
				f.fanoutTried = true
				f.fanoutLimit, f.fanoutTop = fanoutLimit(f.fanout)
				for _, g := range f.fanout {
					if !anyUntrusted(g) {
						f.fanoutTrusted = true
					}
					if g.first().StepValue > f.fanoutLimit && anyUntrusted(g) {
						f.fanoutUntrustedAbove = append(f.fanoutUntrustedAbove, num(g.first().StepValue))
					}
				}
			}
		}
	}
	return out, facts
}

// pickCell is a metric of the picked group: cellNotRun when the scenario did
// not run, cellExcluded when no repetition qualified, else metricCell
// ("not measured" for a server figure of a target that runs elsewhere).
func pickCell(ran bool, g *group, name string, f func(float64) string) string {
	switch {
	case !ran:
		return cellNotRun
	case g == nil:
		return cellExcluded
	}
	c, _, _ := metricCell(g, name, f)
	return c
}

func (f *implFigures) fanoutCell() string {
	switch {
	case !f.fanoutTried:
		return cellNotRun
	case !f.fanoutTrusted:
		return cellExcluded
	}
	var s string
	switch {
	case f.fanoutTop && len(f.fanoutUntrustedAbove) > 0:
		s = num(f.fanoutLimit) + "+"
	case f.fanoutTop:
		s = num(f.fanoutLimit) + "+ (largest step tried)"
	case f.fanoutLimit == 0:
		s = "none within SLO"
	default:
		s = num(f.fanoutLimit)
	}
	if len(f.fanoutUntrustedAbove) > 0 {
		s += " (" + strings.Join(f.fanoutUntrustedAbove, ", ") + " excluded)"
	}
	return s
}

// implementationSection sets each transport beside itself across the
// implementations that measured it; only when records of more than one
// implementation are present.
func implementationSection(byScenario map[string][]*group, impls []results.Implementation) (Section, bool) {
	if len(impls) < 2 {
		return Section{}, false
	}
	byScenario = withRoles(byScenario)
	figs, facts := figuresOf(byScenario)
	names := make([]string, 0, len(figs))
	for t := range figs {
		names = append(names, t)
	}
	sort.Slice(names, func(i, j int) bool { return transportLess(facts, names[i], names[j]) })
	sec := Section{Scenario: "implementations",
		Question: "How does each transport do across the servers that speak it: latency, memory and CPU per idle connection, bytes per message, fanout limit?"}
	f0 := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	f2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	tbl := Table{Title: "Each transport across the implementations that measured it",
		Header: []string{"transport", "implementation", "version", "model", "runtime", "p50", "p99", "B/msg", "server RSS/idle conn", "server µs CPU/conn-s", "idle conns held", "largest fanout within SLO"}}
	var single []string
	for _, t := range names {
		var rows [][]string
		var only string
		for _, im := range byModel(impls) {
			f := figs[t][idOf(im)]
			if f == nil {
				continue
			}
			only = implName(im)
			rows = append(rows, []string{t, im.Name, orDash(im.Version, im.Version != ""), modelCell(im), runtimeCell(im),
				pickCell(f.latencyRan, f.latencyPick, "p50", us), pickCell(f.latencyRan, f.latencyPick, "p99", us),
				pickCell(f.latencyRan, f.latencyPick, "bytes-per-msg", f0),
				pickCell(f.idleRan, f.idlePick, "server-rss-per-conn", fmtBytes), pickCell(f.idleRan, f.idlePick, "server-cpu-per-conn-s", f2),
				f.idleHeldCell(), f.fanoutCell()})
		}
		if len(rows) < 2 {
			single = append(single, t+" ("+only+")")
			continue
		}
		tbl.Rows = append(tbl.Rows, rows...)
	}
	left, total := 0, 0
	for _, sc := range []string{implLatency, implIdle, implFanout} {
		for _, g := range byScenario[sc] {
			for _, r := range g.recs {
				total++
				why := r.Disqualified()
				if why == "" || (sc == implFanout && !untrusted(r)) {
					continue
				}
				left++
				rep := ""
				if len(g.recs) > 1 {
					rep = fmt.Sprintf(" (repetition %d)", r.Repetition)
				}
				sec.Alerts = append(sec.Alerts, fmt.Sprintf("EXCLUDED %s %s%s%s: %s", sc, g.label(), stepLabel(r), rep, why))
			}
		}
	}
	note := fmt.Sprintf("p50, p99 and B/msg from the %s scenario (its first step), server RSS and CPU per connection from the %s scenario (its largest step with a qualifying repetition): each the median over the qualifying repetitions. Idle conns held: that step's clients, then the larger steps that failed or were excluded (N+: it was the largest step tried). "+
		"Largest fanout within SLO: the largest client count of the %s scenario whose p99 (median of repetitions) met the scenario's SLO with nothing lost; N+: no step above it missed the SLO, so the limit is higher; (… excluded): steps whose measurement cannot be trusted, never a limit. "+
		"not run: no record of that scenario; not measured: the server runs elsewhere, its CPU and memory are not sampled; excluded: no repetition qualified. "+
		"Left out: %d of %d records of these scenarios: errors, interruptions, counts that do not reconcile, a saturated load generator or publisher, and in the latency and idle scenarios loss, duplicates, reorderings or unexpected messages too (in fanout these fail the step instead).",
		implLatency, implIdle, implFanout, left, total)
	if len(tbl.Rows) > 0 {
		tbl.Note = note
		sec.Tables = []Table{tbl}
	} else {
		sec.Summary = append(sec.Summary, "no transport was measured by more than one implementation in the "+implLatency+", "+implIdle+" or "+implFanout+" scenario")
	}
	if len(single) > 0 {
		sec.Summary = append(sec.Summary, "measured by one implementation only: "+strings.Join(single, ", "))
	}
	for _, im := range impls {
		for _, n := range im.Notes {
			sec.Summary = append(sec.Summary, "note "+implName(im)+": "+n)
		}
	}
	return sec, true
}

// claimsByImplementation judges the claims on one implementation's records
// (pushbench's own when present: results.ImplementationOf), and with
// several implementations adds C8 and C9 judged per implementation with a
// line across them, and per server model (claims_model.go); all in one
// family of comparisons. It returns the family's note too.
func claimsByImplementation(byScenario map[string][]*group, impls []results.Implementation) ([]Claim, string) {
	if len(impls) < 2 {
		return evaluateClaims(byScenario)
	}
	byScenario = withRoles(byScenario)
	j := newJudging()
	ref := impls[0]
	ps := pendingClaims(ofImplementation(byScenario, idOf(ref)), j)
	for i, p := range ps {
		ps[i] = func() Claim {
			c := p()
			c.Evidence = "On " + implName(ref) + "'s records only: " + c.Evidence
			return c
		}
	}
	t := j.trustedOnly(claimData(byScenario))
	var c8s, c9s []func() implVerdict
	for _, im := range impls {
		c8s = append(c8s, c8Of(t, j, im))
		c9s = append(c9s, c9Of(t, j, im))
	}
	per := map[string][]implVerdict{}
	ps = append(ps,
		func() Claim {
			per["C8"] = finishAll(c8s)
			return across("C8/impl", c8Text, "per implementation with SSE and WebSocket fanout records, C8's rule ("+c8Rule+"); "+acrossRule,
				"SSE stops below WebSocket", per["C8"])
		},
		func() Claim {
			per["C9"] = finishAll(c9s)
			return across("C9/impl", c9Text, "per implementation with SSE and WebSocket idle records (largest step, trusted repetitions): server RSS per connection and CPU per connection-second, "+
				"WebSocket above every SSE transport of the same implementation on both, Mann-Whitney per pair (RSS, the memory figure every implementation has; C9 itself reads pushbench's heap); "+acrossRule,
				"WebSocket heavier than SSE", per["C9"])
		})
	ps = append(ps, modelClaims(t, j, impls, per)...)
	return finish(j, ps), j.note()
}

func finishAll(fs []func() implVerdict) []implVerdict {
	out := make([]implVerdict, len(fs))
	for i, f := range fs {
		out[i] = f()
	}
	return out
}

const acrossRule = "the claim holds for the transport only where it holds in every implementation that measured it"

// implVerdict is a claim judged on one implementation's records.
type implVerdict struct {
	impl     results.Implementation
	verdict  string
	evidence string
}

// transportsOf are the transports im measured in scenario sc of t (every
// implementation when im is nil), with their facts.
func transportsOf(t claimData, sc string, ims ...results.Implementation) map[string]results.TransportFacts {
	out := map[string]results.TransportFacts{}
	for _, g := range t[sc] {
		for _, im := range ims {
			if idOf(g.impl) == idOf(im) {
				if _, ok := out[g.key.Transport]; !ok || g.known {
					out[g.key.Transport] = g.facts
				}
			}
		}
	}
	return out
}

// c8Of judges C8 on im's fanout groups with C8's own judgement.
func c8Of(t claimData, j *judging, im results.Implementation) func() implVerdict {
	facts := transportsOf(t, implFanout, im)
	sse, ws := namesWhere(facts, plainSSE), namesWhere(facts, refWebSocket)
	if len(sse) == 0 || len(ws) == 0 {
		return func() implVerdict { return implVerdict{im, NotMeasured, "no fanout record of both SSE and WebSocket"} }
	}
	id := idOf(im)
	series := func(names []string) []fanSeries {
		var out []fanSeries
		for _, n := range names {
			out = append(out, seriesOf(t, j, "C8/impl", n, n, &id))
		}
		return out
	}
	p := c8Judge(j, "C8/impl", c8Text, c8Rule, series(sse), series(ws))
	return func() implVerdict {
		c := p()
		return implVerdict{im, c.Verdict, strings.TrimSuffix(c.Evidence, ".")}
	}
}

// idleAt is transport tr's idle group of im at the largest step it held
// (a repetition that qualifies), else at its largest step; nil when none.
// A ramp ends on the step that failed: the figures are the step before.
func idleAt(t claimData, tr string, im results.Implementation) *group {
	var last, held *group
	for _, g := range t[implIdle] {
		if g.key.Transport != tr || idOf(g.impl) != idOf(im) {
			continue
		}
		last = g
		for _, r := range g.ok {
			if r.Disqualified() == "" {
				held = g
				break
			}
		}
	}
	if held != nil {
		return held
	}
	return last
}

// idleMetrics are the figures C9 compares per implementation and model.
var idleMetrics = []struct {
	name, unit string
	f          func(float64) string
}{
	{"server-rss-per-conn", "RSS/conn", fmtBytes},
	{"server-cpu-per-conn-s", "CPU/conn-s", func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + " µs" }},
}

// idleSide is one side of a C9 comparison: a transport of an
// implementation, named as the evidence names it.
type idleSide struct {
	name string
	g    *group
	im   results.Implementation
}

// c9Pairs registers C9's comparisons between the WebSocket sides and
// the SSE ones, per figure; why is not empty when a figure is missing.
func c9Pairs(j *judging, id string, ws, sse []idleSide, pair func(ws, sse idleSide) bool) (mem, cpu []*comparison, why string) {
	for _, s := range append(append([]idleSide(nil), ws...), sse...) {
		j.use(id, s.g)
	}
	for _, m := range idleMetrics { // every figure present before any comparison enters the family
		for _, s := range append(append([]idleSide(nil), ws...), sse...) {
			if len(s.g.ok) == 0 {
				return nil, nil, s.name + " idle: every repetition excluded"
			}
			if !s.g.stat(m.name).OK() {
				return nil, nil, s.name + " idle: " + m.unit + " not measured"
			}
		}
	}
	for i, m := range idleMetrics {
		for _, h := range ws {
			for _, l := range sse {
				if pair != nil && !pair(h, l) {
					continue
				}
				c := j.welch(fmt.Sprintf("%s|%s|%s|welch", m.name, groupKey(h.g), groupKey(l.g)), m.unit+" "+h.name+" vs "+l.name,
					h.g.stat(m.name), l.g.stat(m.name), m.f)
				if i == 0 {
					mem = append(mem, c)
				} else {
					cpu = append(cpu, c)
				}
			}
		}
	}
	return mem, cpu, ""
}

// c9Of judges C9 on im's idle groups at the idle scenario's largest step:
// server RSS and CPU per connection, WebSocket against each SSE
// transport.
func c9Of(t claimData, j *judging, im results.Implementation) func() implVerdict {
	facts := transportsOf(t, implIdle, im)
	sseN, wsN := namesWhere(facts, plainSSE), namesWhere(facts, refWebSocket)
	fixed := func(v, ev string) func() implVerdict { return func() implVerdict { return implVerdict{im, v, ev} } }
	switch {
	case len(sseN) == 0 || len(wsN) == 0:
		return fixed(NotMeasured, "no idle record of both SSE and WebSocket")
	case !im.Local:
		return fixed(NotMeasured, "the server runs elsewhere: its memory and CPU are not measured")
	}
	sides := func(names []string) []idleSide {
		var out []idleSide
		for _, n := range names {
			out = append(out, idleSide{n, idleAt(t, n, im), im})
		}
		return out
	}
	mem, cpu, why := c9Pairs(j, "C9/impl", sides(wsN), sides(sseN), nil)
	if why != "" {
		return fixed(NotMeasured, why)
	}
	return func() implVerdict {
		return implVerdict{im, bothVerdict(pairsVerdict(mem), pairsVerdict(cpu)), comparisonsText(mem) + "; " + comparisonsText(cpu)}
	}
}

// across is the line across implementations: how many of those that
// measured the claim support it, each one's verdict and figures. It is
// supported (or contradicted) only when every implementation that
// measured it is; not decided when none contradicts it but some could not
// decide; mixed otherwise.
func across(id, text, rule, says string, per []implVerdict) Claim {
	measured, yes, no, open := 0, 0, 0, 0
	var words, ev []string
	for _, p := range per {
		name := implName(p.impl)
		words = append(words, name+" "+verdictWord(p.verdict))
		ev = append(ev, name+": "+p.evidence)
		switch p.verdict {
		case NotMeasured:
			continue
		case Supported:
			yes++
		case Contradicted:
			no++
		case NotDecided:
			open++
		}
		measured++
	}
	v := Mixed
	switch {
	case measured == 0:
		v = NotMeasured
	case yes == measured:
		v = Supported
	case no == measured:
		v = Contradicted
	case open == measured || (open > 0 && no == 0 && yes+open == measured):
		v = NotDecided
	}
	line := fmt.Sprintf("%s in %d of %d implementations that measured it: %s. %s.", says, yes, measured, strings.Join(words, ", "), strings.Join(ev, "; "))
	return Claim{ID: id, Text: strings.TrimSuffix(text, ".") + ", across implementations.", Rule: rule, Verdict: v, Evidence: line}
}

func verdictWord(v string) string {
	switch v {
	case Supported:
		return "yes"
	case Contradicted:
		return "no"
	}
	return v
}
