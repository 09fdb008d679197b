package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pushbench/pushbench/results"
)

// Verdicts a claim can get.
const (
	Supported    = "supported"
	Contradicted = "contradicted"
	Mixed        = "mixed"
	NotMeasured  = "not measured"
	NotDecided   = "not decided" // measured, but the numbers cannot settle it (no transport reached its limit)
)

// Claim is one common belief from docs/CLAIMS.md, judged by this run.
type Claim struct {
	ID       string
	Text     string
	Rule     string // how the verdict is computed
	Verdict  string
	Evidence string // the numbers
}

type claimData map[string][]*group

// get returns a transport's group in a scenario: the step given, or the
// last step when step < 0.
func (d claimData) get(scenario, transport string, step int) *group {
	var found *group
	for _, g := range d[scenario] {
		if g.key.Transport == transport && (step < 0 || g.key.Step == step) && len(g.ok) > 0 {
			found = g
		}
	}
	return found
}

// facts are the facts of every transport a claim may name: the built-in
// ones, and those of the run's records, which take precedence.
func (d claimData) facts() map[string]results.TransportFacts {
	out := map[string]results.TransportFacts{}
	for _, n := range results.BuiltinTransports() {
		out[n], _ = results.Builtin(n, 0, false)
	}
	for _, groups := range d {
		for _, g := range groups {
			if g.known {
				out[g.key.Transport] = g.facts
			}
		}
	}
	return out
}

// names are the transports whose facts pred accepts, in table order.
func (d claimData) names(pred func(results.TransportFacts) bool) []string {
	return namesWhere(d.facts(), pred)
}

// name is the first of names, "" when none.
func (d claimData) name(pred func(results.TransportFacts) bool) string {
	if n := d.names(pred); len(n) > 0 {
		return n[0]
	}
	return ""
}

// What claims compare, picked by facts, never by name: like with like,
// plaintext HTTP/1.1 records (results.TransportFacts.Plain) unless a claim
// says otherwise.
func plainPush(f results.TransportFacts) bool  { return f.Push && f.Plain() }
func plainPolls(f results.TransportFacts) bool { return !f.Push && f.Plain() }
func shortPoll(f results.TransportFacts) bool  { return !f.Push && f.PollInterval && f.Plain() }
func longPoll(f results.TransportFacts) bool   { return !f.Push && !f.PollInterval } // any variant
func plainLongPoll(f results.TransportFacts) bool {
	return longPoll(f) && f.Plain()
}
func plainSSE(f results.TransportFacts) bool { return f.EventSource && f.Plain() }

// refWebSocket is the WebSocket transport that stands for the protocol;
// refPush the push transports that stand for theirs, the floor left out.
func refWebSocket(f results.TransportFacts) bool {
	return f.Upgrades && f.Representative && f.Plain()
}
func refPush(f results.TransportFacts) bool {
	return f.Push && !f.Floor && f.Representative && f.Plain()
}
func plainSSEOrWebSocket(f results.TransportFacts) bool {
	return (f.EventSource || f.Upgrades) && f.Plain()
}

