package report

import (
	"fmt"
	"strings"
	"time"
)

// Verdicts a claim can get.
const (
	Supported    = "supported"
	Contradicted = "contradicted"
	Mixed        = "mixed"
	NotMeasured  = "not measured"
)

// Claim is one common belief from shared/CLAIMS.md, judged by this run.
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

func (d claimData) val(scenario, transport, metric string) (float64, bool) {
	g := d.get(scenario, transport, 0)
	if g == nil {
		return 0, false
	}
	return g.medianOf(metric)
}

func evaluateClaims(byScenario map[string][]*group) []Claim {
	d := claimData(byScenario)
	claims := []Claim{
		c1(d), c2(d), c3(d), c4(d), c5(d), c6(d), c7(d), c8(d), c9(d), c10(d),
		{ID: "C11", Text: "SSE carries only UTF-8 text, so binary payloads cost more than over WebSocket.", Rule: "payload scenario with binary data", Verdict: NotMeasured, Evidence: "pushbench's payloads are text; binary payloads are not generated yet."},
		c12(d),
		{ID: "C13", Text: "Browsers allow about six HTTP/1.1 connections per origin, which limits SSE tabs; HTTP/2 lifts it.", Rule: "browser clients over HTTP/1.1 and HTTP/2", Verdict: NotMeasured, Evidence: "pushbench has no browser clients or HTTP/2 yet."},
		{ID: "C14", Text: "The SSE reconnection delay defaults to about 3 seconds unless the server sends retry:.", Rule: "fault scenarios: reconnect time with and without retry:", Verdict: NotMeasured, Evidence: "fault scenarios are not part of this run."},
	}
	return claims
}

func missing(id, text, rule, what string) Claim {
	return Claim{ID: id, Text: text, Rule: rule, Verdict: NotMeasured, Evidence: what + " not in this run."}
}

func c1(d claimData) Claim {
	text := "Short polling wastes most of its requests: most answers carry no new data."
	rule := "share of empty short-poll answers: supported when over half are empty in the latency scenario; mixed when only the idle scenario's are"
	lat := d.get("latency", "shortpoll", 0)
	idle := d.get("idle", "shortpoll", 0)
	if lat == nil && idle == nil {
		return missing("C1", text, rule, "shortpoll in the latency or idle scenario")
	}
	var ev []string
	latShare, idleShare := -1.0, -1.0
	if lat != nil {
		r := lat.ok[0]
		latShare = r.Wire.EmptyPollShare
		ev = append(ev, fmt.Sprintf("latency (%g msg/s, polls every %s): %.0f%% of %d polls empty", r.Params.Rate, r.Params.PollInterval, latShare*100, r.Delivery.Polls))
	}
	if idle != nil {
		r := idle.ok[0]
		idleShare = r.Wire.EmptyPollShare
		ev = append(ev, fmt.Sprintf("idle: %.0f%% of %d polls empty, %.0f B per connection-minute", idleShare*100, r.Delivery.Polls, r.Wire.BytesPerConnMin))
	}
	v := Contradicted
	switch {
	case latShare > 0.5:
		v = Supported
	case idleShare > 0.5:
		v = Mixed // true when messages are rarer than polls, false at the latency scenario's rate
	}
	return Claim{"C1", text, rule, v, strings.Join(ev, "; ") + "."}
}

func c2(d claimData) Claim {
	text := "Short polling delivers data late: a client is only as fresh as its poll interval."
	rule := "latency scenario: short-poll median at least a quarter of the interval and over 10x WebSocket's"
	sp, ok1 := d.val("latency", "shortpoll", "p50")
	ws, ok2 := d.val("latency", "websocket", "p50")
	g := d.get("latency", "shortpoll", 0)
	if !ok1 || !ok2 || g == nil {
		return missing("C2", text, rule, "shortpoll and websocket in the latency scenario")
	}
	iv := g.first().Params.PollInterval
	v := Contradicted
	if sp > 10*ws && sp >= quarter(iv) {
		v = Supported
	}
	return Claim{"C2", text, rule, v, fmt.Sprintf("short poll (every %s) p50 %s vs WebSocket p50 %s (%.0fx).", iv, us(sp), us(ws), sp/ws)}
}

func quarter(interval string) float64 {
	var d float64
	if t, err := time.ParseDuration(interval); err == nil {
		d = float64(t.Microseconds()) / 4
	}
	return d
}

func c3(d claimData) Claim {
	text := "Polling loads the server more than push under the same traffic."
	rule := "latency scenario: server CPU per delivered message, both polls above both sse-lean and websocket"
	return compareGroups(d, "C3", text, rule, "latency", "server-cpu-per-msg", []string{"shortpoll", "longpoll"}, []string{"sse-lean", "websocket"}, "µs CPU/msg", 1)
}

