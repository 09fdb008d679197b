package advise

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pushbench/pushbench/results"
)

// Evidence is one record and where it was read from (its file under an
// output folder's records/), so that every figure can cite it.
type Evidence struct {
	Record results.Record
	File   string
}

// Key is what a set of models describes: a transport as one
// implementation served it, in one variant, over one network (a real
// proxy's network names the proxy and its form).
type Key struct {
	Transport      string `json:"transport"`
	Family         string `json:"family"`
	Variant        string `json:"variant,omitempty"` // tls, h2, h2c; "" for plaintext HTTP/1.1
	Implementation string `json:"implementation"`    // "pushbench", "nchan 1.3.6"
	Network        string `json:"network"`
}

func (k Key) String() string {
	s := k.Transport
	if k.Implementation != "pushbench" {
		s += " (" + k.Implementation + ")"
	}
	if k.Network != "loopback" && k.Network != "" {
		s += " via " + k.Network
	}
	return s
}

// Model is one fitted figure: Y against X, with its units.
type Model struct {
	Name string `json:"name"`
	// X and Y say what was fitted, with units ("connections", "server RSS
	// bytes").
	X string `json:"x"`
	Y string `json:"y"`
	Fit
}

// Failure is a measured step that did not qualify: a size at which the
// transport lost messages, failed or could not be served.
type Failure struct {
	Scenario  string  `json:"scenario"`
	Kind      string  `json:"kind"`
	StepParam string  `json:"step_param,omitempty"`
	X         float64 `json:"x"` // clients
	Reason    string  `json:"reason"`
	File      string  `json:"file"`
}

// Models are the fitted cost models of one Key. A nil model was not
// measured in the evidence.
type Models struct {
	Key
	Facts results.TransportFacts `json:"facts"`
	// Resume is how the implementation's clients resume ("none" when it
	// offers no resume).
	Resume string `json:"resume,omitempty"`
	// RSS: server resident bytes against idle connections (the slope is
	// the memory per connection, the intercept the process without them).
	RSS *Model `json:"rss,omitempty"`
	// KernelPerConn is the kernel's memory per connection, which RSS does
	// not show, as text: the median over the idle records of the machine's
	// Slab growth per connection (both ends of a loopback connection, so
	// an upper bound for a server), or KernelNotMeasured.
	// KernelPerConnBytes is the figure (0 when not measured).
	KernelPerConn      string  `json:"kernel_per_conn"`
	KernelPerConnBytes float64 `json:"kernel_per_conn_bytes,omitempty"`
	// CPUIdle: server cores busy against idle connections.
	CPUIdle *Model `json:"cpu_idle,omitempty"`
	// CPUMsg: server cores busy against messages delivered per second
	// (broadcast steps: latency, fanout, throughput, payload).
	CPUMsg *Model `json:"cpu_msg,omitempty"`
	// CPUChat: the same in chat steps, where clients also send.
	CPUChat *Model `json:"cpu_chat,omitempty"`
	// BytesMsg: wire bytes (both directions) per delivered message
	// against the payload's bytes (text payloads).
	BytesMsg *Model `json:"bytes_msg,omitempty"`
	// BytesIdle: wire bytes per idle connection-minute (heartbeats, poll
	// requests), a mean.
	BytesIdle *Model `json:"bytes_idle,omitempty"`
	// EgressShare is the share of wire bytes that went from server to
	// clients (the median over the records of BytesMsg and BytesIdle).
	EgressShare float64 `json:"egress_share"`
	// Handshake: server CPU microseconds per TLS handshake, a mean.
	Handshake *Model `json:"handshake,omitempty"`
	// P99: p99 latency in microseconds against the clients each broadcast
	// reaches.
	P99 *Model `json:"p99,omitempty"`
	// P99Chat: p99 in chat steps against clients.
	P99Chat *Model `json:"p99_chat,omitempty"`
	// Failures are the steps that did not qualify.
	Failures []Failure `json:"failures,omitempty"`
	// P99Min is the lowest p99 (µs) of the qualifying broadcast records,
	// MinFile the record it came from: the floor's is the lowest any
	// transport reached on the machine measured.
	P99Min  float64 `json:"p99_min_us,omitempty"`
	MinFile string  `json:"p99_min_file,omitempty"`
	// PollInterval is short poll's interval as measured, in seconds.
	PollInterval float64 `json:"poll_interval_s,omitempty"`
}

// KernelNotMeasured is what the kernel's memory per socket reads as: no
// record carries it.
const KernelNotMeasured = "not measured"