// joinOr lists names as "a, b or c" (with "and" for conj "and").
func joinOr(names []string, conj string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// pick is claim id's group of a transport in a scenario at step (the last
// step when step < 0), read through j: every group of that transport
// there counts as read, and nil when none has a usable trusted
// repetition.
func (d claimData) pick(j *judging, id, scenario, transport string, step int) *group {
	for _, g := range d[scenario] {
		if g.key.Transport == transport && (step < 0 || g.key.Step == step) {
			j.use(id, g)
		}
	}
	return d.get(scenario, transport, step)
}

// pending is a claim built before the family's correction, finished
// after it.
type pending func() Claim

// ready is a claim that makes no comparison.
func ready(c Claim) pending { return func() Claim { return c } }

// pendingClaims builds the claims on d (every repetition, as grouped);
// each reads d's trusted repetitions only, through j.
func pendingClaims(d claimData, j *judging) []pending {
	t := j.trustedOnly(d)
	return []pending{
		c1(t, j), c2(t, j), c3(t, j), c4(t, j), c5(t, j), c6(t, j), c7(t, j), c8(t, j), c9(t, j), ready(c10(t)),
		c11(t, j),
		c12(t, j),
		ready(c13(t)), // browser.go
		ready(c14(t)),
	}
}

// finish corrects the family and finishes the pending claims, each with
// the records it read and left out.
func finish(j *judging, ps []pending) []Claim {
	j.holm()
	out := make([]Claim, len(ps))
	for i, p := range ps {
		c := p()
		c.Evidence += j.excluded(c.ID)
		out[i] = c
	}
	return out
}

// evaluateClaims judges the claims on byScenario, one family; the note
// states the family and its correction.
func evaluateClaims(byScenario map[string][]*group) ([]Claim, string) {
	j := newJudging()
	cs := finish(j, pendingClaims(claimData(byScenario), j))
	return cs, j.note()
}

func missing(id, text, rule, what string) Claim {
	return Claim{ID: id, Text: text, Rule: rule, Verdict: NotMeasured, Evidence: what + " not in this run (or every record of it excluded)."}
}

func pct(v float64) string    { return fmt.Sprintf("%.0f%%", v*100) }
func fixed3(v float64) string { return fmt.Sprintf("%.3f", v) }

// unitOf formats a figure with its unit.
func unitOf(unit string) func(float64) string {
	return func(v float64) string { return num(v) + " " + unit }
}

// outOf is c's outcome, and whether there is a comparison at all.
func outOf(c *comparison) (int, bool) {
	if c == nil {
		return outOpen, false
	}
	return c.outcome(), true
}

func c1(d claimData, j *judging) pending {
	const id = "C1"
	text := "Short polling wastes most of its requests: most answers carry no new data."
	rule := "share of empty short-poll answers against one half, sign test over the repetitions: supported when the latency scenario's is significantly above; mixed when it is below and the idle scenario's above; contradicted when below in both (or in latency with no idle record)"
	sp := d.name(shortPoll)
	lat := d.pick(j, id, "latency", sp, 0)
	idle := d.pick(j, id, "idle", sp, 0)
	if lat == nil && idle == nil {
		return ready(missing(id, text, rule, sp+" in the latency or idle scenario"))
	}
	share := func(r results.Record) float64 { return r.Wire.EmptyPollShare }
	polls := func(g *group) string {
		return num(statOver(g, func(r results.Record) float64 { return float64(r.Delivery.Polls) }, nil).Center)
	}
	var ev []string
	var tl, ti *comparison
	if lat != nil {
		r := lat.first()
		tl = j.signTest("C1|share|"+groupKey(lat), "latency empty share", statOver(lat, share, nil), 0.5, pct)
		ev = append(ev, fmt.Sprintf("latency (%g msg/s, polls every %s, median %s polls)", r.Params.Rate, r.Params.PollInterval, polls(lat)))
	}
	if idle != nil {
		ti = j.signTest("C1|share|"+groupKey(idle), "idle empty share", statOver(idle, share, nil), 0.5, pct)
		bpm, _ := idle.medianOf("bytes-per-conn-min")
		ev = append(ev, fmt.Sprintf("idle (median %s polls, %.0f B per connection-minute)", polls(idle), bpm))
	}
	return func() Claim {
		ol, hasL := outOf(tl)
		oi, hasI := outOf(ti)
		var cs []*comparison
		for _, c := range []*comparison{tl, ti} {
			if c != nil {
				cs = append(cs, c)
			}
		}
		v := NotDecided
		switch {
		case ol == outAbove:
			v = Supported
		case ol == outBelow && oi == outAbove:
			v = Mixed // true when messages are rarer than polls, false at the latency scenario's rate
		case ol == outBelow && (!hasI || oi == outBelow):
			v = Contradicted
		case !hasL && oi == outAbove:
			v = Mixed
		}
		return Claim{id, text, rule, v, strings.Join(ev, "; ") + ". " + comparisonsText(cs) + "."}
	}
}

func c2(d claimData, j *judging) pending {
	const id = "C2"
	text := "Short polling delivers data late: a client is only as fresh as its poll interval."
	rule := "latency scenario: short-poll p50 over 10x WebSocket's (Mann-Whitney) and at least a quarter of the poll interval (sign test): supported when both are significantly above, contradicted when either is significantly below"
	spName, wsName := d.name(shortPoll), d.name(refWebSocket)
	sp, ws := d.pick(j, id, "latency", spName, 0), d.pick(j, id, "latency", wsName, 0)
	if sp == nil || ws == nil || !sp.stat("p50").OK() || !ws.stat("p50").OK() {
		return ready(missing(id, text, rule, spName+" and "+wsName+" in the latency scenario"))
	}
	iv := sp.first().Params.PollInterval
	a := j.mannWhitney("C2|p50|"+groupKey(sp)+"|10x|"+groupKey(ws), spName+" p50 vs 10x "+wsName+"'s", sp.stat("p50"), ws.stat("p50"), 10, us)
	var b *comparison
	if q := quarter(iv); q > 0 {
		b = j.signTest("C2|p50|"+groupKey(sp)+"|quarter", spName+" p50 vs a quarter of its "+iv+" interval", sp.stat("p50"), q, us)
	}
	return func() Claim {
		cs := []*comparison{a}
		outs := []int{a.outcome()}
		if b != nil {
			cs = append(cs, b)
			outs = append(outs, b.outcome())
		}
		v := NotDecided
		switch {
		case slices.Contains(outs, outBelow):
			v = Contradicted
		case b != nil && verdictOf(outs) == Supported:
			v = Supported
		}
		ev := fmt.Sprintf("short poll polls every %s. %s.", iv, comparisonsText(cs))
		if b == nil {
			ev += " The poll interval is not recorded, so the freshness half is not decided."
		}
		return Claim{id, text, rule, v, ev}
	}
}

func quarter(interval string) float64 {
	var d float64
	if t, err := time.ParseDuration(interval); err == nil {
		d = float64(t.Microseconds()) / 4
	}
	return d
}

func c3(d claimData, j *judging) pending {
	text := "Polling loads the server more than push under the same traffic."
	rule := "latency scenario: server CPU per delivered message, each plaintext poll transport above each representative push transport, the floor left out (Mann-Whitney per pair)"
	return compareGroups(d, j, "C3", text, rule, "latency", "server-cpu-per-msg", d.names(plainPolls), d.names(refPush), unitOf("µs CPU/msg"), 1)
}

func c4(d claimData, j *judging) pending {
	text := "Per-request HTTP headers make polling expensive on the wire."
	rule := "latency scenario: bytes per delivered message, each poll above 2x WebSocket's (Mann-Whitney per pair)"
	return compareGroups(d, j, "C4", text, rule, "latency", "bytes-per-msg", d.names(plainPolls), d.names(refWebSocket), unitOf("B/msg"), 2)
}

// compareGroups registers, for claim id, one Mann-Whitney comparison of
// every "more" transport's metric against factor times every "less"
// transport's (first step of the scenario); the claim finishes with
// pairsVerdict.
func compareGroups(d claimData, j *judging, id, text, rule, scenario, metric string, more, less []string, unit func(float64) string, factor float64) pending {
	cs, ok := comparePairs(d, j, id, scenario, metric, more, less, unit, factor)
	if !ok {
		return ready(missing(id, text, rule, strings.Join(append(append([]string(nil), more...), less...), ", ")+" in the "+scenario+" scenario"))
	}
	return func() Claim {
		return Claim{id, text, rule, pairsVerdict(cs), fmt.Sprintf("%s scenario, %s: %s.", scenario, metric, comparisonsText(cs))}
	}
}

// measured: every transport named has a usable figure of metric in the
// scenario's first step (so a claim that needs several figures registers
// no comparison unless it can make them all).
func (d claimData) measured(j *judging, id, scenario, metric string, names []string) bool {
	for _, t := range names {
		if g := d.pick(j, id, scenario, t, 0); g == nil || !g.stat(metric).OK() {
			return false
		}
	}
	return len(names) > 0
}

// comparePairs registers compareGroups' comparisons; ok is false when a
// transport named has no usable figure.
func comparePairs(d claimData, j *judging, id, scenario, metric string, more, less []string, unit func(float64) string, factor float64) ([]*comparison, bool) {
	if len(more) == 0 || len(less) == 0 {
		return nil, false
	}
	groups := map[string]*group{}
	complete := true
	for _, t := range append(append([]string(nil), more...), less...) {
		g := d.pick(j, id, scenario, t, 0)
		if g == nil || !g.stat(metric).OK() {
			complete = false
			continue
		}
		groups[t] = g
	}
	if !complete {
		return nil, false
	}
	var cs []*comparison
	for _, h := range more {
		for _, l := range less {
			gh, gl := groups[h], groups[l]
			label := h + " vs " + l
			if factor != 1 {
				label = fmt.Sprintf("%s vs %gx %s", h, factor, l)
			}
			key := fmt.Sprintf("%s|%s|%s|%g", metric, groupKey(gh), groupKey(gl), factor)
			cs = append(cs, j.mannWhitney(key, label, gh.stat(metric), gl.stat(metric), factor, unit))
		}
	}
	return cs, true
}

func c5(d claimData, j *judging) pending {
	const id = "C5"
	text := "Long polling cuts requests compared with short polling, but pays a round trip per batch."
	rule := "latency scenario: polls per delivered message, long poll below short poll (Mann-Whitney); on a network with a round trip (not loopback), long-poll p50 above WebSocket's: supported when both hold, contradicted when long poll makes significantly more polls, not decided when the round trip cannot be priced"
	spName, lpName := d.name(shortPoll), d.name(plainLongPoll)
	sp, lp := d.pick(j, id, "latency", spName, 0), d.pick(j, id, "latency", lpName, 0)
	if sp == nil || lp == nil {
		return ready(missing(id, text, rule, "both polls in the latency scenario"))
	}
	polls := func(r results.Record) float64 { return r.Wire.PollsPerMessage }
	fewer := j.mannWhitney("C5|polls|"+groupKey(sp)+"|"+groupKey(lp), spName+" vs "+lpName+" polls per delivered message", statOver(sp, polls, nil), statOver(lp, polls, nil), 1, fixed3)
	net := lp.first().Params.Network
	var trip *comparison
	why := ""
	wsName := d.name(refWebSocket)
	switch ws := d.pick(j, id, "latency", wsName, 0); {
	case net == "" || net == "loopback":
		why = "this run's records are on loopback, where a round trip costs nothing: no record on a wan or mobile network is present to price it"
	case ws == nil || !ws.stat("p50").OK():
		why = fmt.Sprintf("on the %s network no WebSocket latency record is present to price the round trip", net)
	default:
		trip = j.mannWhitney("C5|p50|"+groupKey(lp)+"|"+groupKey(ws), fmt.Sprintf("%s vs %s p50 on the %s network", lpName, wsName, net), lp.stat("p50"), ws.stat("p50"), 1, us)
	}
	return func() Claim {
		cs := []*comparison{fewer}
		v := NotDecided
		o := fewer.outcome()
		switch {
		case o == outBelow:
			v = Contradicted // long poll makes more polls per message
		case o == outAbove && trip != nil:
			cs = append(cs, trip)
			switch trip.outcome() {
			case outAbove:
				v = Supported
			case outBelow:
				v = Mixed // fewer requests, no round-trip cost
			}
		case trip != nil:
			cs = append(cs, trip)
		}
		ev := comparisonsText(cs)
		if why != "" {
			ev += "; " + why
		}
		return Claim{id, text, rule, v, ev + "."}
	}
}

func c6(d claimData, j *judging) pending {
	const id = "C6"
	text := "Long polling can lose, duplicate or reorder messages."
	rule := "every trusted long-poll record: supported when any lost, duplicated or reordered a message; contradicted only when fault-scenario records (which could show it) did none of it; not decided without a fault scenario"
	var lost, dups, reord, delivered int64
	n := 0
	faults := map[string]bool{}
	seen := map[*group]bool{} // a targets- scenario's groups also stand under their role
	for _, groups := range d {
		for _, g := range groups {
			if !g.known || !longPoll(g.facts) || seen[g] {
				continue
			}
			seen[g] = true
			j.use(id, g)
			for _, r := range g.ok {
				if r.Params.Fault != "" {
					faults[r.Scenario] = true
				}
				n++
				lost += r.Delivery.Lost
				dups += r.Delivery.Duplicates
				reord += r.Delivery.Reorders
				delivered += r.Delivery.Delivered
			}
		}
	}
	if n == 0 {
		return ready(missing(id, text, rule, "long poll"))
	}
	names := make([]string, 0, len(faults))
	for f := range faults {
		names = append(names, f)
	}
	sort.Strings(names)
	ev := fmt.Sprintf("%d long-poll records, %d messages delivered: %d lost, %d duplicated, %d reordered (with a resume cursor", n, delivered, lost, dups, reord)
	v := NotDecided
	switch {
	case lost+dups+reord > 0:
		v = Supported
		ev += ")"
	case len(names) > 0:
		v = Contradicted
		ev += "; under the faults of " + strings.Join(names, ", ") + ")"
	default:
		ev += "): not decided: no fault scenario in these records, and records without a disconnect cannot show what one costs"
	}
	return ready(Claim{id, text, rule, v, ev + "."})
}

func c7(d claimData, j *judging) pending {
	text := "Holding many long-poll connections open consumes server resources."
	rule := "idle scenario: server heap per held long poll above each representative push transport's per connection, the floor left out (Mann-Whitney per pair)"
	return compareGroups(d, j, "C7", text, rule, "idle", "server-heap-per-conn", d.names(plainLongPoll), d.names(refPush), unitOf("B heap/conn"), 1)
}

const (
	c8Text = "SSE is simpler and lighter than WebSocket but does not scale as far."
	c8Rule = "fanout scenario: largest client count within the SLO without loss (trusted steps only), SSE against WebSocket; where one stopped below the other, their p99s at the step where it left the SLO are compared (Mann-Whitney): supported when every SSE transport stopped significantly below every WebSocket one; not decided while a limit is not reached or the limits tie"
)

func c8(d claimData, j *judging) pending {
	var sse, ws []fanSeries
	for _, t := range d.names(plainSSE) {
		sse = append(sse, seriesOf(d, j, "C8", t, t, nil))
	}
	for _, t := range d.names(refWebSocket) {
		ws = append(ws, seriesOf(d, j, "C8", t, t, nil))
	}
	return c8Judge(j, "C8", c8Text, c8Rule, sse, ws)
}

// fanSeries is one transport's fanout groups of one implementation (or of
// any, for a report of one), steps in order, named as the evidence names
// it.
type fanSeries struct {
	name   string
	groups []*group
}

// seriesOf is transport t's fanout series in d, read by claim id; only
// groups of implementation im when im is not nil.
func seriesOf(d claimData, j *judging, id, name, t string, im *implID) fanSeries {
	s := fanSeries{name: name}
	for _, g := range d["fanout"] {
		if g.key.Transport == t && (im == nil || idOf(g.impl) == *im) {
			j.use(id, g)
			s.groups = append(s.groups, g)
		}
	}
	return s
}

// fanoutLimit is the largest step within the SLO (withinSLO) of one
// transport's fanout groups, in step order, and whether no step after it
// failed (its limit is higher: a lower bound only). A step whose
// measurement cannot be trusted (untrusted: an error, a saturated load
// generator or publisher...) is never a limit: it neither raises nor ends
// the bound; with no step trusted the limit is open (0, true).
func fanoutLimit(groups []*group) (v float64, top bool) {
	top = true
	for _, g := range groups {
		if anyUntrusted(g) {
			continue
		}
		if withinSLO(g) {
			v, top = g.first().StepValue, true
		} else {
			top = false
		}
	}
	return v, top
}

// leftSLO is the first trusted step above limit v whose p99 left the SLO
// (or that lost messages), nil when none.
func leftSLO(groups []*group, v float64) *group {
	for _, g := range groups {
		if !anyUntrusted(g) && g.first().StepValue > v && !withinSLO(g) {
			return g
		}
	}
	return nil
}

// atStep is the series' group at client count v, nil when none.
func atStep(groups []*group, v float64) *group {
	for _, g := range groups {
		if g.first().StepValue == v {
			return g
		}
	}
	return nil
}

// c8Judge judges C8 between the SSE series and the WebSocket ones: for
// each pair, the one that stopped first is compared with the other at the
// step where it left the SLO.
func c8Judge(j *judging, id, text, rule string, sse, ws []fanSeries) pending {
	for _, s := range append(append([]fanSeries(nil), sse...), ws...) {
		if len(s.groups) == 0 {
			var names []string
			for _, s := range append(append([]fanSeries(nil), sse...), ws...) {
				names = append(names, s.name)
			}
			return ready(missing(id, text, rule, joinOr(names, "and")+" in the fanout scenario"))
		}
	}
	if len(sse) == 0 || len(ws) == 0 {
		return ready(missing(id, text, rule, "SSE and WebSocket in the fanout scenario"))
	}
	var parts []string
	for _, s := range append(append([]fanSeries(nil), sse...), ws...) {
		v, top := fanoutLimit(s.groups)
		parts = append(parts, s.name+" "+limitText(v, top))
	}
	type pair struct {
		c    *comparison
		sign int    // outAbove when c's first side is the SSE series
		why  string // why the pair is open, when c is nil
	}
	var pairs []pair
	p99, _ := results.MetricByName("p99")
	for _, a := range sse {
		for _, b := range ws {
			va, ta := fanoutLimit(a.groups)
			vb, tb := fanoutLimit(b.groups)
			first, second, sign := a, b, outAbove // first stopped below second
			switch {
			case va < vb && !ta:
			case vb < va && !tb:
				first, second, sign = b, a, outBelow
			case va == vb && !ta && !tb:
				pairs = append(pairs, pair{why: fmt.Sprintf("%s and %s stopped at the same step (%s): the steps cannot order them", a.name, b.name, num(va))})
				continue
			default:
				pairs = append(pairs, pair{why: fmt.Sprintf("%s vs %s: a limit not reached leaves the comparison open", a.name, b.name)})
				continue
			}
			vf, _ := fanoutLimit(first.groups)
			gf := leftSLO(first.groups, vf)
			gs := atStep(second.groups, gf.first().StepValue)
			if gs == nil || anyUntrusted(gs) || !withinSLO(gs) {
				pairs = append(pairs, pair{why: fmt.Sprintf("%s left the SLO at clients=%s, where %s has no trusted step within it", first.name, num(gf.first().StepValue), second.name)})
				continue
			}
			label := fmt.Sprintf("p99 at clients=%s, %s (left the SLO) vs %s", num(gf.first().StepValue), first.name, second.name)
			c := j.mannWhitney("C8|p99|"+groupKey(gf)+"|"+groupKey(gs), label, gf.Stat(p99), gs.Stat(p99), 1, us)
			pairs = append(pairs, pair{c: c, sign: sign})
		}
	}
	return func() Claim {
		outs := make([]int, len(pairs))
		var ev []string
		for i, p := range pairs {
			if p.c == nil {
				ev = append(ev, p.why)
				continue
			}
			outs[i] = p.c.outcome() * p.sign
			ev = append(ev, p.c.text())
		}
		return Claim{id, text, rule, verdictOf(outs), "largest client count within the SLO: " + strings.Join(parts, ", ") + ". " + strings.Join(ev, "; ") + "."}
	}
}

func limitText(v float64, top bool) string {
	if top {
		return num(v) + "+ (largest step tried, limit not reached)"
	}
	if v == 0 {
		return "none"
	}
	return num(v)
}

const c9Text = "WebSocket uses more resources (memory, CPU) than SSE."

func c9(d claimData, j *judging) pending {
	const id = "C9"
	text := c9Text
	rule := "idle scenario: server heap per connection and CPU per connection-second, WebSocket above each SSE transport on both (Mann-Whitney per pair); mixed when the two figures disagree"
	ws, sse := d.names(refWebSocket), d.names(plainSSE)
	both := append(append([]string(nil), ws...), sse...)
	if !d.measured(j, id, "idle", "server-heap-per-conn", both) || !d.measured(j, id, "idle", "server-cpu-per-conn-s", both) {
		return ready(missing(id, text, rule, strings.Join(both, ", ")+" in the idle scenario"))
	}
	mem, ok1 := comparePairs(d, j, id, "idle", "server-heap-per-conn", ws, sse, unitOf("B heap/conn"), 1)
	cpu, ok2 := comparePairs(d, j, id, "idle", "server-cpu-per-conn-s", ws, sse, unitOf("µs CPU/conn-s"), 1)
	if !ok1 || !ok2 {
		return ready(missing(id, text, rule, strings.Join(append(append([]string(nil), ws...), sse...), ", ")+" in the idle scenario"))
	}
	return func() Claim {
		return Claim{id, text, rule, bothVerdict(pairsVerdict(mem), pairsVerdict(cpu)),
			"memory: " + comparisonsText(mem) + ". CPU: " + comparisonsText(cpu) + "."}
	}
}

// bothVerdict combines the verdicts of two figures a claim needs both of:
// not decided when either is, mixed when they differ.
func bothVerdict(a, b string) string {
	switch {
	case a == NotDecided || b == NotDecided:
		return NotDecided
	case a != b:
		return Mixed
	}
	return a
}

func c10(d claimData) Claim {
	text := "SSE reconnects by itself and resumes with Last-Event-ID; WebSocket needs resume built by hand."
	rule := "fault scenarios: loss and reconnect time per transport"
	var parts []string
	names := d.names(plainSSEOrWebSocket)
	for _, t := range names {
		if g := d.get("churn", t, 0); g != nil {
			c := sumCounts(g)
			parts = append(parts, fmt.Sprintf("%s %d lost over %d reconnects", t, c.Lost, c.Reconnects))
		}
	}
	for _, t := range names {
		if g := d.get("fault-reset", t, 0); g != nil {
			c := sumCounts(g)
			parts = append(parts, fmt.Sprintf("fault-reset %s: %d lost, %d duplicated over %d disconnects, reconnect p50 %s", t, c.Lost, c.Duplicates, c.Drops, us(medianOver(g, func(r results.Record) float64 { return float64(r.Reconnect.P50) }))))
		}
	}
	ev := "no churn or fault-reset record of " + joinOr(names, "or") + " is present in this run."
	if len(parts) > 0 {
		ev = "every transport given a resume cursor by pushbench (churn: planned reconnects): " + strings.Join(parts, "; ") + ". WebSocket needed pushbench's ?since= cursor, built by hand; SSE used Last-Event-ID. The numbers cannot tell the effort apart."
	}
	return Claim{"C10", text, rule, NotMeasured, ev}
}

// c11 judges C11 from the binary payload records (the payload-binary
// scenario, or any scenario of binary records) at their largest payload,
// where framing no longer hides the encoding: SSE carries base64, 4 bytes
// per 3, WebSocket the raw bytes.
func c11(d claimData, j *judging) pending {
	const id = "C11"
	text := "SSE carries only UTF-8 text, so binary payloads cost more than over WebSocket."
	rule := "binary payloads at the largest payload measured: bytes per delivered message of each plaintext SSE transport (base64) against 1.2x WebSocket's (raw binary frames), Mann-Whitney per pair; CPU per message shown beside"
	var scen string
	for _, name := range sortedNames(d) {
		if gs := d[name]; len(gs) > 0 && gs[0].first().Params.Binary && (scen == "" || name == "payload-binary") {
			scen = name
		}
	}
	if scen == "" {
		return ready(missing(id, text, rule, "a scenario with binary payloads (payload-binary)"))
	}
	step, payload := -1, -1
	for _, g := range d[scen] {
		if p := g.first().Params.Payload; p > payload && len(g.ok) > 0 {
			step, payload = g.key.Step, p
		}
	}
	wsName := d.name(refWebSocket)
	ws := d.pick(j, id, scen, wsName, step)
	if ws == nil || !ws.stat("bytes-per-msg").OK() {
		return ready(missing(id, text, rule, "websocket with binary payloads"))
	}
	cpu := func(g *group) string {
		s, _ := g.medianOf("server-cpu-per-msg")
		return fmt.Sprintf("%s: server %.2f µs, load generator %.2f µs CPU/msg", g.key.Transport, s, medianOver(g, func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs }))
	}
	cpus := []string{cpu(ws)}
	var cs []*comparison
	for _, tr := range d.names(plainSSE) {
		g := d.pick(j, id, scen, tr, step)
		if g == nil || !g.stat("bytes-per-msg").OK() {
			continue
		}
		cs = append(cs, j.mannWhitney("C11|bpm|"+groupKey(g)+"|"+groupKey(ws), fmt.Sprintf("%s vs 1.2x %s", tr, wsName), g.stat("bytes-per-msg"), ws.stat("bytes-per-msg"), 1.2, unitOf("B/msg")))
		cpus = append(cpus, cpu(g))
	}
	if len(cs) == 0 {
		return ready(missing(id, text, rule, "sse or sse-lean with binary payloads"))
	}
	return func() Claim {
		return Claim{id, text, rule, pairsVerdict(cs), fmt.Sprintf("%s, %s payload: %s (%s).", scen, fmtBytes(float64(payload)), comparisonsText(cs), strings.Join(cpus, "; "))}
	}
}