func c4(d claimData) Claim {
	text := "Per-request HTTP headers make polling expensive on the wire."
	rule := "latency scenario: bytes per delivered message, both polls at least 2x WebSocket"
	return compareGroups(d, "C4", text, rule, "latency", "bytes-per-msg", []string{"shortpoll", "longpoll"}, []string{"websocket"}, "B/msg", 2)
}

// compareGroups supports a claim when every "more" transport's metric is
// at least factor times every "less" transport's, contradicts it when
// none is, and calls it mixed otherwise.
func compareGroups(d claimData, id, text, rule, scenario, metric string, more, less []string, unit string, factor float64) Claim {
	var ev []string
	hi := map[string]float64{}
	lo := map[string]float64{}
	for _, t := range more {
		if v, ok := d.val(scenario, t, metric); ok {
			hi[t] = v
			ev = append(ev, t+" "+num(v))
		}
	}
	for _, t := range less {
		if v, ok := d.val(scenario, t, metric); ok {
			lo[t] = v
			ev = append(ev, t+" "+num(v))
		}
	}
	if len(hi) != len(more) || len(lo) != len(less) {
		return missing(id, text, rule, strings.Join(append(more, less...), ", ")+" in the "+scenario+" scenario")
	}
	pairs, yes := 0, 0
	for _, h := range hi {
		for _, l := range lo {
			pairs++
			if h >= factor*l {
				yes++
			}
		}
	}
	v := Mixed
	switch yes {
	case pairs:
		v = Supported
	case 0:
		v = Contradicted
	}
	return Claim{id, text, rule, v, fmt.Sprintf("%s (%s, %s scenario).", strings.Join(ev, ", "), unit, scenario)}
}

func c5(d claimData) Claim {
	text := "Long polling cuts requests compared with short polling, but pays a round trip per batch."
	rule := "latency scenario: polls per delivered message, long poll below short poll (the round trip needs the wan profile)"
	sp := d.get("latency", "shortpoll", 0)
	lp := d.get("latency", "longpoll", 0)
	if sp == nil || lp == nil {
		return missing("C5", text, rule, "both polls in the latency scenario")
	}
	s, l := sp.ok[0].Wire.PollsPerMessage, lp.ok[0].Wire.PollsPerMessage
	v := Contradicted
	if l < s {
		v = Mixed // the first half holds; the round-trip half is not measured on loopback
	}
	return Claim{"C5", text, rule, v, fmt.Sprintf("polls per delivered message: long poll %.3f, short poll %.3f; the round-trip cost needs a wan network profile, not measured here.", l, s)}
}

func c6(d claimData) Claim {
	text := "Long polling can lose, duplicate or reorder messages."
	rule := "every long-poll record of the run: lost, duplicates, reorderings"
	var lost, dups, reord, delivered int64
	n := 0
	for _, groups := range d {
		for _, g := range groups {
			if g.key.Transport != "longpoll" {
				continue
			}
			for _, r := range g.ok {
				n++
				lost += r.Delivery.Lost
				dups += r.Delivery.Duplicates
				reord += r.Delivery.Reorders
				delivered += r.Delivery.Delivered
			}
		}
	}
	if n == 0 {
		return missing("C6", text, rule, "long poll")
	}
	v := Contradicted
	if lost+dups+reord > 0 {
		v = Supported
	}
	return Claim{"C6", text, rule, v, fmt.Sprintf("%d long-poll records, %d messages delivered: %d lost, %d duplicated, %d reordered (with a resume cursor; fault scenarios not run).", n, delivered, lost, dups, reord)}
}

func c7(d claimData) Claim {
	text := "Holding many long-poll connections open consumes server resources."
	rule := "idle scenario: server heap per held long poll above both sse-lean's and websocket's per connection"
	return compareGroups(d, "C7", text, rule, "idle", "server-heap-per-conn", []string{"longpoll"}, []string{"sse-lean", "websocket"}, "B heap/conn", 1)
}

