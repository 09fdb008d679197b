package advise

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
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
		"kernel memory per connection (GiB kernel): the machine's Slab growth per connection over the idle steps, which counts both ends of each loopback connection, so a server's share is at most that; \"not measured\" where no idle record carries it (records from before pushbench read it)",
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