// Scenarios C12 reads: the idle-closing fault without and with heartbeats.
const (
	idleClose          = "fault-idle-close"
	idleCloseHeartbeat = "fault-idle-close-heartbeat"
)

// c12 judges C12 per network the idle-close records ran on (the fault
// injector, or a real proxy) and per streaming transport: the unplanned
// disconnects of every trusted repetition without heartbeats against
// those with them.
func c12(d claimData, j *judging) pending {
	const id = "C12"
	text := "Without heartbeats, proxies and middleboxes cut idle streaming connections."
	rule := "fault-idle-close vs fault-idle-close-heartbeat, per network and streaming transport: disconnects per repetition without heartbeats above those with them (Mann-Whitney over every repetition)"
	keys, without, with := c12Groups(d, j, id)
	var cases []*c12Net
	byNet := map[string]*c12Net{}
	var all []*comparison
	for _, k := range keys {
		nc := byNet[k.net]
		if nc == nil {
			nc = &c12Net{net: k.net}
			byNet[k.net] = nc
			cases = append(cases, nc)
		}
		a, b := without[k], with[k]
		if len(a) == 0 || len(b) == 0 {
			nc.absent = append(nc.absent, k.tr)
			continue
		}
		if nc.settings == "" {
			nc.settings = idleCloseSettings(a, b)
		}
		c := j.mannWhitney("C12|drops|"+k.net+"|"+k.tr, k.tr+" disconnects per repetition without vs with heartbeats", dropsStat(a), dropsStat(b), 1, num)
		nc.cs = append(nc.cs, c)
		all = append(all, c)
	}
	if len(all) == 0 {
		m := missing(id, text, rule, "the fault-idle-close scenarios with and without heartbeats")
		for _, nc := range cases {
			m.Evidence += fmt.Sprintf(" Through %s, %s did not run both (see the proxies section).", nc.net, strings.Join(nc.absent, ", "))
		}
		return ready(m)
	}
	return func() Claim {
		var ev []string
		for _, nc := range cases {
			ev = append(ev, nc.evidence())
		}
		return Claim{id, text, rule, pairsVerdict(all), strings.Join(ev, ". ") + "."}
	}
}

