package report

import (
	"fmt"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// How far a transport of one implementation scaled, for C8 per model:
// the idle ramp's largest step held in every repetition and the first
// step it failed in every repetition, and the fanout limit. A repetition
// whose load generator or publisher saturated, whose workers died or
// whose counts did not reconcile says nothing about the server (it
// neither holds nor fails a step); one that errs (a connect refused, a
// step not run) or loses messages fails it.

// stepHeld is how the repetitions of one idle step went.
type stepHeld struct {
	clients      int
	ran          int    // repetitions
	held, failed int    // repetitions that held it, that failed it
	why          string // the first failure's reason
}

// instrumentWhy is why r says nothing about the server, "" when it does.
func instrumentWhy(r results.Record) string {
	d := r.Delivery
	switch {
	case r.Interrupted:
		return "interrupted"
	case d.Mismatch != "":
		return "counts do not reconcile"
	case d.FailedClients > 0:
		return "clients lost with their worker"
	case r.Loadgen.Saturated != "":
		return "load generator saturated"
	case r.Publisher != nil && r.Publisher.Saturated != "":
		return "publisher saturated"
	}
	return ""
}

// idleSteps are tr's idle steps on im, in step order.
func idleSteps(t claimData, tr string, im results.Implementation) []stepHeld {
	var out []stepHeld
	for _, g := range t[implIdle] {
		if g.key.Transport != tr || idOf(g.impl) != idOf(im) {
			continue
		}
		s := stepHeld{clients: g.first().Params.Clients, ran: len(g.recs)}
		for _, r := range g.recs {
			switch why := r.Disqualified(); {
			case instrumentWhy(r) != "":
			case why == "":
				s.held++
			default:
				s.failed++
				if s.why == "" {
					s.why = why
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// reach is how far one side scaled.
type reach struct {
	name       string
	held       int       // largest idle step every telling repetition held; -1: none
	fail       *stepHeld // the first step above held that every telling repetition failed
	fan        float64   // fanout limit (fanoutLimit)
	fanTop     bool
	fanMeasure bool // some fanout step was trusted
}

func reachOf(t claimData, name, tr string, im results.Implementation) reach {
	r := reach{name: name, held: -1}
	for _, s := range idleSteps(t, tr, im) {
		switch {
		case s.held > 0 && s.failed == 0 && r.fail == nil:
			r.held = s.clients
		case s.failed > 0 && s.held == 0 && r.fail == nil:
			r.fail = &s
		}
	}
	var gs []*group
	for _, g := range t[implFanout] {
		if g.key.Transport == tr && idOf(g.impl) == idOf(im) {
			gs = append(gs, g)
			r.fanMeasure = r.fanMeasure || !anyUntrusted(g)
		}
	}
	r.fan, r.fanTop = fanoutLimit(gs)
	return r
}

func (r reach) idleText() string {
	s := "held no idle step"
	if r.held >= 0 {
		s = "held " + num(float64(r.held)) + " idle connections"
	}
	if r.fail != nil {
		why := r.fail.why
		if len(why) > 120 {
			why = why[:120] + "..."
		}
		s += fmt.Sprintf(", failed at %s in %d of %d repetitions (%s)", num(float64(r.fail.clients)), r.fail.failed, r.fail.ran, why)
	}
	return s
}

// reachSide is a transport of an implementation: how far it scaled, and
// its fanout series for C8's comparison of p99s where one side stopped.
type reachSide struct {
	im  results.Implementation
	r   reach
	fan fanSeries
}

// pairJudged is one pair's outcome, oriented to C8 (outAbove supports
// it), or the pending fanout comparison that decides it.
type pairJudged struct {
	out int
	ev  string
	p   pending
}

// judgePair orders one SSE side against one WebSocket side: outAbove when
// SSE failed an idle step the WebSocket side held in every repetition,
// outBelow when the reverse, or when both held the same largest idle step
// and reached the same fanout limit (SSE scaled as far over the steps
// measured); otherwise C8's fanout rule on the pair (c8Judge) decides.
func judgePair(j *judging, id, text string, sse, ws reachSide) pairJudged {
	a, b := sse.r, ws.r
	head := fmt.Sprintf("%s %s; %s %s", a.name, a.idleText(), b.name, b.idleText())
	switch {
	case a.fail != nil && a.fail.clients <= b.held:
		return pairJudged{out: outAbove, ev: head + ": SSE stopped below WebSocket"}
	case b.fail != nil && b.fail.clients <= a.held:
		return pairJudged{out: outBelow, ev: head + ": WebSocket stopped below SSE"}
	case a.held >= 0 && a.held == b.held && a.fanMeasure && b.fanMeasure && a.fan == b.fan && a.fanTop == b.fanTop:
		return pairJudged{out: outBelow, ev: fmt.Sprintf("%s; fanout %s %s, %s %s: SSE scaled as far as WebSocket over the steps measured",
			head, a.name, limitText(a.fan, a.fanTop), b.name, limitText(b.fan, b.fanTop))}
	}
	return pairJudged{ev: head, p: c8Judge(j, id, text, "", []fanSeries{sse.fan}, []fanSeries{ws.fan})}
}

// outcome is the pair's outcome and evidence, once the family is corrected.
func (p pairJudged) outcome() (int, string) {
	if p.p == nil {
		return p.out, p.ev
	}
	c := p.p()
	switch c.Verdict {
	case Supported:
		return outAbove, p.ev + "; " + c.Evidence
	case Contradicted:
		return outBelow, p.ev + "; " + c.Evidence
	}
	return outOpen, p.ev + "; " + c.Evidence
}

// samePair says whether a model's SSE side and WebSocket side are
// compared: two servers on one runtime (the choice a team makes inside
// its stack), so that the runtime does not stand in for the protocol.
func samePair(a, b results.Implementation) bool {
	return a.Runtime != "" && a.Runtime == b.Runtime
}

// runtimePairs pairs every SSE side with every WebSocket side on its
// runtime (samePair), or with every WebSocket side when none shares one.
func runtimePairs(sse, ws []reachSide) [][2]reachSide {
	var same, any [][2]reachSide
	for _, a := range sse {
		for _, b := range ws {
			any = append(any, [2]reachSide{a, b})
			if samePair(a.im, b.im) {
				same = append(same, [2]reachSide{a, b})
			}
		}
	}
	if len(same) > 0 {
		return same
	}
	return any
}

// scaleVerdict is C8 per model over judged pairs: its verdict and evidence.
func scaleVerdict(pairs []pairJudged) (string, string) {
	outs := make([]int, len(pairs))
	ev := make([]string, len(pairs))
	for i, p := range pairs {
		outs[i], ev[i] = p.outcome()
	}
	return verdictOf(outs), fmt.Sprintf("%s: %s. %s", pairCount(len(pairs)), tally(outs), strings.Join(ev, "; "))
}

// pairCount is "1 pair" or "N pairs".
func pairCount(n int) string {
	if n == 1 {
		return "1 pair"
	}
	return fmt.Sprintf("%d pairs", n)
}
