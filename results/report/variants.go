package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// The TLS and HTTP/2 section: what a transport's TLS and HTTP/2 variants
// cost beside its plaintext HTTP/1.1 form, for people choosing a
// transport. Every pairing comes from the records' facts (Base, Variant,
// Upgrades), never from transport names.

// VariantSectionName is the TLS and HTTP/2 section's scenario field.
const VariantSectionName = "tls-and-http2"

// appendVariantSection adds the section when the run has variant records.
func appendVariantSection(secs []Section, byScenario map[string][]*group) []Section {
	if sec, ok := variantSection(byScenario); ok {
		return append(secs, sec)
	}
	return secs
}

// variantSection is the section, ok false when the run has no variant
// record measured by the load generator (browser-measured ones have their
// own section and no socket figures).
func variantSection(all map[string][]*group) (Section, bool) {
	byScenario := map[string][]*group{}
	for n, gs := range all {
		for _, g := range gs {
			if g.first().Client == results.ClientLoadgen {
				byScenario[n] = append(byScenario[n], g)
			}
		}
	}
	names := sortedNames(byScenario)
	found := false
	for _, n := range names {
		for _, g := range byScenario[n] {
			if g.known && g.facts.Variant != "" {
				found = true
			}
		}
	}
	if !found {
		return Section{}, false
	}
	sec := Section{Scenario: VariantSectionName,
		Question: "What do TLS and HTTP/2 cost each transport beside plaintext HTTP/1.1?"}
	if t, ok := tlsCostTable(byScenario, names); ok {
		sec.Tables = append(sec.Tables, t)
	}
	if t, ok := handshakeTable(byScenario, names); ok {
		sec.Tables = append(sec.Tables, t)
	}
	if t, ok := http2Table(byScenario, names); ok {
		sec.Tables = append(sec.Tables, t)
	}
	sec.Summary = append(sec.Summary, noH2Sentences(byScenario, names)...)
	return sec, true
}

// figures is g with only the repetitions whose figures may stand: usable
// and not disqualified (a lossy, saturated or mismatched record is never a
// figure here). With lossOK (a fault scenario, whose fault loses messages
// by design), loss, duplicates and reorderings do not disqualify; errors,
// interruptions, mismatches, lost workers and saturation still do.
func figures(g *group, lossOK bool) *group {
	var keep []results.Record
	for _, r := range g.recs {
		if !results.Usable(r) {
			continue
		}
		if why := r.Disqualified(); why != "" {
			d := r.Delivery
			if !lossOK || d.Mismatch != "" || d.FailedClients > 0 || r.Loadgen.Saturated != "" {
				continue
			}
		}
		keep = append(keep, r)
	}
	return &group{Group: &results.Group{Key: g.key, Records: keep}, key: g.key, recs: keep, ok: keep, facts: g.facts, known: g.known}
}

// statOver is f over g's usable repetitions that applies accepts.
func statOver(g *group, f func(results.Record) float64, applies func(results.Record) bool) results.Stat {
	var vals []float64
	for _, r := range g.ok {
		if applies == nil || applies(r) {
			vals = append(vals, f(r))
		}
	}
	return results.StatOf(vals)
}

// statCell formats a statistic with its 95% interval when it has one.
func statCell(st results.Stat, f func(float64) string) string {
	if !st.OK() {
		return "-"
	}
	if st.HasInterval() {
		return fmt.Sprintf("%s [%s, %s]", f(st.Center), f(st.Lo), f(st.Hi))
	}
	return f(st.Center)
}

// statRatio is a/b of two statistics' medians, with an interval from the
// two intervals when both have one.
func statRatio(a, b results.Stat) string {
	out := ratio(a.Center, b.Center, a.OK(), b.OK())
	if out != "-" && a.HasInterval() && b.HasInterval() && b.Lo > 0 {
		out += fmt.Sprintf(" [%.2f, %.2f]", a.Lo/b.Hi, a.Hi/b.Lo)
	}
	return out
}