// c12Key is one network and streaming transport of C12.
type c12Key struct{ net, tr string }

// c12Groups gathers C12's qualifying records without and with heartbeats
// per network and transport, and the keys in network order.
func c12Groups(d claimData, j *judging, id string) (keys []c12Key, without, with map[c12Key][]results.Record) {
	without, with = map[c12Key][]results.Record{}, map[c12Key][]results.Record{}
	seen := map[c12Key]bool{}
	for _, t := range d.names(plainPush) {
		for _, sc := range []string{idleClose, idleCloseHeartbeat} {
			for _, g := range d[sc] {
				if g.key.Transport != t {
					continue
				}
				j.use(id, g)
				for _, r := range g.recs {
					if k := (c12Key{r.Params.Network, t}); !seen[k] {
						seen[k] = true
						keys = append(keys, k)
					}
				}
				for _, r := range g.ok {
					k := c12Key{r.Params.Network, t}
					if sc == idleClose {
						without[k] = append(without[k], r)
					} else {
						with[k] = append(with[k], r)
					}
				}
			}
		}
	}
	sort.SliceStable(keys, func(a, b int) bool { return keys[a].net < keys[b].net })
	return keys, without, with
}

// dropsStat is the disconnects per repetition of rs.
func dropsStat(rs []results.Record) results.Stat {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = float64(r.Delivery.Drops)
	}
	return results.StatOf(v)
}

