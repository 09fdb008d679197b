package advise

import (
	"fmt"
	"math"
	"time"
)

// sizer sizes one candidate for a workload, building its Row: the rules
// that rule it out, each constraint's server count, then the figures at
// the size chosen. It is used once, by one goroutine.
type sizer struct {
	w     Workload
	m     *Models
	set   Set
	row   Row
	files map[string]bool
	// The models sized on: chat's when the clients send.
	p99, cpuMsg *Model
}

// need is the servers one constraint needs, and what it is.
type need struct {
	servers float64
	what    string
}

// size sizes w on one candidate.
func size(w Workload, c candidate, set Set) Row {
	s := &sizer{w: w, m: c.m, set: set, files: map[string]bool{},
		row: Row{Key: c.m.Key, Feasible: Feasible, KernelGiB: KernelNotMeasured}}
	for _, u := range c.unknown {
		s.unknown(u)
	}
	s.browserRules()
	s.proxyRules()
	s.otherRules()
	if s.row.Feasible != Infeasible {
		s.pickModels()
		needs := append(s.p99Need(), s.cpuNeed()...)
		servers := 1.0
		for _, n := range needs {
			servers = max(servers, n.servers)
		}
		if s.row.Feasible != Infeasible {
			for _, n := range needs {
				mark := ""
				if n.servers == servers {
					mark = " (decides)"
				}
				s.row.Decided = append(s.row.Decided, fmt.Sprintf("%s: %s server(s)%s", n.what, num(max(1, n.servers)), mark))
			}
			s.fill(servers)
		}
	}
	s.row.Records = sorted(s.files)
	return s.row
}

func (s *sizer) cite(files ...string) {
	for _, f := range files {
		if f != "" {
			s.files[f] = true
		}
	}
}

// no rules the candidate out, saying why.
func (s *sizer) no(format string, args ...any) {
	s.row.Feasible = Infeasible
	s.row.Why = append(s.row.Why, fmt.Sprintf(format, args...))
}

// unknown says what was not measured; a feasible row becomes unknown.
func (s *sizer) unknown(why string) {
	s.row.Why = append(s.row.Why, why)
	if s.row.Feasible == Feasible {
		s.row.Feasible = Unknown
	}
}

func (s *sizer) sloUs() float64 { return float64(time.Duration(s.w.SLOP99).Microseconds()) }

// heldToConnLimit: a browser's HTTP/1.1 connection limit per origin
// holds this transport's streams (not WebSocket's, not HTTP/2's).
func (s *sizer) heldToConnLimit() bool {
	m := s.m
	return !m.Facts.Upgrades && m.Variant != "h2" && m.Variant != "h2c" && !m.Facts.NoBrowser
}

// browserRules: raw TCP does not run in a browser, and 6 or more tabs of
// HTTP/1.1 streams take every connection a browser gives an origin.
func (s *sizer) browserRules() {
	w, m := s.w, s.m
	switch {
	case w.Tabs == 0:
	case m.Facts.NoBrowser:
		s.no("browsers cannot open raw TCP connections")
	case !s.heldToConnLimit():
	case w.Tabs < BrowserConnsPerOrigin:
		s.row.Decided = append(s.row.Decided, fmt.Sprintf("browser: %d of its %d HTTP/1.1 connections per origin held by streams", w.Tabs, BrowserConnsPerOrigin))
	default:
		s.no("%d tabs per user over HTTP/1.1: a browser holds %d connections per origin across its tabs, so %d streams leave none for the page's other requests and streams past the %dth wait for one to close (C13; WebSocket and HTTP/2 are not held to it)", w.Tabs, BrowserConnsPerOrigin, w.Tabs, BrowserConnsPerOrigin)
		s.row.Decided = append(s.row.Decided, "browser six-connection limit (HTTP/1.1)")
		if len(s.set.BrowserLimit) > 0 {
			s.cite(s.set.BrowserLimit...)
		} else {
			s.row.Notes = append(s.row.Notes, "the browser limit is not in this evidence: docs/BROWSERS.md shows it measured (make bench-deploy)")
		}
	}
}