// variantMetric is one figure the TLS table compares.
type variantMetric struct {
	name    string
	f       func(results.Record) float64
	applies func(results.Record) bool
	format  func(float64) string
	idle    bool // an idle scenario's figure (memory and bytes over time); else a delivering one's (per message)
}

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

func hasDeliveries(r results.Record) bool { return r.Delivery.Delivered > 0 }
func hasClients(r results.Record) bool    { return r.Params.Clients > 0 }

var tlsMetrics = []variantMetric{
	{"server heap/conn", func(r results.Record) float64 { return r.Server.HeapPerConn }, hasClients, fmtBytes, true},
	{"server RSS/conn", func(r results.Record) float64 { return r.Server.RSSPerConn }, hasClients, fmtBytes, true},
	{"loadgen RSS/conn", func(r results.Record) float64 { return r.Loadgen.RSSPerConn }, hasClients, fmtBytes, true},
	{"B/conn-min", func(r results.Record) float64 { return r.Wire.BytesPerConnMin }, hasClients, f0, true},
	{"B/msg", func(r results.Record) float64 { return r.Wire.BytesPerMessage }, hasDeliveries, f0, false},
	{"server µs CPU/msg", func(r results.Record) float64 { return r.Server.CPUPerMessageUs }, hasDeliveries, f2, false},
	{"loadgen µs CPU/msg", func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs }, hasDeliveries, f2, false},
}

// plainOf finds, among groups, the plaintext HTTP/1.1 group of v's base at
// v's step, on v's server.
func plainOf(groups []*group, v *group) *group {
	for _, g := range groups {
		if idOf(g.impl) == idOf(v.impl) && g.known && g.facts.Plain() && g.key.Step == v.key.Step && g.facts.Family(g.key.Transport) == v.facts.Base {
			return g
		}
	}
	return nil
}

// tlsCostTable: each base transport beside its +tls variant in the same
// scenario and step, no fault: per connection in idle scenarios, per
// message in delivering ones, with the TLS/plain ratio.
func tlsCostTable(byScenario map[string][]*group, names []string) (Table, bool) {
	t := Table{Title: "Plaintext vs TLS: the same transport, scenario and step",
		Header: []string{"scenario", "transport", "figure", "plain", "TLS", "TLS/plain"}}
	var shown []*group
	for _, n := range names {
		groups := byScenario[n]
		for _, v := range groups {
			if !v.known || v.facts.Variant != "tls" || v.first().Params.Fault != "" {
				continue
			}
			p := plainOf(groups, v)
			if p == nil {
				continue
			}
			idle := v.first().Kind == "idle"
			if !idle && v.first().Kind == "churn" {
				continue // handshakes: the handshake table
			}
			fv, fp := figures(v, false), figures(p, false)
			shown = append(shown, v, p)
			for _, m := range tlsMetrics {
				if m.idle != idle {
					continue
				}
				sv, sp := statOver(fv, m.f, m.applies), statOver(fp, m.f, m.applies)
				if !sv.OK() && !sp.OK() && len(fv.ok) > 0 && len(fp.ok) > 0 {
					continue // the figure does not apply here
				}
				t.Rows = append(t.Rows, []string{n + stepLabel(v.first()), transportCell(p) + " / " + transportCell(v), m.name,
					statCell(sp, m.format), statCell(sv, m.format), statRatio(sv, sp)})
			}
		}
	}
	if len(t.Rows) == 0 {
		return Table{}, false
	}
	t.Note = "Idle scenarios: memory per connection (after connecting - before, / clients) and bytes per connection-minute; " +
		"delivering ones: bytes counted at the client sockets (both directions) and CPU per delivered message. " +
		"Disqualified repetitions (loss, saturation, mismatch) give no figure here (\"-\"). " + tlsParamsNote(shown) + " " + repsNote(shown)
	return t, true
}