// c12Net is C12 on one network: its settings, the comparisons per
// transport and the transports that did not run both scenarios.
type c12Net struct {
	net, settings string
	cs            []*comparison
	absent        []string
}

func (nc *c12Net) evidence() string {
	s := "on " + nc.net
	if nc.settings != "" {
		s += " (" + nc.settings + ")"
	}
	if len(nc.cs) > 0 {
		s += ": " + pairsVerdict(nc.cs) + ": " + comparisonsText(nc.cs)
	}
	if len(nc.absent) > 0 {
		s += fmt.Sprintf("; %s did not run both scenarios through it (see the proxies section)", strings.Join(nc.absent, ", "))
	}
	return s
}

// idleCloseSettings describes, from the records, what an idle-close pair
// ran with: the fault, the server heartbeat without and with, and a real
// proxy's idle timeout.
func idleCloseSettings(without, with []results.Record) string {
	s := distinct(without, func(r results.Record) string { return r.Params.Fault })
	s += ", server heartbeat " + orNotRecorded(distinct(without, func(r results.Record) string { return r.Params.Heartbeat }))
	if hb := distinct(with, func(r results.Record) string { return r.Params.Heartbeat }); hb != "" {
		s += ", with a " + hb + " heartbeat"
	} else {
		s += ", with heartbeats (interval not recorded)"
	}
	if idle := distinct(append(append([]results.Record(nil), without...), with...), func(r results.Record) string {
		if r.Proxy == nil || r.Proxy.IdleS == 0 {
			return ""
		}
		return fmt.Sprintf("%gs", r.Proxy.IdleS)
	}); idle != "" {
		s += ", proxy idle timeout " + idle
	}
	return s
}

