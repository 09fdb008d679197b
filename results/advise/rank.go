package advise

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// HoursPerMonth is the month costs are written for (365 x 24 / 12).
const HoursPerMonth = 730

// BrowserConnsPerOrigin is how many HTTP/1.1 connections a browser holds
// per origin across all its tabs (docs/BROWSERS.md, claim C13).
const BrowserConnsPerOrigin = 6

// Verdicts a Row can have.
const (
	Feasible   = "yes"
	Infeasible = "no"
	Unknown    = "unknown"
)

// Row is one transport and implementation sized for a workload.
type Row struct {
	Key      Key    `json:"key"`
	Feasible string `json:"feasible"` // yes, no or unknown
	// Why are the reasons for "no" or "unknown".
	Why []string `json:"why,omitempty"`
	// Decided are the constraints that set the size or the verdict.
	Decided []string `json:"decided,omitempty"`
	Servers int      `json:"servers,omitempty"`
	Cores   float64  `json:"cores,omitempty"`
	// ConnsPerCore are the streams each provisioned core holds.
	ConnsPerCore float64 `json:"conns_per_core,omitempty"`
	// RSSGiB is the servers' resident memory in GiB, nil when not
	// measured; KernelGiB is the kernel's memory for the sockets, which no
	// record measures.
	RSSGiB    *Prediction `json:"rss_gib,omitempty"`
	KernelGiB string      `json:"kernel_gib"`
	// EgressGBMonth is the bytes sent to clients in a month, in GB (1e9);
	// nil when not measured.
	EgressGBMonth *float64 `json:"egress_gb_month,omitempty"`
	// CostMonth is the month's cost; nil when no price is given or a
	// priced figure was not measured (CostWhy says which).
	CostMonth *float64 `json:"cost_month,omitempty"`
	CostWhy   string   `json:"cost_why,omitempty"`
	// P99 is the predicted p99 in microseconds at each server's share.
	P99 *Prediction `json:"p99_us,omitempty"`
	// Notes are extrapolations and what the figures leave out.
	Notes []string `json:"notes,omitempty"`
	// Records are the files the row's figures came from.
	Records []string `json:"records"`
}

// Advice is a workload ranked against a set of models.
type Advice struct {
	Workload Workload `json:"workload"`
	// Network is the network whose records were looked for.
	Network string `json:"network"`
	// FloorP99 is the raw-TCP floor's lowest measured p99 (µs), FloorFile
	// its record.
	FloorP99  float64  `json:"floor_p99_us,omitempty"`
	FloorFile string   `json:"floor_file,omitempty"`
	Rows      []Row    `json:"rows"`
	Notes     []string `json:"notes,omitempty"`
}

// Floor is the lowest p99 the floor transport (raw TCP) reached on
// loopback in models, and the record it came from; 0 when none.
func Floor(models []*Models) (float64, string) {
	best, file := 0.0, ""
	for _, m := range models {
		if !m.Facts.Floor || m.Network != "loopback" || m.P99Min == 0 {
			continue
		}
		if best == 0 || m.P99Min < best {
			best, file = m.P99Min, m.MinFile
		}
	}
	return best, file
}

// Rank sizes w on every transport and implementation in models and ranks
// them: feasible ones by cost (by servers, then memory, without prices),
// then those whose feasibility was not measured, then the infeasible. It
// fails on a workload that makes no sense (Workload.Check).
func Rank(w Workload, set Set) (Advice, error) {
	models := set.Models
	floor, floorFile := Floor(models)
	if err := w.Check(floor); err != nil {
		return Advice{}, err
	}
	a := Advice{Workload: w, Network: w.Network(), FloorP99: floor, FloorFile: floorFile}
	for _, c := range candidates(w, models) {
		a.Rows = append(a.Rows, size(w, c, set))
	}
	if p := w.Prices; p.ManagedConnMinuteMillion > 0 || p.ManagedMessageMillion > 0 {
		a.Rows = append(a.Rows, managed(w))
	}
	sort.SliceStable(a.Rows, func(i, j int) bool { return rowLess(a.Rows[i], a.Rows[j]) })
	if w.TLS && w.Proxy != "" {
		a.Notes = append(a.Notes, fmt.Sprintf("TLS ends at %s: the servers behind it are sized on plaintext records, and the proxy's own cost (its TLS included) is not in the figures", w.Proxy))
	}
	a.Notes = append(a.Notes,
		fmt.Sprintf("sizes are planned at %.0f%% of each server's %g cores and at the upper end of the p99 interval; CPU figures were measured on one pinned core and are assumed to scale with cores", w.CPUTarget*100, w.CoresPerServer),
		"kernel memory per socket: not measured by any record (RSS does not show it); measure it as the growth of Slab in /proc/meminfo, or of a cgroup's memory.stat (sock and slab), while idle connections are opened",
		"delivered messages: (published per second + client messages per second x users) x the streams each reaches; the p99 model is fitted on broadcasts to every client of a server, so each server's share of a message's streams is the load it is read at")
	return a, nil
}