// All are the models of m that were measured, in a fixed order.
func (m *Models) All() []*Model {
	var out []*Model
	for _, x := range []*Model{m.RSS, m.CPUIdle, m.CPUMsg, m.CPUChat, m.BytesMsg, m.BytesIdle, m.Handshake, m.P99, m.P99Chat} {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// KeyOf is the Key of a record.
func KeyOf(r results.Record) Key {
	f, _ := results.FactsOf(r)
	impl := results.ImplementationOf(r)
	name := impl.Name
	if impl.Name != "pushbench" && impl.Version != "" {
		name += " " + impl.Version
	}
	net := r.Params.Network
	if net == "" {
		net = "loopback"
	}
	return Key{Transport: r.Transport, Family: f.Family(r.Transport), Variant: f.Variant, Implementation: name, Network: net}
}

// Set is every model fitted from a body of evidence: what Rank ranks a
// workload against, and (as JSON) what a page can embed to do the same.
type Set struct {
	Models []*Models `json:"models"`
	// BrowserLimit are the browser-measured HTTP/1.1 records in which a
	// stream waited for another's connection: the per-origin connection
	// limit, observed.
	BrowserLimit []string `json:"browser_limit,omitempty"`
}

// Build fits every model of every Key in ev. Records measured in a
// browser, interrupted or failed records, and figures a record marks not
// measured are left out of the fits; failed steps are kept as Failures.
func Build(ev []Evidence) Set {
	var set Set
	by := map[Key][]Evidence{}
	var keys []Key
	for _, e := range ev {
		if e.Record.Client != results.ClientLoadgen {
			if b := e.Record.Browser; b != nil && b.Protocol == "http/1.1" && len(b.Waited()) > 0 {
				set.BrowserLimit = append(set.BrowserLimit, e.File)
			}
			continue
		}
		k := KeyOf(e.Record)
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], e)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		set.Models = append(set.Models, build(k, by[k]))
	}
	return set
}

func build(k Key, ev []Evidence) *Models {
	m := &Models{Key: k, KernelPerConn: KernelNotMeasured}
	var pts points
	reps := map[runRep]int{}
	for _, e := range ev {
		r := e.Record
		m.Facts, _ = results.FactsOf(r)
		m.Resume = results.ImplementationOf(r).Resume
		if r.Interrupted {
			continue
		}
		if r.Facts != nil && r.Facts.PollInterval || m.Facts.PollInterval {
			if d, err := parseSeconds(r.Params.PollInterval); err == nil {
				m.PollInterval = d
			}
		}
		if why := r.Disqualified(); why != "" {
			m.Failures = append(m.Failures, Failure{r.Scenario, r.Kind, r.StepParam, float64(r.Params.Clients), why, e.File})
			continue
		}
		// A repetition is one run's: runs pooled from several folders
		// do not share their repetitions' fits.
		rep, ok := reps[runRep{r.RunID, r.Repetition}]
		if !ok {
			rep = len(reps) + 1
			reps[runRep{r.RunID, r.Repetition}] = rep
		}
		pts.add(m, e, rep)
	}
	if len(pts.p99Fan) == 0 {
		pts.p99Fan = pts.p99Lat
	}
	m.RSS = model("rss", "idle connections", "server RSS bytes", Linear, Ratio, pts.rss)
	m.CPUIdle = model("cpu-idle", "idle connections", "server cores busy", Linear, Ratio, pts.cpuIdle)
	m.CPUMsg = model("cpu-msg", "messages delivered per second", "server cores busy", Linear, Ratio, pts.cpuMsg)
	m.CPUChat = model("cpu-chat", "messages delivered per second (chat)", "server cores busy", Linear, Ratio, pts.cpuChat)
	m.BytesMsg = model("bytes-msg", "payload bytes", "wire bytes per delivered message", Linear, Ratio, pts.bytesMsg)
	m.BytesIdle = model("bytes-idle", "idle connections", "wire bytes per connection-minute", Mean, Mean, pts.bytesIdle)
	m.Handshake = model("handshake", "clients", "server CPU µs per TLS handshake", Mean, Mean, pts.hs)
	m.P99 = model("p99", "clients per broadcast", "p99 latency µs", Piecewise, Mean, pts.p99Fan)
	m.P99Chat = model("p99-chat", "clients (chat)", "p99 latency µs", Piecewise, Mean, pts.p99Chat)
	if len(pts.shares) > 0 {
		sort.Float64s(pts.shares)
		m.EgressShare = pts.shares[len(pts.shares)/2]
	}
	if n := len(pts.kernel); n > 0 {
		sort.Float64s(pts.kernel)
		m.KernelPerConnBytes = pts.kernel[n/2]
		m.KernelPerConn = fmt.Sprintf("at most %.1f KiB (the machine's Slab growth per idle connection, both ends on loopback; median of %d records)", m.KernelPerConnBytes/1024, n)
	}
	sort.Slice(m.Failures, func(i, j int) bool { return m.Failures[i].X < m.Failures[j].X })
	return m
}