// tlsParamsNote describes the TLS settings as recorded, grouped.
func tlsParamsNote(groups []*group) string {
	seen := map[string]bool{}
	var out []string
	for _, g := range groups {
		tp := g.first().Params.TLS
		if tp == nil {
			continue
		}
		alpn := tp.ALPN
		if alpn == "" {
			alpn = "none"
		}
		d := fmt.Sprintf("TLS %s, %s certificate, ALPN %s, resumption %s", tp.Version, tp.Cert, alpn, onOff(tp.Resumption))
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return ""
	}
	sort.Strings(out)
	return "As recorded: " + strings.Join(out, "; ") + "."
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// handshakeTable: the TLS handshakes each variant made in the window, full
// and resumed, with their time and CPU.
func handshakeTable(byScenario map[string][]*group, names []string) (Table, bool) {
	t := Table{Title: "TLS handshakes: full and resumed (TCP connected to server verified)",
		Header: []string{"scenario", "transport", "resumption", "full", "full p50", "resumed", "resumed p50", "server µs CPU/handshake", "loadgen µs CPU/handshake", "server: extra vs plaintext", "loadgen: extra vs plaintext"}}
	var shown []*group
	for _, n := range names {
		for _, g := range byScenario[n] {
			if !g.known || g.first().Params.TLS == nil {
				continue
			}
			if !anyHandshake(g.ok) {
				continue // no handshake in the window (an idle scenario)
			}
			fg := figures(g, false)
			var full, resumed int64
			for _, r := range fg.ok {
				if r.TLS != nil {
					full += r.TLS.Full
					resumed += r.TLS.Resumed
				}
			}
			shown = append(shown, g)
			has := func(r results.Record) bool { return r.TLS != nil && r.TLS.Full+r.TLS.Resumed > 0 }
			fullP50 := statOver(fg, func(r results.Record) float64 { return float64(r.TLS.FullTime.P50) }, func(r results.Record) bool { return r.TLS != nil && r.TLS.Full > 0 })
			resP50 := statOver(fg, func(r results.Record) float64 { return float64(r.TLS.ResumedTime.P50) }, func(r results.Record) bool { return r.TLS != nil && r.TLS.Resumed > 0 })
			scpu := statOver(fg, func(r results.Record) float64 { return r.TLS.ServerCPUPerUs }, has)
			lcpu := statOver(fg, func(r results.Record) float64 { return r.TLS.LoadgenCPUPerUs }, has)
			var sx, lx results.Stat
			if p := plainOf(byScenario[n], g); p != nil {
				sx, lx = extraPerHandshake(fg, figures(p, false))
			}
			t.Rows = append(t.Rows, []string{n + stepLabel(g.first()), transportCell(g), onOff(g.first().Params.TLS.Resumption),
				num(float64(full)), statCell(fullP50, us), num(float64(resumed)), statCell(resP50, us), statCell(scpu, f0), statCell(lcpu, f0),
				statCell(sx, f0), statCell(lx, f0)})
		}
	}
	if len(t.Rows) == 0 {
		return Table{}, false
	}
	t.Note = "Counts summed over the repetitions that qualify; times are the medians of each repetition's p50. " +
		"CPU per handshake is the window's CPU / handshakes, so it includes whatever else the window did (delivering messages, plaintext connects); " +
		"\"extra vs plaintext\" is what TLS added: the window's CPU minus that of the plaintext transport's record of the same repetition, / handshakes. " +
		"With resumption on, each client's first (full) handshake falls before the window. " + repsNote(shown)
	return t, true
}

// faultsNote names the slow-stream scenarios' faults as recorded.
func faultsNote(faults map[string]bool) string {
	if len(faults) == 0 {
		return ""
	}
	var out []string
	for f := range faults {
		out = append(out, f)
	}
	sort.Strings(out)
	return "Fault as recorded: " + strings.Join(out, "; ") + ". "
}

// extraPerHandshake is the CPU TLS added per handshake, server and load
// generator: each TLS record's window CPU minus that of plain's record of
// the same repetition, over the record's handshakes (µs); not OK without a
// plaintext record to pair.
func extraPerHandshake(tls, plain *group) (server, loadgen results.Stat) {
	byRep := map[int]results.Record{}
	for _, p := range plain.ok {
		byRep[p.Repetition] = p
	}
	var sv, lv []float64
	for _, r := range tls.ok {
		p, ok := byRep[r.Repetition]
		if !ok || r.TLS == nil || r.TLS.Full+r.TLS.Resumed == 0 {
			continue
		}
		h := float64(r.TLS.Full + r.TLS.Resumed)
		sv = append(sv, (r.Server.CPUSeconds-p.Server.CPUSeconds)/h*1e6)
		lv = append(lv, (r.Loadgen.CPUSeconds-p.Loadgen.CPUSeconds)/h*1e6)
	}
	return results.StatOf(sv), results.StatOf(lv)
}

// anyHandshake reports whether any of recs counted a TLS handshake.
func anyHandshake(recs []results.Record) bool {
	for _, r := range recs {
		if r.TLS != nil && r.TLS.Full+r.TLS.Resumed > 0 {
			return true
		}
	}
	return false
}

// isH2 reports whether facts are of an HTTP/2 variant.
func isH2(f results.TransportFacts) bool { return f.Variant == "h2" || f.Variant == "h2c" }

// http2Table: in each scenario with an HTTP/2 variant, every form of the
// families that have one (h1, +tls, +h2, +h2c): connections and streams,
// server heap per stream and per connection, p99, and the same forms' p99
// and clients with loss in a slow-reader scenario.
func http2Table(byScenario map[string][]*group, names []string) (Table, bool) {
	t := Table{Title: "HTTP/1.1 vs HTTP/2: connections, memory, latency and a slow stream",
		Header: []string{"scenario", "transport", "variant", "connections", "streams/conn", "server heap/stream", "server heap/conn", "p99", "slow-stream scenario", "its p99", "clients with loss"}}
	slow := slowStreamGroups(byScenario, names)
	var shown []*group
	faults := map[string]bool{}
	for _, n := range names {
		groups := byScenario[n]
		h2Families := map[string]bool{}
		for _, g := range groups {
			if g.known && isH2(g.facts) && g.first().Params.Fault == "" {
				h2Families[g.facts.Base] = true
			}
		}
		for _, g := range groups {
			if !g.known || !h2Families[g.facts.Family(g.key.Transport)] {
				continue
			}
			shown = append(shown, g)
			row := append([]string{n + stepLabel(g.first()), transportCell(g)}, http2Cells(g)...)
			sName, sP99, sLoss := "-", "-", "-"
			if sg := slow[familyVariant{g.facts.Family(g.key.Transport), g.facts.Variant}]; sg != nil {
				if !slices.Contains(shown, sg) {
					shown = append(shown, sg)
				}
				faults[sg.key.Scenario+": "+sg.first().Params.Fault] = true
				sName, sP99, sLoss = slowStreamCells(sg)
			}
			t.Rows = append(t.Rows, append(row, sName, sP99, sLoss))
		}
	}
	if len(t.Rows) == 0 {
		return Table{}, false
	}
	t.Note = "HTTP/1.1 (h1, +tls): one connection per client, so a stream's heap is the connection's (server heap per client). " +
		"HTTP/2 (+h2 over TLS by ALPN, +h2c cleartext): clients of a load generator share connections; heap per stream and per connection as the record splits them. " +
		"The slow-stream scenario's figures keep repetitions whose only fault is the loss its slow reader causes; clients with loss summed over those repetitions, of their clients. " +
		"Other disqualified repetitions give no figure (\"-\"). " + faultsNote(faults) + repsNote(shown)
	return t, true
}

// familyVariant is a transport family and one of its variants.
type familyVariant struct{ family, variant string }

// slowStreamGroups are the fault scenarios' groups by transport family and
// variant, from the fault scenarios that measured an HTTP/2 variant: the
// slow-stream scenario, not a reset or idle-close one of the same
// transports.
func slowStreamGroups(byScenario map[string][]*group, names []string) map[familyVariant]*group {
	slow := map[familyVariant]*group{}
	for _, n := range names {
		h2Fault := false
		for _, g := range byScenario[n] {
			h2Fault = h2Fault || g.known && isH2(g.facts) && g.first().Params.Fault != ""
		}
		if !h2Fault {
			continue
		}
		for _, g := range byScenario[n] {
			if g.known && g.first().Params.Fault != "" {
				k := familyVariant{g.facts.Family(g.key.Transport), g.facts.Variant}
				if slow[k] == nil {
					slow[k] = g
				}
			}
		}
	}
	return slow
}

// http2Cells are g's variant, connections, streams per connection, server
// heap per stream and per connection, and p99.
func http2Cells(g *group) []string {
	fg := figures(g, false)
	variant := g.facts.Variant
	if variant == "" {
		variant = "h1"
	}
	conns, streams := "-", "-"
	var hs, hc results.Stat
	if isH2(g.facts) {
		h := func(r results.Record) bool { return r.HTTP2 != nil }
		conns = statCell(statOver(fg, func(r results.Record) float64 { return float64(r.HTTP2.Conns) }, h), num)
		streams = statCell(statOver(fg, func(r results.Record) float64 { return r.HTTP2.StreamsPerConn }, h), num)
		hs = statOver(fg, func(r results.Record) float64 { return r.HTTP2.HeapPerStream }, h)
		hc = statOver(fg, func(r results.Record) float64 { return r.HTTP2.HeapPerConn }, h)
	} else {
		if len(fg.ok) > 0 {
			conns, streams = strconv.Itoa(g.first().Params.Clients), "1"
		}
		hs = statOver(fg, func(r results.Record) float64 { return r.Server.HeapPerConn }, hasClients)
		hc = hs
	}
	p99 := statOver(fg, func(r results.Record) float64 { return float64(r.Latency.P99) }, hasDeliveries)
	return []string{variant, conns, streams, statCell(hs, fmtBytes), statCell(hc, fmtBytes), statCell(p99, us)}
}

// slowStreamCells are the slow-stream scenario sg's name, p99 and clients
// with loss (of its clients, over the kept repetitions).
func slowStreamCells(sg *group) (name, p99, loss string) {
	fs := figures(sg, true)
	p99 = statCell(statOver(fs, func(r results.Record) float64 { return float64(r.Latency.P99) }, hasDeliveries), us)
	loss = "-"
	if len(fs.ok) > 0 {
		var n int64
		for _, r := range fs.ok {
			n += r.Delivery.ClientsWithLoss
		}
		loss = fmt.Sprintf("%s of %s", num(float64(n)), num(float64(len(fs.ok)*sg.first().Params.Clients)))
	}
	return sg.key.Scenario, p99, loss
}

// noH2Sentences names each transport that starts with an HTTP Upgrade
// (WebSocket) and has no HTTP/2 variant record in the run: its library does
// not carry it over HTTP/2 (RFC 8441), so it was not measured.
func noH2Sentences(byScenario map[string][]*group, names []string) []string {
	upgrades := map[string]string{} // family -> library
	h2 := map[string]bool{}
	var order []string
	for _, n := range names {
		for _, g := range byScenario[n] {
			if !g.known {
				continue
			}
			fam := g.facts.Family(g.key.Transport)
			if isH2(g.facts) {
				h2[fam] = true
			}
			if g.facts.Upgrades && g.facts.Plain() {
				if _, seen := upgrades[fam]; !seen {
					upgrades[fam] = libraryName(g.first().Library)
					order = append(order, fam)
				}
			}
		}
	}
	var out []string
	for _, fam := range order {
		if h2[fam] {
			continue
		}
		lib := upgrades[fam]
		if lib == "" {
			lib = "its library"
		}
		s := fmt.Sprintf("WebSocket over HTTP/2 (RFC 8441) is not in %s: not measured", lib)
		if len(order) > 1 {
			s += " (" + fam + ")"
		}
		out = append(out, s+".")
	}
	return out
}

// libraryName is a record's library without its module host and version
// ("github.com/gorilla/websocket v1.5.3" -> "gorilla/websocket").
func libraryName(lib string) string {
	if f := strings.Fields(lib); len(f) > 0 {
		lib = f[0]
	}
	return strings.TrimPrefix(lib, "github.com/")
}