// distinct lists f's distinct non-empty values over recs, in order.
func distinct(recs []results.Record, f func(results.Record) string) string {
	var out []string
	for _, r := range recs {
		if v := f(r); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, " / ")
}

func orNotRecorded(s string) string {
	if s == "" {
		return "not recorded"
	}
	return s
}

func c14(d claimData) Claim {
	text := "The SSE reconnection delay defaults to about 3 seconds unless the server sends retry:."
	rule := "fault scenarios: SSE clients' reconnect time, with the reconnect policy each record ran"
	var parts []string
	for _, sc := range []string{"fault-reset", "fault-stall", "fault-restart", "fault-idle-close"} {
		for _, t := range d.names(plainSSE) {
			g := d.get(sc, t, 0)
			if g == nil {
				continue
			}
			var p50 []float64
			for _, r := range g.ok {
				if r.Reconnect.Count > 0 {
					p50 = append(p50, float64(r.Reconnect.P50))
				}
			}
			if len(p50) == 0 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %s: reconnect p50 %s (%s)", sc, t, us(results.StatOf(p50).Center), describeReconnect(g.first().Params.Reconnect)))
		}
	}
	if len(parts) == 0 {
		return Claim{"C14", text, rule, NotMeasured, "no fault-scenario record with an SSE reconnect is present in this run."}
	}
	return Claim{"C14", text, rule, NotMeasured, strings.Join(parts, "; ") + ". pushbench's clients follow the configured policy, not a browser's EventSource default, so the 3 s default itself is not measured."}
}

// medianOver is f's median over the group's usable repetitions (the one
// statistic, for figures that are not a results.Metric).
func medianOver(g *group, f func(results.Record) float64) float64 {
	vals := make([]float64, 0, len(g.ok))
	for _, r := range g.ok {
		vals = append(vals, f(r))
	}
	return results.StatOf(vals).Center
}

// sumCounts adds the counts of the group's usable repetitions.
func sumCounts(g *group) results.Counts {
	var c results.Counts
	for _, r := range g.ok {
		c.Add(r.Delivery.Counts)
	}
	return c
}

func repsOf(g *group) int {
	if g == nil {
		return 0
	}
	return len(g.ok)
}