// points are the measurements each model is fitted on, gathered from the
// qualifying records of one key.
type points struct {
	rss, cpuIdle, cpuMsg, cpuChat, bytesMsg, bytesIdle, hs, p99Fan, p99Lat, p99Chat []Point
	shares                                                                          []float64 // server-to-client share of the wire bytes
	kernel                                                                          []float64 // Slab growth per connection, idle steps
}

// add takes record e's measurements (repetition rep) as its kind gives
// them, and keeps the lowest p99 of a broadcast in m.
func (p *points) add(m *Models, e Evidence, rep int) {
	r := e.Record
	clients := float64(r.Params.Clients)
	window := r.Delivery.WindowS
	cores := func() (float64, bool) {
		if !r.Server.Measured("cpu") || window <= 0 {
			return 0, false
		}
		return r.Server.CPUSeconds / window, true
	}
	share := func() {
		if t := r.Wire.BytesIn + r.Wire.BytesOut; t > 0 {
			p.shares = append(p.shares, float64(r.Wire.BytesIn)/float64(t))
		}
	}
	switch {
	case r.Kind == "idle" && clients > 0:
		if r.Server.Measured("rss") && r.Server.RSSBytes > 0 {
			before := float64(r.Server.RSSBytes) - r.Server.RSSPerConn*clients
			p.rss = append(p.rss, Point{0, before, rep, e.File}, Point{clients, float64(r.Server.RSSBytes), rep, e.File})
		}
		if c, ok := cores(); ok {
			p.cpuIdle = append(p.cpuIdle, Point{clients, c, rep, e.File})
		}
		if r.Wire.BytesPerConnMin > 0 {
			p.bytesIdle = append(p.bytesIdle, Point{clients, r.Wire.BytesPerConnMin, rep, e.File})
			share()
		}
		if r.Server.KernelSlabPerConn > 0 {
			p.kernel = append(p.kernel, r.Server.KernelSlabPerConn)
		}
	case r.Kind == "broadcast" && r.Params.BurstSize == 0 && r.Params.Fault == "":
		// CPU per message at the payloads of the rate and fanout
		// steps; the payload steps (to 64 KiB) fit bytes, not CPU.
		if c, ok := cores(); ok && r.Delivery.DeliveredPerS > 0 && r.StepParam != "payload" && !r.Params.Binary {
			p.cpuMsg = append(p.cpuMsg, Point{r.Delivery.DeliveredPerS, c, rep, e.File})
		}
		if r.Wire.BytesPerMessage > 0 && !r.Params.Binary {
			p.bytesMsg = append(p.bytesMsg, Point{float64(r.Params.Payload), r.Wire.BytesPerMessage, rep, e.File})
			share()
		}
		if r.Latency.Count > 0 {
			if v := float64(r.Latency.P99); m.P99Min == 0 || v < m.P99Min {
				m.P99Min, m.MinFile = v, e.File
			}
			switch r.StepParam {
			case "clients":
				p.p99Fan = append(p.p99Fan, Point{clients, float64(r.Latency.P99), rep, e.File})
			case "":
				p.p99Lat = append(p.p99Lat, Point{clients, float64(r.Latency.P99), rep, e.File})
			}
		}
	case r.Kind == "chat":
		if c, ok := cores(); ok && r.Delivery.DeliveredPerS > 0 {
			p.cpuChat = append(p.cpuChat, Point{r.Delivery.DeliveredPerS, c, rep, e.File})
		}
		if r.Latency.Count > 0 {
			p.p99Chat = append(p.p99Chat, Point{clients, float64(r.Latency.P99), rep, e.File})
		}
	}
	if r.TLS != nil && r.TLS.ServerCPUPerUs > 0 && r.TLS.Full+r.TLS.Resumed > 0 {
		p.hs = append(p.hs, Point{clients, r.TLS.ServerCPUPerUs, rep, e.File})
	}
}

// runRep is one run's repetition.
type runRep struct {
	run string
	rep int
}

// model fits points into a named Model, or nil without points.
func model(name, x, y string, shape, single Shape, points []Point) *Model {
	f, ok := FitPoints(shape, single, points)
	if !ok {
		return nil
	}
	return &Model{Name: name, X: x, Y: y, Fit: f}
}

// parseSeconds reads a Go duration as seconds.
func parseSeconds(s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	d, err := time.ParseDuration(s)
	return d.Seconds(), err
}

// Find returns the models whose Key matches: transport, implementation
// and network ("" matches any).
func Find(all []*Models, transport, implementation, network string) []*Models {
	var out []*Models
	for _, m := range all {
		if (transport == "" || m.Transport == transport) && (implementation == "" || m.Implementation == implementation) &&
			(network == "" || strings.EqualFold(m.Network, network)) {
			out = append(out, m)
		}
	}
	return out
}
