package report

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// The proxies section: per real-proxy network (nginx, HAProxy; stock,
// tuned or custom) and transport, whether the transport works through it,
// the latency it adds against the direct path (records of --network
// loopback in the same results), clumping (p99 - p50 under a steady rate),
// idle cuts and reconnects, the proxy's own memory and CPU, and the fix.

// ProxySectionName is the section's scenario field.
const ProxySectionName = "proxies"

// proxyKey is one (network, scenario, step, transport).
type proxyKey struct {
	Network, Scenario string
	Step              int
	Transport         string
}

// isRealProxy says whether records on network name went through a real
// proxy: one of them carries Proxy, or the name is a built-in proxy
// profile (records that failed before measuring carry no Proxy).
func isRealProxy(name string, recs []results.Record) bool {
	for _, r := range recs {
		if r.Params.Network == name && r.Proxy != nil {
			return true
		}
	}
	if strings.HasSuffix(name, ".json") || strings.Contains(name, "/") {
		return false
	}
	n, err := scenarios.FindNetwork(name)
	return err == nil && n.Real != nil
}

// proxySection builds the section; ok is false when no record went
// through a real proxy.
func proxySection(recs []results.Record) (Section, bool) {
	by := map[proxyKey][]results.Record{}
	proxied := map[string]bool{}
	var scens []string
	seenScen := map[string]bool{}
	for _, r := range recs {
		k := proxyKey{r.Params.Network, r.Scenario, r.Step, r.Transport}
		by[k] = append(by[k], r)
		if _, done := proxied[r.Params.Network]; !done {
			proxied[r.Params.Network] = isRealProxy(r.Params.Network, recs)
		}
		if !seenScen[r.Scenario] {
			seenScen[r.Scenario] = true
			scens = append(scens, r.Scenario)
		}
	}
	var nets []string
	for n, p := range proxied {
		if p {
			nets = append(nets, n)
		}
	}
	if len(nets) == 0 {
		return Section{}, false
	}
	sort.Strings(nets)
	facts := knownFacts(recs)
	sec := Section{Scenario: ProxySectionName,
		Question: "Through the proxies teams deploy (nginx, HAProxy; stock and tuned): does each transport work, what does the proxy add, and what did the fix take?"}
	for _, sc := range scens {
		var keys []proxyKey
		for k := range by {
			if k.Scenario == sc && proxied[k.Network] {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		sort.Slice(keys, func(i, j int) bool {
			a, b := keys[i], keys[j]
			if a.Network != b.Network {
				return a.Network < b.Network
			}
			if a.Step != b.Step {
				return a.Step < b.Step
			}
			return transportLess(facts, a.Transport, b.Transport)
		})
		sec.Tables = append(sec.Tables, proxyTable(sc, keys, by))
	}
	sec.Summary = proxySummary(nets, by, facts)
	return sec, true
}

func proxyTable(scenario string, keys []proxyKey, by map[proxyKey][]results.Record) Table {
	t := Table{Title: "Scenario " + scenario + ": each transport through each proxy, against the direct path (loopback) in the same results",
		Header: []string{"network", "transport", "works", "p50 (+ vs direct)", "p99 (+ vs direct)", "p99-p50 (direct)", "lost", "cuts/reconn", "proxy RSS/conn", "proxy CPU µs/msg", "fix"}}
	for _, k := range keys {
		rs := by[k]
		direct := okRecords(by[proxyKey{"loopback", k.Scenario, k.Step, k.Transport}])
		ok := okRecords(rs)
		row := []string{k.Network, k.Transport, worksCell(rs, ok)}
		if len(ok) == 0 {
			row = append(row, "-", "-", "-", "-", "-", "-", "-", fixCell(rs))
			t.Rows = append(t.Rows, row)
			continue
		}
		p50, p99 := medianOf(ok, func(r results.Record) float64 { return float64(r.Latency.P50) }), medianOf(ok, func(r results.Record) float64 { return float64(r.Latency.P99) })
		spread := p99 - p50
		d50, d99 := 0.0, 0.0
		dcell := func(v, d float64) string { return us(v) + " (no direct)" }
		if len(direct) > 0 {
			d50 = medianOf(direct, func(r results.Record) float64 { return float64(r.Latency.P50) })
			d99 = medianOf(direct, func(r results.Record) float64 { return float64(r.Latency.P99) })
			dcell = func(v, d float64) string { return us(v) + " (" + signedUs(v-d) + ")" }
		}
		spreadCell := us(spread) + " (-)"
		if len(direct) > 0 {
			spreadCell = us(spread) + " (" + us(d99-d50) + ")"
		}
		var lost, drops, reconn int64
		for _, r := range ok {
			lost += r.Delivery.Lost
			drops += r.Delivery.Drops
			reconn += r.Delivery.Reconnects
		}
		rss, cpu := "-", "-"
		if pu := proxyUsages(ok); len(pu) > 0 {
			rss = fmtBytes(medianOf(ok, func(r results.Record) float64 {
				return proxyOr(r, func(p *results.ProxyUsage) float64 { return p.RSSPerConn })
			}))
			cpu = fmt.Sprintf("%.1f", medianOf(ok, func(r results.Record) float64 {
				return proxyOr(r, func(p *results.ProxyUsage) float64 { return p.CPUPerMsgUs })
			}))
		}
		if len(direct) > 0 && row[2] == "yes" && heldBack(p50, d50) {
			row[2] = "yes, held back: p50 " + signedUs(p50-d50)
		}
		row = append(row, dcell(p50, d50), dcell(p99, d99), spreadCell, num(float64(lost)), fmt.Sprintf("%d/%d", drops, reconn), rss, cpu, fixCell(rs))
		t.Rows = append(t.Rows, row)
	}
	t.Note = "works: yes, \"partly\" (lost messages) or no with the named reason; + vs direct: median over repetitions minus the loopback record's; p99-p50 under a steady rate is the clumping signal (the direct path's in brackets); cuts: unplanned disconnects (an idle timeout shows here); proxy RSS/conn: the proxy's resident memory at the window's end minus just after start, over clients; fix: the tuned form's change, or what a failure needs"
	return t
}

// heldBack: the proxy adds at least 20 ms and a tenth of the direct path's
// median (short poll's is half its interval) to the median: messages wait in
// the proxy rather than cross it.
func heldBack(p50, direct50 float64) bool {
	return p50-direct50 >= max(20e3, direct50/10)
}

func okRecords(rs []results.Record) []results.Record {
	var out []results.Record
	for _, r := range rs {
		if r.Error == "" && !r.Interrupted {
			out = append(out, r)
		}
	}
	return out
}

func proxyUsages(rs []results.Record) []*results.ProxyUsage {
	var out []*results.ProxyUsage
	for _, r := range rs {
		if r.Proxy != nil {
			out = append(out, r.Proxy)
		}
	}
	return out
}

func proxyOr(r results.Record, f func(*results.ProxyUsage) float64) float64 {
	if r.Proxy == nil {
		return 0
	}
	return f(r.Proxy)
}

func medianOf(rs []results.Record, f func(results.Record) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func signedUs(v float64) string {
	if v < 0 {
		return "-" + us(-v)
	}
	return "+" + us(v)
}

// worksCell: "yes", "partly: N lost" or "no: <reason>".
func worksCell(rs, ok []results.Record) string {
	if len(ok) == 0 {
		for _, r := range rs {
			if r.Error != "" {
				return "no: " + errReason(r.Error)
			}
		}
		return "no record"
	}
	var lost, delivered int64
	for _, r := range ok {
		lost += r.Delivery.Lost
		delivered += r.Delivery.Delivered
	}
	switch {
	case delivered == 0:
		return "no: nothing delivered"
	case lost > 0:
		return fmt.Sprintf("partly: %d lost", lost)
	case len(ok) < len(rs):
		return fmt.Sprintf("yes in %d of %d", len(ok), len(rs))
	}
	return "yes"
}

var fixRE = regexp.MustCompile(`\(fix: ([^)]*)\)`)

// errReason is an error's named reason: its text up to the first ";" or
// " (", shortened.
func errReason(e string) string {
	if i := strings.IndexAny(e, ";("); i > 0 {
		e = e[:i]
	}
	e = strings.TrimSpace(e)
	if len(e) > 110 {
		e = e[:107] + "..."
	}
	return e
}

// fixCell: the fix a failure names, else the form's fix.
func fixCell(rs []results.Record) string {
	for _, r := range rs {
		if m := fixRE.FindStringSubmatch(r.Error); m != nil {
			return m[1]
		}
	}
	for _, r := range rs {
		if r.Proxy != nil && r.Proxy.Fix != "" {
			return r.Proxy.Fix
		}
	}
	for _, r := range rs {
		if n, err := scenarios.FindNetwork(r.Params.Network); err == nil && n.Real != nil {
			if f := n.Real.Fixes[r.Transport]; f != "" {
				return f
			}
			if n.Real.Fix != "" {
				return n.Real.Fix
			}
		}
	}
	return "-"
}

// proxySummary: per network, the transports that work, and C12 with this
// proxy when the idle-close scenarios ran through it.
func proxySummary(nets []string, by map[proxyKey][]results.Record, facts map[string]results.TransportFacts) []string {
	var out []string
	for _, n := range nets {
		var works, held, fails []string
		seen := map[string]bool{}
		for k, rs := range by {
			if k.Network != n || k.Scenario != "latency" || seen[k.Transport] {
				continue
			}
			seen[k.Transport] = true
			ok := okRecords(rs)
			direct := okRecords(by[proxyKey{"loopback", k.Scenario, k.Step, k.Transport}])
			c := worksCell(rs, ok)
			switch {
			case c == "yes" && len(direct) > 0 && heldBack(medianOf(ok, p50Of), medianOf(direct, p50Of)):
				held = append(held, fmt.Sprintf("%s (p50 %s)", k.Transport, signedUs(medianOf(ok, p50Of)-medianOf(direct, p50Of))))
			case c == "yes":
				works = append(works, k.Transport)
			default:
				fails = append(fails, k.Transport+" ("+c+")")
			}
		}
		sort.Slice(works, func(i, j int) bool { return transportLess(facts, works[i], works[j]) })
		sort.Strings(fails)
		sort.Strings(held)
		if len(works)+len(held)+len(fails) > 0 {
			out = append(out, fmt.Sprintf("%s, latency scenario: works for %s; works but holds messages back for %s; fails for %s.", n, listOr(works, "none"), listOr(held, "none"), listOr(fails, "none")))
		}
		if s := c12For(n, by, facts); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func p50Of(r results.Record) float64 { return float64(r.Latency.P50) }

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

// c12For gives C12's figures on one network's idle-close records: per
// streaming transport (plaintext), the unplanned disconnects of every
// repetition without and with heartbeats, and the settings the records
// ran with. The verdict, through the statistics, is C12's in the claims.
func c12For(network string, by map[proxyKey][]results.Record, facts map[string]results.TransportFacts) string {
	var parts, failed []string
	settings := ""
	for _, t := range namesWhere(facts, plainPush) {
		ra, rb := by[proxyKey{network, idleClose, 0, t}], by[proxyKey{network, idleCloseHeartbeat, 0, t}]
		a, b := okRecords(ra), okRecords(rb)
		if len(a) == 0 || len(b) == 0 {
			if len(ra)+len(rb) > 0 {
				failed = append(failed, t)
			}
			continue
		}
		if settings == "" {
			settings = idleCloseSettings(a, b)
		}
		parts = append(parts, fmt.Sprintf("%s %s / %s", t, dropsList(a), dropsList(b)))
	}
	not := ""
	if len(failed) > 0 {
		not = " " + strings.Join(failed, ", ") + " did not run through it (see the works column)."
	}
	if len(parts) == 0 {
		if not != "" {
			return fmt.Sprintf("C12 through %s: not measured:%s", network, not)
		}
		return ""
	}
	return fmt.Sprintf("C12 through %s (%s): disconnects per repetition without / with heartbeats: %s (verdict in the claims section).%s", network, settings, strings.Join(parts, ", "), not)
}

// dropsList is the unplanned disconnects of each repetition, in order.
func dropsList(rs []results.Record) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprint(r.Delivery.Drops)
	}
	return strings.Join(parts, " ")
}