// proxyRules: through a proxy, the transport's own records there, else
// its plaintext family's, say whether it works; a proxy that holds
// messages back against the direct path is named.
func (s *sizer) proxyRules() {
	m, net := s.m, s.w.Network()
	if net != "loopback" {
		via := []*Models{m}
		if m.Network != net {
			via = Find(s.set.Models, m.Family, m.Implementation, net)
		}
		for _, p := range via {
			if p.P99 != nil || len(p.Failures) == 0 {
				if p != m {
					s.row.Decided = append(s.row.Decided, fmt.Sprintf("%s delivers through %s in its records (%s)", p.Transport, net, p.MinFile))
					s.cite(p.MinFile)
				}
				continue
			}
			f := p.Failures[0]
			s.no("%s through %s: %s (%s, %s)", p.Transport, net, shortReason(f.Reason), f.Scenario, f.File)
			s.cite(f.File)
		}
	}
	if m.Network == "loopback" || m.P99Min == 0 {
		return
	}
	for _, d := range Find(s.set.Models, m.Transport, m.Implementation, "loopback") {
		if d.P99Min > 0 && m.P99Min-d.P99Min >= max(20e3, d.P99Min/10) {
			s.row.Decided = append(s.row.Decided, fmt.Sprintf("%s holds messages back: lowest p99 %s through it, %s direct (%s, %s)", m.Network, usString(m.P99Min), usString(d.P99Min), m.MinFile, d.MinFile))
			s.cite(m.MinFile, d.MinFile)
		}
	}
}

// otherRules: resume, TLS handshakes, short poll's interval.
func (s *sizer) otherRules() {
	w, m := s.w, s.m
	if w.Resume && m.Resume == "none" {
		s.no("no resume: %s offers none for %s", m.Implementation, m.Transport)
	}
	if w.TLS && m.Handshake != nil {
		s.row.Notes = append(s.row.Notes, fmt.Sprintf("TLS handshakes cost the server %s of CPU each as measured (%s): reconnections are not in the workload, so not costed", usString(m.Handshake.Intercept), m.Handshake.Name))
		s.cite(m.Handshake.Files...)
	}
	if m.Facts.PollInterval && m.PollInterval > 0 {
		iv := m.PollInterval * 1e6
		s.row.Decided = append(s.row.Decided, fmt.Sprintf("short poll: latency is interval/2 on average and its p99 about the interval (%s measured)", usString(iv)))
		if m.P99 != nil {
			s.cite(m.P99.Files...)
		}
		if iv*0.99 > s.sloUs() {
			s.no("short poll's p99 is about its interval (%s measured) > SLO %s: a shorter interval costs more requests and was not measured", usString(iv), time.Duration(w.SLOP99))
		}
	}
}

// pickModels chooses the p99 and per-message CPU models: chat's when the
// clients send, if measured.
func (s *sizer) pickModels() {
	m := s.m
	s.p99, s.cpuMsg = m.P99, m.CPUMsg
	if s.w.ClientMsgs > 0 {
		if m.CPUChat == nil {
			s.unknown("client messages not measured (no chat records): upstream cost left out")
			return
		}
		s.p99, s.cpuMsg = m.P99Chat, m.CPUChat
	}
}

// p99Need is the servers the SLO needs: the most clients per broadcast
// at which the upper end of the p99 model stays within it, capped below a
// measured step that failed.
func (s *sizer) p99Need() []need {
	p99m, fan, slo := s.p99, s.w.FanoutConns(), time.Duration(s.w.SLOP99)
	if p99m == nil {
		s.unknown("p99 not measured (no broadcast records)")
		return nil
	}
	s.cite(p99m.Files...)
	perServer := p99m.SolveUpper(s.sloUs(), fan)
	what := fmt.Sprintf("p99 <= SLO %s up to %s clients per broadcast per server (%s model, upper end)", slo, num(math.Floor(perServer)), p99m.Name)
	if perServer >= fan {
		what = fmt.Sprintf("p99 <= SLO %s with all %s streams a broadcast reaches on one server (%s model, upper end)", slo, num(fan), p99m.Name)
	}
	for _, f := range s.m.Failures {
		if f.Kind == "broadcast" && f.StepParam == "clients" && f.X <= perServer {
			perServer = f.X - 1
			what = fmt.Sprintf("failed at %s clients per broadcast (%s: %s)", num(f.X), f.File, f.Reason)
			s.cite(f.File)
			break
		}
	}
	if perServer < 1 {
		s.no("p99 above the SLO %s at any size: %s predicted at the smallest (%s model)", slo, usString(p99m.Predict(0).Upper()), p99m.Name)
		return nil
	}
	return []need{{math.Ceil(fan / perServer), what}}
}

