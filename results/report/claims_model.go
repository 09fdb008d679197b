package report

import (
	"fmt"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// Claims per server model: C8 and C9 judged on all the implementations of
// one model together (results.Implementation.Model: event loop, thread
// pool, process per connection), each SSE transport of the model against
// each WebSocket one, with the per-implementation verdicts listed and
// each transport's figures (idle connections held, CPU per message, the
// fanout step where p99 left the SLO).

// modelNotRecorded names the model of implementations that declare none.
const modelNotRecorded = "model not recorded"

// modelsOf groups impls by model, models in order of first appearance.
func modelsOf(impls []results.Implementation) ([]string, map[string][]results.Implementation) {
	var order []string
	by := map[string][]results.Implementation{}
	for _, im := range impls {
		m := im.Model
		if m == "" {
			m = modelNotRecorded
		}
		if by[m] == nil {
			order = append(order, m)
		}
		by[m] = append(by[m], im)
	}
	return order, by
}

// modelClaims are C8 and C9 per model. They finish after the claims
// across implementations, whose verdicts per (read from per, by claim)
// they list.
func modelClaims(t claimData, j *judging, impls []results.Implementation, per map[string][]implVerdict) []pending {
	models, by := modelsOf(impls)
	var out []pending
	for _, m := range models {
		out = append(out, c8Model(t, j, m, by[m], impls, per), c9Model(t, j, m, by[m], per))
	}
	return out
}

func modelID(claim, model string) string { return claim + "/" + strings.ReplaceAll(model, " ", "-") }

// sideName names a transport of an implementation in a model's claim.
func sideName(tr string, im results.Implementation) string { return tr + " (" + implName(im) + ")" }

// headline says where the claim holds, for a model, from its verdict.
func headline(v, model string) string {
	switch v {
	case Supported:
		return "true for a " + model + " server"
	case Contradicted:
		return "not true for a " + model + " server"
	case Mixed:
		return "true for some " + model + " servers, not others"
	case NotMeasured:
		return "not measured for a " + model + " server"
	}
	return "not decided for a " + model + " server"
}

// perImpl lists the verdicts of the model's implementations.
func perImpl(vs []implVerdict, ims []results.Implementation) string {
	var parts []string
	for _, v := range vs {
		for _, im := range ims {
			if idOf(im) == idOf(v.impl) {
				parts = append(parts, implName(im)+" "+v.verdict)
			}
		}
	}
	return "per implementation: " + strings.Join(parts, ", ")
}

// c8ModelRule is how C8 is judged per model (scalePair).
const c8ModelRule = "each SSE server of the model against each WebSocket server of the model on the same runtime " +
	"(on any runtime when none shares one; a model without WebSocket against every WebSocket server measured): " +
	"a pair supports the claim when SSE failed an idle step, in every repetition that could tell, that WebSocket held in every one; " +
	"it contradicts it when WebSocket stopped first, or when both held the same largest idle step and reached the same fanout limit (over the steps measured); " +
	"supported or contradicted when every pair is, mixed when pairs disagree, not decided otherwise"

func c8Model(t claimData, j *judging, model string, ims, all []results.Implementation, per map[string][]implVerdict) pending {
	id := modelID("C8", model)
	text := strings.TrimSuffix(c8Text, ".") + ", for " + model + " servers."
	sides := func(ims []results.Implementation, pred func(results.TransportFacts) bool) (out []reachSide) {
		for _, im := range ims {
			facts := transportsOf(t, implIdle, im)
			for n, f := range transportsOf(t, implFanout, im) {
				facts[n] = f
			}
			for _, n := range namesWhere(facts, pred) {
				for _, sc := range []string{implIdle, implFanout} {
					for _, g := range t[sc] {
						if g.key.Transport == n && idOf(g.impl) == idOf(im) {
							j.use(id, g)
						}
					}
				}
				iid := idOf(im)
				out = append(out, reachSide{im, reachOf(t, sideName(n, im), n, im), seriesOf(t, j, id, sideName(n, im), n, &iid)})
			}
		}
		return out
	}
	sse, ws := sides(ims, plainSSE), sides(ims, refWebSocket)
	if len(ws) == 0 {
		ws = sides(all, refWebSocket)
	}
	var figs []string
	for _, im := range ims {
		figs = append(figs, transportFigures(t, im)...)
	}
	var pairs []pairJudged
	for _, p := range runtimePairs(sse, ws) {
		pairs = append(pairs, judgePair(j, id, text, p[0], p[1]))
	}
	return func() Claim {
		v, ev := NotMeasured, "no idle or fanout record of SSE among its implementations, or of WebSocket on any."
		if len(pairs) > 0 {
			v, ev = scaleVerdict(pairs)
			ev += "."
		}
		return Claim{ID: id, Text: text, Rule: c8ModelRule, Verdict: v,
			Evidence: headline(v, model) + ": " + strings.Join(figs, "; ") + ". " + perImpl(per["C8"], ims) + ". " + ev}
	}
}

func c9Model(t claimData, j *judging, model string, ims []results.Implementation, per map[string][]implVerdict) pending {
	id := modelID("C9", model)
	text := strings.TrimSuffix(c9Text, ".") + ", for " + model + " servers."
	rule := "every local implementation of the model together (idle scenario, largest step held, trusted repetitions): each WebSocket server's RSS per connection and CPU per connection-second above each SSE server's on the same runtime (on any runtime when none shares one), Welch's t-test on the repetitions' means per pair; mixed when the two figures disagree"
	var sse, ws []idleSide
	var figs []string
	for _, im := range ims {
		figs = append(figs, transportFigures(t, im)...)
		if !im.Local {
			continue
		}
		facts := transportsOf(t, implIdle, im)
		for _, n := range namesWhere(facts, plainSSE) {
			sse = append(sse, idleSide{sideName(n, im), idleAt(t, n, im), im})
		}
		for _, n := range namesWhere(facts, refWebSocket) {
			ws = append(ws, idleSide{sideName(n, im), idleAt(t, n, im), im})
		}
	}
	fin := func(v, ev string) Claim {
		return Claim{ID: id, Text: text, Rule: rule, Verdict: v,
			Evidence: headline(v, model) + ": " + strings.Join(figs, "; ") + ". " + perImpl(per["C9"], ims) + ". " + ev}
	}
	if len(sse) == 0 || len(ws) == 0 {
		return func() Claim {
			return fin(NotMeasured, "no local idle record of both SSE and WebSocket among its implementations.")
		}
	}
	pair := func(h, l idleSide) bool { return samePair(h.im, l.im) }
	if !anyPair(ws, sse, pair) {
		pair = nil
	}
	mem, cpu, why := c9Pairs(j, id, ws, sse, pair)
	if why != "" {
		return func() Claim { return fin(NotMeasured, why+".") }
	}
	return func() Claim {
		return fin(bothVerdict(pairsVerdict(mem), pairsVerdict(cpu)), fmt.Sprintf("memory, %s: %s; CPU, %s: %s. %s; %s.",
			pairCount(len(mem)), tally(outcomes(mem)), pairCount(len(cpu)), tally(outcomes(cpu)), comparisonsText(mem), comparisonsText(cpu)))
	}
}

// transportFigures are im's figures per SSE and WebSocket transport: the
// idle connections it held, its server CPU per message, and its fanout
// limit with the step where p99 left the SLO.
func transportFigures(t claimData, im results.Implementation) []string {
	facts := map[string]results.TransportFacts{}
	for _, sc := range []string{implLatency, implIdle, implFanout} {
		for n, f := range transportsOf(t, sc, im) {
			facts[n] = f
		}
	}
	var out []string
	for _, n := range namesWhere(facts, func(f results.TransportFacts) bool { return plainSSE(f) || refWebSocket(f) }) {
		out = append(out, sideName(n, im)+" "+strings.Join([]string{idleHeld(t, n, im), cpuPerMessage(t, n, im), fanoutStop(t, n, im)}, ", "))
	}
	return out
}

// idleHeld is the largest idle step at which every repetition of tr on
// im qualified (results.Record.Disqualified), and the first larger step
// that did not.
func idleHeld(t claimData, tr string, im results.Implementation) string {
	held, tried := -1, false
	failed := ""
	for _, g := range t[implIdle] {
		if g.key.Transport != tr || idOf(g.impl) != idOf(im) {
			continue
		}
		tried = true
		why := ""
		for _, r := range g.recs {
			if w := r.Disqualified(); w != "" && why == "" {
				why = w
			}
		}
		switch c := g.first().Params.Clients; {
		case why == "" && c > held:
			held = c
		case why != "" && failed == "" && c > held:
			failed = fmt.Sprintf("%d (%s)", c, why)
		}
	}
	switch {
	case !tried:
		return "idle not run"
	case held < 0:
		return "held no idle step: failed at " + failed
	case failed != "":
		return fmt.Sprintf("held %d idle connections, failed at %s", held, failed)
	}
	return fmt.Sprintf("held %d idle connections (largest step tried)", held)
}

// cpuPerMessage is tr's server CPU per message on im in the latency
// scenario's first step.
func cpuPerMessage(t claimData, tr string, im results.Implementation) string {
	for _, g := range t[implLatency] {
		if g.key.Transport == tr && idOf(g.impl) == idOf(im) {
			st := g.stat("server-cpu-per-msg")
			if !st.OK() {
				return "server CPU/msg " + missingCell(g, "server-cpu-per-msg")
			}
			return fmt.Sprintf("server %.2f µs CPU/msg (n=%d)", st.Center, st.N)
		}
	}
	return "latency not run"
}

// fanoutStop is tr's fanout limit on im and the step where its p99 left
// the SLO.
func fanoutStop(t claimData, tr string, im results.Implementation) string {
	var gs []*group
	for _, g := range t[implFanout] {
		if g.key.Transport == tr && idOf(g.impl) == idOf(im) {
			gs = append(gs, g)
		}
	}
	if len(gs) == 0 {
		return "fanout not run"
	}
	v, top := fanoutLimit(gs)
	if top {
		return "within the SLO up to " + num(v) + " clients (largest trusted step; limit not reached)"
	}
	s := "stopped at " + num(v) + " clients"
	if v == 0 {
		s = "no step within the SLO"
	}
	if g := leftSLO(gs, v); g != nil {
		s += ", " + leftText(g)
	}
	return s
}

// leftText says how a fanout step failed: its p99 (median of the
// repetitions) left the SLO, or it lost messages within it.
func leftText(g *group) string {
	if p99, ok := g.medianOf("p99"); ok && p99 > float64(g.first().Params.SLOP99Us) {
		return fmt.Sprintf("p99 left the SLO (%s) at %s (p99 %s)", us(float64(g.first().Params.SLOP99Us)), num(g.first().StepValue), us(p99))
	}
	return "lost or disordered messages at " + num(g.first().StepValue)
}

// anyPair says whether some WebSocket side and SSE side make a pair.
func anyPair(ws, sse []idleSide, pair func(ws, sse idleSide) bool) bool {
	for _, h := range ws {
		for _, l := range sse {
			if pair(h, l) {
				return true
			}
		}
	}
	return false
}