func c8(d claimData) Claim {
	text := "SSE is simpler and lighter than WebSocket but does not scale as far."
	rule := "fanout scenario: largest client count within the SLO without loss, SSE (both) below WebSocket"
	best := func(t string) (float64, bool, bool) {
		var v float64
		seen, top := false, false
		for _, g := range d["fanout"] {
			if g.key.Transport != t {
				continue
			}
			seen = true
			if withinSLO(g) {
				v, top = g.first().StepValue, true
			} else {
				top = false
			}
		}
		return v, seen, top
	}
	ws, okW, wsTop := best("websocket")
	sse, okS, sseTop := best("sse")
	lean, okL, leanTop := best("sse-lean")
	if !okW || !okS || !okL {
		return missing("C8", text, rule, "sse, sse-lean and websocket in the fanout scenario")
	}
	ev := fmt.Sprintf("largest client count within the SLO: sse %s, sse-lean %s, websocket %s", num(sse), num(lean), num(ws))
	switch {
	case sse < ws && lean < ws:
		return Claim{"C8", text, rule, Supported, ev + "."}
	case sse >= ws && lean >= ws:
		note := ""
		if wsTop && sseTop && leanTop {
			note = " (all passed the largest step tried; the limits lie higher)"
		}
		return Claim{"C8", text, rule, Contradicted, ev + note + "."}
	}
	return Claim{"C8", text, rule, Mixed, ev + "."}
}

func c9(d claimData) Claim {
	text := "WebSocket uses more resources (memory, CPU) than SSE."
	rule := "idle scenario: server heap per connection and CPU per connection-second, WebSocket above both SSE transports on both"
	mem := compareGroups(d, "C9", text, rule, "idle", "server-heap-per-conn", []string{"websocket"}, []string{"sse", "sse-lean"}, "B heap/conn", 1)
	cpu := compareGroups(d, "C9", text, rule, "idle", "server-cpu-per-conn-s", []string{"websocket"}, []string{"sse", "sse-lean"}, "µs CPU/conn-s", 1)
	if mem.Verdict == NotMeasured || cpu.Verdict == NotMeasured {
		return mem
	}
	v := Mixed
	if mem.Verdict == cpu.Verdict {
		v = mem.Verdict
	}
	return Claim{"C9", text, rule, v, "memory: " + mem.Evidence + " CPU: " + cpu.Evidence}
}

func c10(d claimData) Claim {
	text := "SSE reconnects by itself and resumes with Last-Event-ID; WebSocket needs resume built by hand."
	rule := "fault scenarios: loss and reconnect time per transport"
	var parts []string
	for _, t := range []string{"sse", "sse-lean", "websocket"} {
		if g := d.get("churn", t, 0); g != nil {
			r := g.ok[0]
			parts = append(parts, fmt.Sprintf("%s %d lost over %d reconnects", t, r.Delivery.Lost, r.Delivery.Reconnects))
		}
	}
	for _, t := range []string{"sse", "sse-lean", "websocket"} {
		if g := d.get("fault-reset", t, 0); g != nil {
			r := g.ok[0]
			parts = append(parts, fmt.Sprintf("fault-reset %s: %d lost, %d duplicated over %d disconnects, reconnect p50 %s", t, r.Delivery.Lost, r.Delivery.Duplicates, r.Delivery.Drops, us(float64(r.Reconnect.P50))))
		}
	}
	ev := "fault scenarios are not part of this run."
	if len(parts) > 0 {
		ev = "every transport given a resume cursor by pushbench (churn: planned reconnects): " + strings.Join(parts, "; ") + ". WebSocket needed pushbench's ?since= cursor, built by hand; SSE used Last-Event-ID. The numbers cannot tell the effort apart."
	}
	return Claim{"C10", text, rule, NotMeasured, ev}
}

func c12(d claimData) Claim {
	text := "Without heartbeats, proxies and middleboxes cut idle streaming connections."
	rule := "fault-idle-close vs fault-idle-close-heartbeat: streaming transports disconnected without heartbeats and not with them"
	var without, with []string
	cutWithout, keptWith, n := 0, 0, 0
	for _, t := range []string{"sse", "sse-lean", "websocket", "rawtcp"} {
		a, b := d.get("fault-idle-close", t, 0), d.get("fault-idle-close-heartbeat", t, 0)
		if a == nil || b == nil {
			continue
		}
		n++
		da, db := a.ok[0].Delivery.Drops, b.ok[0].Delivery.Drops
		without = append(without, fmt.Sprintf("%s %d", t, da))
		with = append(with, fmt.Sprintf("%s %d", t, db))
		if da > 0 {
			cutWithout++
		}
		if db == 0 {
			keptWith++
		}
	}
	if n == 0 {
		return missing("C12", text, rule, "the fault-idle-close scenarios")
	}
	idle := ""
	if g := d.get("fault-idle-close", "sse", 0); g != nil {
		idle = " (" + g.first().Params.Fault + ")"
	}
	v := Mixed
	switch {
	case cutWithout == n && keptWith == n:
		v = Supported
	case cutWithout == 0:
		v = Contradicted
	}
	return Claim{"C12", text, rule, v, fmt.Sprintf("disconnects without heartbeats%s: %s; with a 1 s heartbeat: %s.", idle, strings.Join(without, ", "), strings.Join(with, ", ")) + c12RealProxies(d)}
}
