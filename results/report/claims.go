package report

import (
	"fmt"
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
		c11(d),
		c12(d),
		c13(d), // browser.go
		c14(d),
	}
	return claims
}

func missing(id, text, rule, what string) Claim {
	return Claim{ID: id, Text: text, Rule: rule, Verdict: NotMeasured, Evidence: what + " not in this run."}
}

func c1(d claimData) Claim {
	text := "Short polling wastes most of its requests: most answers carry no new data."
	rule := "share of empty short-poll answers: supported when over half are empty in the latency scenario; mixed when only the idle scenario's are"
	sp := d.name(shortPoll)
	lat := d.get("latency", sp, 0)
	idle := d.get("idle", sp, 0)
	if lat == nil && idle == nil {
		return missing("C1", text, rule, sp+" in the latency or idle scenario")
	}
	var ev []string
	latShare, idleShare := -1.0, -1.0
	if lat != nil {
		r := lat.first()
		latShare = medianOver(lat, func(r results.Record) float64 { return r.Wire.EmptyPollShare })
		ev = append(ev, fmt.Sprintf("latency (%g msg/s, polls every %s): %.0f%% of %s polls empty", r.Params.Rate, r.Params.PollInterval, latShare*100, num(medianOver(lat, func(r results.Record) float64 { return float64(r.Delivery.Polls) }))))
	}
	if idle != nil {
		idleShare = medianOver(idle, func(r results.Record) float64 { return r.Wire.EmptyPollShare })
		bpm, _ := idle.medianOf("bytes-per-conn-min")
		ev = append(ev, fmt.Sprintf("idle: %.0f%% of %s polls empty, %.0f B per connection-minute", idleShare*100, num(medianOver(idle, func(r results.Record) float64 { return float64(r.Delivery.Polls) })), bpm))
	}
	if n := max(repsOf(lat), repsOf(idle)); n > 1 {
		ev = append(ev, fmt.Sprintf("medians over %d repetitions", n))
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
	spName, wsName := d.name(shortPoll), d.name(refWebSocket)
	sp, ok1 := d.val("latency", spName, "p50")
	ws, ok2 := d.val("latency", wsName, "p50")
	g := d.get("latency", spName, 0)
	if !ok1 || !ok2 || g == nil {
		return missing("C2", text, rule, spName+" and "+wsName+" in the latency scenario")
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
	return compareGroups(d, "C3", text, rule, "latency", "server-cpu-per-msg", d.names(plainPolls), d.names(refPush), "µs CPU/msg", 1)
}

func c4(d claimData) Claim {
	text := "Per-request HTTP headers make polling expensive on the wire."
	rule := "latency scenario: bytes per delivered message, both polls at least 2x WebSocket"
	return compareGroups(d, "C4", text, rule, "latency", "bytes-per-msg", d.names(plainPolls), d.names(refWebSocket), "B/msg", 2)
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
	if len(hi) != len(more) || len(lo) != len(less) || len(more) == 0 || len(less) == 0 {
		return missing(id, text, rule, strings.Join(append(more, less...), ", ")+" in the "+scenario+" scenario")
	}
	return Claim{id, text, rule, pairVerdict(hi, lo, factor), fmt.Sprintf("%s (%s, %s scenario).", strings.Join(ev, ", "), unit, scenario)}
}

// pairVerdict is compareGroups' verdict on the values found: supported
// when every hi value is at least factor times every lo value,
// contradicted when none is, mixed otherwise.
func pairVerdict(hi, lo map[string]float64, factor float64) string {
	pairs, yes := 0, 0
	for _, h := range hi {
		for _, l := range lo {
			pairs++
			if h >= factor*l {
				yes++
			}
		}
	}
	switch yes {
	case pairs:
		return Supported
	case 0:
		return Contradicted
	}
	return Mixed
}

func c5(d claimData) Claim {
	text := "Long polling cuts requests compared with short polling, but pays a round trip per batch."
	rule := "latency scenario: polls per delivered message, long poll below short poll (the round trip needs the wan profile)"
	sp := d.get("latency", d.name(shortPoll), 0)
	lp := d.get("latency", d.name(plainLongPoll), 0)
	if sp == nil || lp == nil {
		return missing("C5", text, rule, "both polls in the latency scenario")
	}
	polls := func(r results.Record) float64 { return r.Wire.PollsPerMessage }
	s, l := medianOver(sp, polls), medianOver(lp, polls)
	net := lp.first().Params.Network
	ev := fmt.Sprintf("polls per delivered message: long poll %.3f, short poll %.3f", l, s)
	v := Contradicted
	if l < s {
		v = Mixed // the first half holds; the round-trip half needs a network with a round trip
	}
	if net == "" || net == "loopback" {
		ev += "; this run's records are on loopback, where a round trip costs nothing: no record on a wan or mobile network is present to price it."
	} else if ws := d.get("latency", d.name(refWebSocket), 0); ws != nil {
		lp50, _ := lp.medianOf("p50")
		wp50, _ := ws.medianOf("p50")
		ev += fmt.Sprintf("; on the %s network, long poll p50 %s vs WebSocket p50 %s.", net, us(lp50), us(wp50))
		if l < s && lp50 > wp50 {
			v = Supported
		}
	} else {
		ev += fmt.Sprintf("; on the %s network no WebSocket latency record is present to price the round trip.", net)
	}
	return Claim{"C5", text, rule, v, ev}
}

func c6(d claimData) Claim {
	text := "Long polling can lose, duplicate or reorder messages."
	rule := "every long-poll record of the run: lost, duplicates, reorderings"
	var lost, dups, reord, delivered int64
	n := 0
	faults := map[string]bool{}
	for _, groups := range d {
		for _, g := range groups {
			if !g.known || !longPoll(g.facts) {
				continue
			}
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
		return missing("C6", text, rule, "long poll")
	}
	v := Contradicted
	if lost+dups+reord > 0 {
		v = Supported
	}
	fs := "no fault-scenario record of long poll is present"
	if len(faults) > 0 {
		names := make([]string, 0, len(faults))
		for f := range faults {
			names = append(names, f)
		}
		sort.Strings(names)
		fs = "fault scenarios included: " + strings.Join(names, ", ")
	}
	return Claim{"C6", text, rule, v, fmt.Sprintf("%d long-poll records, %d messages delivered: %d lost, %d duplicated, %d reordered (with a resume cursor; %s).", n, delivered, lost, dups, reord, fs)}
}

func c7(d claimData) Claim {
	text := "Holding many long-poll connections open consumes server resources."
	rule := "idle scenario: server heap per held long poll above both sse-lean's and websocket's per connection"
	return compareGroups(d, "C7", text, rule, "idle", "server-heap-per-conn", d.names(plainLongPoll), d.names(refPush), "B heap/conn", 1)
}

const (
	c8Text = "SSE is simpler and lighter than WebSocket but does not scale as far."
	c8Rule = "fanout scenario: largest client count within the SLO without loss, SSE (both) below WebSocket; not decided while a transport compared has not reached its limit"
)

func c8(d claimData) Claim {
	return c8Judge(d, d.names(plainSSE), d.names(refWebSocket))
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

// c8Judge judges C8 on the fanout groups of d between the SSE transports
// and the WebSocket ones named.
func c8Judge(d claimData, sseNames, wsNames []string) Claim {
	text, rule := c8Text, c8Rule
	best := func(t string) (v float64, seen, top bool) {
		var groups []*group
		for _, g := range d["fanout"] {
			if g.key.Transport == t {
				groups = append(groups, g)
			}
		}
		v, top = fanoutLimit(groups)
		return v, len(groups) > 0, top
	}
	type limit struct {
		name string
		v    float64
		top  bool
	}
	limits := func(names []string) ([]limit, bool) {
		var out []limit
		for _, n := range names {
			v, seen, top := best(n)
			if !seen {
				return nil, false
			}
			out = append(out, limit{n, v, top})
		}
		return out, len(out) > 0
	}
	sse, okS := limits(sseNames)
	ws, okW := limits(wsNames)
	if !okS || !okW {
		return missing("C8", text, rule, joinOr(append(sseNames, wsNames...), "and")+" in the fanout scenario")
	}
	var parts []string
	for _, l := range append(append([]limit(nil), sse...), ws...) {
		parts = append(parts, l.name+" "+limitText(l.v, l.top))
	}
	ev := "largest client count within the SLO: " + strings.Join(parts, ", ")
	// below: 1 when a's limit is known to be below b's, -1 when known not
	// to be, 0 when a limit not reached leaves it open.
	below := func(a, b limit) int {
		switch {
		case a.v < b.v && !a.top:
			return 1
		case a.v >= b.v && !b.top:
			return -1
		}
		return 0
	}
	open, yes, no := false, 0, 0
	for _, a := range sse {
		for _, b := range ws {
			switch below(a, b) {
			case 0:
				open = true
			case 1:
				yes++
			default:
				no++
			}
		}
	}
	switch {
	case open:
		return Claim{"C8", text, rule, NotDecided, ev + "; a transport that passed the largest step tried has not reached its limit, so the comparison is open."}
	case no == 0:
		return Claim{"C8", text, rule, Supported, ev + "."}
	case yes == 0:
		return Claim{"C8", text, rule, Contradicted, ev + "."}
	}
	return Claim{"C8", text, rule, Mixed, ev + "."}
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

func c9(d claimData) Claim {
	text := c9Text
	rule := "idle scenario: server heap per connection and CPU per connection-second, WebSocket above both SSE transports on both"
	ws, sse := d.names(refWebSocket), d.names(plainSSE)
	mem := compareGroups(d, "C9", text, rule, "idle", "server-heap-per-conn", ws, sse, "B heap/conn", 1)
	cpu := compareGroups(d, "C9", text, rule, "idle", "server-cpu-per-conn-s", ws, sse, "µs CPU/conn-s", 1)
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
func c11(d claimData) Claim {
	text := "SSE carries only UTF-8 text, so binary payloads cost more than over WebSocket."
	rule := "binary payloads at the largest payload measured: bytes per delivered message of sse and sse-lean (base64) against WebSocket's (raw binary frames); supported when both are at least 1.2x WebSocket's, contradicted when neither is; CPU per message shown beside"
	var scen string
	for _, name := range sortedNames(d) {
		if gs := d[name]; len(gs) > 0 && gs[0].first().Params.Binary && (scen == "" || name == "payload-binary") {
			scen = name
		}
	}
	if scen == "" {
		return missing("C11", text, rule, "a scenario with binary payloads (payload-binary)")
	}
	step, payload := -1, -1
	for _, g := range d[scen] {
		if p := g.first().Params.Payload; p > payload && len(g.ok) > 0 {
			step, payload = g.key.Step, p
		}
	}
	wsName := d.name(refWebSocket)
	ws := d.get(scen, wsName, step)
	wsB, okW := 0.0, false
	if ws != nil {
		wsB, okW = ws.medianOf("bytes-per-msg")
	}
	if !okW {
		return missing("C11", text, rule, "websocket with binary payloads")
	}
	cpu := func(g *group) string {
		s, _ := g.medianOf("server-cpu-per-msg")
		return fmt.Sprintf("server %.2f µs, load generator %.2f µs CPU/msg", s, medianOver(g, func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs }))
	}
	ev := []string{fmt.Sprintf("%s, %s payload: %s %.0f B/msg (%s)", scen, fmtBytes(float64(payload)), wsName, wsB, cpu(ws))}
	measured, more := 0, 0
	for _, tr := range d.names(plainSSE) {
		g := d.get(scen, tr, step)
		if g == nil {
			continue
		}
		b, ok := g.medianOf("bytes-per-msg")
		if !ok {
			continue
		}
		measured++
		if b >= 1.2*wsB {
			more++
		}
		ev = append(ev, fmt.Sprintf("%s %.0f B/msg, %.2fx %s (%s)", tr, b, b/wsB, wsName, cpu(g)))
	}
	if measured == 0 {
		return missing("C11", text, rule, "sse or sse-lean with binary payloads")
	}
	if n := repsOf(ws); n > 1 {
		ev = append(ev, fmt.Sprintf("medians over %d repetitions", n))
	}
	v := Mixed
	switch more {
	case measured:
		v = Supported
	case 0:
		v = Contradicted
	}
	return Claim{"C11", text, rule, v, strings.Join(ev, "; ") + "."}
}

func c12(d claimData) Claim {
	text := "Without heartbeats, proxies and middleboxes cut idle streaming connections."
	rule := "fault-idle-close vs fault-idle-close-heartbeat: streaming transports disconnected without heartbeats and not with them"
	var without, with []string
	cutWithout, keptWith, n := 0, 0, 0
	streams := d.names(plainPush)
	for _, t := range streams {
		a, b := d.get("fault-idle-close", t, 0), d.get("fault-idle-close-heartbeat", t, 0)
		if a == nil || b == nil {
			continue
		}
		n++
		da, db := sumCounts(a).Drops, sumCounts(b).Drops
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
	idle, hb := "", "a heartbeat (interval not recorded)"
	for _, t := range streams {
		if g := d.get("fault-idle-close", t, 0); g != nil && idle == "" {
			idle = " (" + g.first().Params.Fault + ", server heartbeat " + orNotRecorded(g.first().Params.Heartbeat) + ")"
		}
		if g := d.get("fault-idle-close-heartbeat", t, 0); g != nil && g.first().Params.Heartbeat != "" {
			hb = "a " + g.first().Params.Heartbeat + " heartbeat"
		}
	}
	v := Mixed
	switch {
	case cutWithout == n && keptWith == n:
		v = Supported
	case cutWithout == 0:
		v = Contradicted
	}
	return Claim{"C12", text, rule, v, fmt.Sprintf("disconnects without heartbeats%s: %s; with %s: %s.", idle, strings.Join(without, ", "), hb, strings.Join(with, ", ")) + c12RealProxies(d)}
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