// candidate is one set of models to size, and why its figures may not
// match the workload's path.
type candidate struct {
	m       *Models
	unknown []string
}

// candidates picks, per family, implementation and TLS-ness, the models
// for the workload's network and TLS, falling back to the plain loopback
// ones with the reason recorded.
func candidates(w Workload, models []*Models) []candidate {
	net := w.Network()
	type group struct{ family, impl string }
	by := map[group][]*Models{}
	var order []group
	for _, m := range models {
		g := group{m.Family, m.Implementation}
		if _, ok := by[g]; !ok {
			order = append(order, g)
		}
		by[g] = append(by[g], m)
	}
	var out []candidate
	for _, g := range order {
		var tlsVariants, plain []*Models
		for _, m := range by[g] {
			switch m.Variant {
			case "tls", "h2":
				tlsVariants = append(tlsVariants, m)
			default: // "", h2c
				plain = append(plain, m)
			}
		}
		pick := plain
		var why []string
		// Behind a proxy, TLS ends at the proxy: the servers speak
		// plaintext to it (Rank notes that the proxy's TLS cost is not
		// measured).
		if w.TLS && w.Proxy == "" {
			if len(tlsVariants) > 0 {
				pick = tlsVariants
			} else {
				why = append(why, "TLS not measured for "+g.family+": figures are plaintext (run --scenario tls)")
			}
		}
		// One per transport name: the workload's network, else loopback.
		names := map[string][]*Models{}
		var nameOrder []string
		for _, m := range pick {
			if _, ok := names[m.Transport]; !ok {
				nameOrder = append(nameOrder, m.Transport)
			}
			names[m.Transport] = append(names[m.Transport], m)
		}
		for _, n := range nameOrder {
			var on, loop *Models
			for _, m := range names[n] {
				switch m.Network {
				case net:
					on = m
				case "loopback":
					loop = m
				}
			}
			c := candidate{unknown: append([]string(nil), why...)}
			switch {
			case on != nil:
				c.m = on
			case loop != nil:
				c.m = loop
				c.unknown = append(c.unknown, "not measured through "+net+" (run --network "+net+"): figures are the direct path's")
			default:
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// size sizes w on one candidate.
func size(w Workload, c candidate, set Set) Row {
	m := c.m
	row := Row{Key: m.Key, Feasible: Feasible, KernelGiB: KernelNotMeasured}
	files := map[string]bool{}
	cite := func(fs ...string) {
		for _, f := range fs {
			if f != "" {
				files[f] = true
			}
		}
	}
	no := func(format string, args ...any) {
		row.Feasible = Infeasible
		row.Why = append(row.Why, fmt.Sprintf(format, args...))
	}
	for _, u := range c.unknown {
		row.Why = append(row.Why, u)
	}
	if len(c.unknown) > 0 {
		row.Feasible = Unknown
	}
	conns, fan, delivered := w.Connections(), w.FanoutConns(), w.Delivered()
	sloUs := float64(time.Duration(w.SLOP99).Microseconds())

	// What rules a transport out before any sizing.
	if w.Tabs > 0 && w.Tabs < BrowserConnsPerOrigin && !m.Facts.Upgrades && m.Variant != "h2" && m.Variant != "h2c" && !m.Facts.Floor {
		row.Decided = append(row.Decided, fmt.Sprintf("browser: %d of its %d HTTP/1.1 connections per origin held by streams", w.Tabs, BrowserConnsPerOrigin))
	}
	if w.Tabs > 0 {
		if m.Facts.Floor || m.Family == "rawtcp" {
			no("browsers cannot open raw TCP connections")
		} else if w.Tabs >= BrowserConnsPerOrigin && !m.Facts.Upgrades && m.Variant != "h2" && m.Variant != "h2c" {
			no("%d tabs per user over HTTP/1.1: a browser holds %d connections per origin across its tabs, so %d streams leave none for the page's other requests and streams past the %dth wait for one to close (C13; WebSocket and HTTP/2 are not held to it)", w.Tabs, BrowserConnsPerOrigin, w.Tabs, BrowserConnsPerOrigin)
			row.Decided = append(row.Decided, "browser six-connection limit (HTTP/1.1)")
			if len(set.BrowserLimit) > 0 {
				cite(set.BrowserLimit...)
			} else {
				row.Notes = append(row.Notes, "the browser limit is not in this evidence: docs/BROWSERS.md shows it measured (make bench-deploy)")
			}
		}
	}
	if w.Resume && m.Resume == "none" {
		no("no resume: %s offers none for %s", m.Implementation, m.Transport)
	}
	// Through a proxy: the transport's own records there, else its
	// plaintext family's (a proxy that breaks SSE breaks it over TLS too).
	if net := w.Network(); net != "loopback" {
		via := []*Models{m}
		if m.Network != net {
			via = Find(set.Models, m.Family, m.Implementation, net)
		}
		for _, p := range via {
			if p.P99 != nil || len(p.Failures) == 0 {
				if p != m {
					row.Decided = append(row.Decided, fmt.Sprintf("%s delivers through %s in its records (%s)", p.Transport, net, p.MinFile))
					cite(p.MinFile)
				}
				continue
			}
			f := p.Failures[0]
			no("%s through %s: %s (%s, %s)", p.Transport, net, shortReason(f.Reason), f.Scenario, f.File)
			cite(f.File)
		}
	}
	if m.Network != "loopback" && m.P99Min > 0 {
		for _, d := range Find(set.Models, m.Transport, m.Implementation, "loopback") {
			if d.P99Min > 0 && m.P99Min-d.P99Min >= max(20e3, d.P99Min/10) {
				row.Decided = append(row.Decided, fmt.Sprintf("%s holds messages back: lowest p99 %s through it, %s direct (%s, %s)", m.Network, usString(m.P99Min), usString(d.P99Min), m.MinFile, d.MinFile))
				cite(m.MinFile, d.MinFile)
			}
		}
	}
	if w.TLS && m.Handshake != nil {
		row.Notes = append(row.Notes, fmt.Sprintf("TLS handshakes cost the server %s of CPU each as measured (%s): reconnections are not in the workload, so not costed", usString(m.Handshake.Intercept), m.Handshake.Name))
		cite(m.Handshake.Files...)
	}
	if m.Facts.PollInterval && m.PollInterval > 0 {
		iv := m.PollInterval * 1e6
		row.Decided = append(row.Decided, fmt.Sprintf("short poll: latency is interval/2 on average and its p99 about the interval (%s measured)", usString(iv)))
		if m.P99 != nil {
			cite(m.P99.Files...)
		}
		if iv*0.99 > sloUs {
			no("short poll's p99 is about its interval (%s measured) > SLO %s: a shorter interval costs more requests and was not measured", usString(iv), time.Duration(w.SLOP99))
		}
	}

	if row.Feasible == Infeasible {
		row.Records = sorted(files)
		return row
	}

	// The size each constraint needs.
	p99m, cpuMsg := m.P99, m.CPUMsg
	if w.ClientMsgs > 0 {
		p99m, cpuMsg = m.P99Chat, m.CPUChat
		if m.CPUChat == nil {
			row.Why = append(row.Why, "client messages not measured (no chat records): upstream cost left out")
			if row.Feasible == Feasible {
				row.Feasible = Unknown
			}
			p99m, cpuMsg = m.P99, m.CPUMsg
		}
	}
	// Each constraint's server count; the largest decides.
	type need struct {
		servers float64
		what    string
	}
	var needs []need
	if p99m == nil {
		row.Why = append(row.Why, "p99 not measured (no broadcast records)")
		if row.Feasible == Feasible {
			row.Feasible = Unknown
		}
	} else {
		cite(p99m.Files...)
		perServer := p99m.SolveUpper(sloUs, fan)
		what := fmt.Sprintf("p99 <= SLO %s up to %s clients per broadcast per server (%s model, upper end)", time.Duration(w.SLOP99), num(math.Floor(perServer)), p99m.Name)
		if perServer >= fan {
			what = fmt.Sprintf("p99 <= SLO %s with all %s streams a broadcast reaches on one server (%s model, upper end)", time.Duration(w.SLOP99), num(fan), p99m.Name)
		}
		// A measured step that failed caps what a server may hold.
		for _, f := range m.Failures {
			if f.Kind == "broadcast" && f.StepParam == "clients" && f.X <= perServer {
				perServer = f.X - 1
				what = fmt.Sprintf("failed at %s clients per broadcast (%s: %s)", num(f.X), f.File, f.Reason)
				cite(f.File)
				break
			}
		}
		if perServer < 1 {
			no("p99 above the SLO %s at any size: %s predicted at the smallest (%s model)", time.Duration(w.SLOP99), usString(p99m.Predict(0).Upper()), p99m.Name)
		} else {
			needs = append(needs, need{math.Ceil(fan / perServer), what})
		}
	}
	var cpuA, cpuPerConn, cpuPerMsg float64
	cpuKnown := false
	idleCPU := "not measured"
	if m.CPUIdle != nil {
		cpuA, cpuPerConn, cpuKnown = m.CPUIdle.Intercept, m.CPUIdle.Slope, true
		idleCPU = fmt.Sprintf("%.3g µs", cpuPerConn*1e6)
		cite(m.CPUIdle.Files...)
	} else {
		row.Why = append(row.Why, "CPU per idle connection not measured (no idle records): CPU sized on messages only")
		if row.Feasible == Feasible {
			row.Feasible = Unknown
		}
	}
	if cpuMsg != nil {
		if !cpuKnown {
			cpuA = cpuMsg.Intercept
		}
		cpuPerMsg, cpuKnown = cpuMsg.Slope, true
		cite(cpuMsg.Files...)
	} else {
		row.Why = append(row.Why, "CPU per message not measured (no broadcast records): CPU sized on idle connections only")
		if row.Feasible == Feasible {
			row.Feasible = Unknown
		}
	}
	budget := w.CoresPerServer * w.CPUTarget
	if !cpuKnown {
		row.Why = append(row.Why, "server CPU not measured")
		if row.Feasible == Feasible {
			row.Feasible = Unknown
		}
	} else {
		work := max(0, cpuPerConn)*conns + max(0, cpuPerMsg)*delivered
		head := budget - max(0, cpuA)
		if head <= 0 {
			no("a server's own CPU (%.2f cores) exceeds the budget of %.2f", cpuA, budget)
		} else {
			perMsg := "not measured"
			if cpuMsg != nil {
				perMsg = fmt.Sprintf("%.3g µs", cpuPerMsg*1e6)
			}
			needs = append(needs, need{math.Ceil(work / head), fmt.Sprintf("CPU: %.3g cores of work (%s per connection-second, %s per message) within %.2f of %g cores per server", work, idleCPU, perMsg, budget, w.CoresPerServer)})
		}
	}
	servers := 1.0
	for _, n := range needs {
		servers = max(servers, n.servers)
	}
	for _, n := range needs {
		if row.Feasible == Infeasible {
			break // the sizes do not apply
		}
		mark := ""
		if n.servers == servers {
			mark = " (decides)"
		}
		row.Decided = append(row.Decided, fmt.Sprintf("%s: %s server(s)%s", n.what, num(max(1, n.servers)), mark))
	}
	if row.Feasible == Infeasible {
		row.Records = sorted(files)
		return row
	}
	row.Servers = int(servers)
	row.Cores = servers * w.CoresPerServer
	row.ConnsPerCore = conns / row.Cores
	perConns := conns / servers
	if p99m != nil {
		p := p99m.Predict(fan / servers)
		row.P99 = &p
		if p.Far() {
			row.Notes = append(row.Notes, fmt.Sprintf("p99 predicted %.0fx past the largest size measured (%s clients)", p.Beyond, num(p99m.XMax)))
		}
	}
	if m.RSS != nil {
		p := m.RSS.Predict(perConns)
		g := scalePrediction(p, servers/(1<<30))
		row.RSSGiB = &g
		cite(m.RSS.Files...)
		if p.Far() {
			row.Notes = append(row.Notes, fmt.Sprintf("RSS predicted %.0fx past the largest size measured (%s connections)", p.Beyond, num(m.RSS.XMax)))
		}
	} else {
		row.Notes = append(row.Notes, "server RSS not measured (no idle records)")
	}
	if m.CPUIdle != nil {
		if p := m.CPUIdle.Predict(perConns); p.Far() {
			row.Notes = append(row.Notes, fmt.Sprintf("idle CPU predicted %.0fx past the largest size measured (%s connections)", p.Beyond, num(m.CPUIdle.XMax)))
		}
	}
	if cpuMsg != nil {
		if p := cpuMsg.Predict(delivered / servers); p.Far() {
			row.Notes = append(row.Notes, fmt.Sprintf("CPU per message predicted %.0fx past the largest rate measured (%s/s)", p.Beyond, num(cpuMsg.XMax)))
		}
	}
	egress, egressKnown := egressPerSecond(w, m, perConns, servers)
	if egressKnown {
		gb := egress * HoursPerMonth * 3600 / 1e9
		row.EgressGBMonth = &gb
		cite(m.BytesMsg.Files...)
		if m.BytesIdle != nil {
			cite(m.BytesIdle.Files...)
		}
	}
	row.CostMonth, row.CostWhy = cost(w, row, egressKnown)
	row.Records = sorted(files)
	return row
}

// egressPerSecond is the bytes per second sent to clients: messages times
// bytes per message, plus the idle traffic of every connection, each
// times the share of wire bytes that went to clients.
func egressPerSecond(w Workload, m *Models, perConns, servers float64) (float64, bool) {
	if m.BytesMsg == nil || m.EgressShare == 0 {
		return 0, false
	}
	b := m.BytesMsg.Predict(float64(w.Payload)).Value * w.Delivered()
	if m.BytesIdle != nil {
		b += m.BytesIdle.Predict(perConns).Value / 60 * w.Connections()
	}
	return b * m.EgressShare, true
}

// cost is the month's cost of a row, or why there is none.
func cost(w Workload, r Row, egressKnown bool) (*float64, string) {
	p := w.Prices
	if !p.Given() {
		return nil, "no prices given"
	}
	var missing []string
	c := r.Cores * p.CoreHour * HoursPerMonth
	if p.GiBHour > 0 {
		if r.RSSGiB == nil {
			missing = append(missing, "memory")
		} else {
			c += r.RSSGiB.Value * p.GiBHour * HoursPerMonth
		}
	}
	if p.GBEgress > 0 {
		if !egressKnown {
			missing = append(missing, "egress")
		} else {
			c += *r.EgressGBMonth * p.GBEgress
		}
	}
	if len(missing) > 0 {
		return nil, "not measured: " + strings.Join(missing, ", ")
	}
	return &c, ""
}

// managed is a managed WebSocket service priced per connection-minute
// and per message.
func managed(w Workload) Row {
	p := w.Prices
	minutes := w.Connections() * HoursPerMonth * 60
	msgs := w.Delivered() * HoursPerMonth * 3600
	c := minutes/1e6*p.ManagedConnMinuteMillion + msgs/1e6*p.ManagedMessageMillion
	return Row{
		Key:       Key{Transport: "managed websocket", Family: "websocket", Implementation: "managed service", Network: "-"},
		Feasible:  Unknown,
		KernelGiB: "-",
		CostMonth: &c,
		Why:       []string{"not measured here: priced from the given per-million connection-minute and message prices"},
		Decided: []string{"services of this kind cap a connection's life (API Gateway: 2 h) and its idle time (10 min): clients must reconnect and send keep-alives",
			"messages are billed in size units (API Gateway: 32 KB): payloads above one unit count more than once"},
		Records: []string{},
	}
}

var fixRE = regexp.MustCompile(`\(fix: ([^)]*)\)`)

// shortReason is a failure's reason up to its first ";", and the fix it
// names, if any.
func shortReason(r string) string {
	short, _, cut := strings.Cut(r, ";")
	if m := fixRE.FindStringSubmatch(r); m != nil && cut {
		short += " (fix: " + m[1] + ")"
	}
	return short
}

func scalePrediction(p Prediction, k float64) Prediction {
	out := Prediction{X: p.X, Value: p.Value * k, Beyond: p.Beyond}
	if p.CI != nil {
		out.CI = &Interval{p.CI.Lo * k, p.CI.Hi * k}
	}
	return out
}

func rowLess(a, b Row) bool {
	rank := map[string]int{Feasible: 0, Unknown: 1, Infeasible: 2}
	if rank[a.Feasible] != rank[b.Feasible] {
		return rank[a.Feasible] < rank[b.Feasible]
	}
	if a.CostMonth != nil && b.CostMonth != nil && *a.CostMonth != *b.CostMonth {
		return *a.CostMonth < *b.CostMonth
	}
	if (a.CostMonth == nil) != (b.CostMonth == nil) {
		return a.CostMonth != nil
	}
	if a.Servers != b.Servers {
		return a.Servers < b.Servers
	}
	ga, gb := math.Inf(1), math.Inf(1)
	if a.RSSGiB != nil {
		ga = a.RSSGiB.Value
	}
	if b.RSSGiB != nil {
		gb = b.RSSGiB.Value
	}
	if ga != gb {
		return ga < gb
	}
	return a.Key.String() < b.Key.String()
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