// cpuNeed is the servers the CPU needs: the idle model's cost per
// connection and the message model's per message, within each server's
// budget after its own (the idle model's intercept).
func (s *sizer) cpuNeed() []need {
	m, w := s.m, s.w
	var base, perConn, perMsg float64
	idle, msg := "not measured", "not measured"
	if m.CPUIdle != nil {
		base, perConn = m.CPUIdle.Intercept, m.CPUIdle.Slope
		idle = fmt.Sprintf("%.3g µs", perConn*1e6)
		s.cite(m.CPUIdle.Files...)
	} else {
		s.unknown("CPU per idle connection not measured (no idle records): CPU sized on messages only")
	}
	if s.cpuMsg != nil {
		if m.CPUIdle == nil {
			base = s.cpuMsg.Intercept
		}
		perMsg = s.cpuMsg.Slope
		msg = fmt.Sprintf("%.3g µs", perMsg*1e6)
		s.cite(s.cpuMsg.Files...)
	} else {
		s.unknown("CPU per message not measured (no broadcast records): CPU sized on idle connections only")
	}
	if m.CPUIdle == nil && s.cpuMsg == nil {
		return nil
	}
	budget := w.CoresPerServer * w.CPUTarget
	work := max(0, perConn)*w.Connections() + max(0, perMsg)*w.Delivered()
	head := budget - max(0, base)
	if head <= 0 {
		s.no("a server's own CPU (%.2f cores) exceeds the budget of %.2f", base, budget)
		return nil
	}
	return []need{{math.Ceil(work / head), fmt.Sprintf("CPU: %.3g cores of work (%s per connection-second, %s per message) within %.2f of %g cores per server", work, idle, msg, budget, w.CoresPerServer)}}
}

// fill writes the figures at servers: cores, memory, p99, egress, cost,
// and notes on predictions far past what was measured.
func (s *sizer) fill(servers float64) {
	w, m, row := s.w, s.m, &s.row
	conns := w.Connections()
	row.Servers = int(servers)
	row.Cores = servers * w.CoresPerServer
	row.ConnsPerCore = conns / row.Cores
	perConns := conns / servers
	far := func(p Prediction, what string, fitted float64, unit string) {
		if p.Far() {
			row.Notes = append(row.Notes, fmt.Sprintf("%s predicted %.0fx past the largest size measured (%s %s)", what, p.Beyond, num(fitted), unit))
		}
	}
	if s.p99 != nil {
		p := s.p99.Predict(w.FanoutConns() / servers)
		row.P99 = &p
		far(p, "p99", s.p99.XMax, "clients")
	}
	if m.KernelPerConnBytes > 0 {
		row.KernelGiB = fmt.Sprintf("<= %.2f", m.KernelPerConnBytes*perConns*servers/(1<<30))
	}
	if m.RSS != nil {
		p := m.RSS.Predict(perConns)
		g := scalePrediction(p, servers/(1<<30))
		row.RSSGiB = &g
		s.cite(m.RSS.Files...)
		far(p, "RSS", m.RSS.XMax, "connections")
	} else {
		row.Notes = append(row.Notes, "server RSS not measured (no idle records)")
	}
	if m.CPUIdle != nil {
		far(m.CPUIdle.Predict(perConns), "idle CPU", m.CPUIdle.XMax, "connections")
	}
	if s.cpuMsg != nil {
		far(s.cpuMsg.Predict(w.Delivered()/servers), "CPU per message", s.cpuMsg.XMax, "messages/s")
	}
	if m.BytesMsg != nil {
		far(m.BytesMsg.Predict(float64(w.Payload)), "bytes per message", m.BytesMsg.XMax, "payload bytes")
	}
	egress, egressKnown := egressPerSecond(w, m, perConns, servers)
	if egressKnown {
		gb := egress * HoursPerMonth * 3600 / 1e9
		row.EgressGBMonth = &gb
		s.cite(m.BytesMsg.Files...)
		if m.BytesIdle != nil {
			s.cite(m.BytesIdle.Files...)
		}
	}
	row.CostMonth, row.CostWhy = cost(w, *row, egressKnown)
}
