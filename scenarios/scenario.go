// Package scenarios defines what a run measures. A scenario is data: a JSON
// file (built-ins live in builtin/, users add their own anywhere) validated
// with errors that name the file, the field and what is allowed.
package scenarios

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of scenario.
const (
	Broadcast = "broadcast" // the server publishes to every client
	Idle      = "idle"      // clients connected, nothing published
	Churn     = "churn"     // broadcast while clients disconnect and reconnect
	Chat      = "chat"      // every client sends upstream at Rate; the server broadcasts to all
	Browser   = "browser"   // the server publishes to streams in headless Chromium pages (Browser settings)
)

// Scenario is one question a team asks, as a measurable plan. At most one
// of Clients, Rate and Payload lists several values: that one is stepped.
type Scenario struct {
	Name       string    `json:"name"`
	Question   string    `json:"question"`
	Kind       string    `json:"kind"`
	Transports []string  `json:"transports,omitempty"` // default: all
	Clients    []int     `json:"clients"`
	Rate       []float64 `json:"rate,omitempty"`    // messages per second (chat: per client, upstream)
	Payload    []int     `json:"payload,omitempty"` // bytes
	// Binary publishes binary payloads (bytes that are not text) instead
	// of text: raw in WebSocket binary frames and raw TCP frames,
	// base64-encoded in SSE events and poll answers. Broadcast and churn
	// scenarios only (the server publishes).
	Binary       bool     `json:"binary,omitempty"`
	Burst        *Burst   `json:"burst,omitempty"`
	Warmup       Duration `json:"warmup"`
	Duration     Duration `json:"duration"`
	PollInterval Duration `json:"poll_interval,omitempty"` // shortpoll (1s)
	ConnectRate  float64  `json:"connect_rate,omitempty"`  // clients per second (1000)
	Lifetime     Duration `json:"lifetime,omitempty"`      // churn: mean connection lifetime
	SLO          Duration `json:"slo,omitempty"`           // p99 target (500ms)
	StopAtSLO    bool     `json:"stop_at_slo,omitempty"`   // stop stepping a transport past the SLO or at loss
	Repetitions  int      `json:"repetitions,omitempty"`   // 1
	// Ring is the server's log capacity in messages (100000, serve's
	// default). It bounds how far back a client can resume, and it is most
	// of the server's live heap, so it shapes GC pauses: every transport of
	// a scenario gets the same ring.
	Ring int `json:"ring,omitempty"`
	// RingBytes bounds the same log in bytes (0: serve's default, 256
	// MiB): the oldest messages leave first when it is full.
	RingBytes int64 `json:"ring_bytes,omitempty"`
	// Fault injected between load generator and server during the window.
	Fault *Fault `json:"fault,omitempty"`
	// Server and client settings that faults make interesting; zero keeps
	// pushbench serve's and the load generator's defaults.
	Heartbeat   Duration `json:"heartbeat,omitempty"`    // server keep-alive on idle push connections (15s)
	HoldTimeout Duration `json:"hold_timeout,omitempty"` // long-poll hold (30s)
	Queue       int      `json:"queue,omitempty"`        // push backlog before a slow consumer is cut (1024)
	ReadTimeout Duration `json:"read_timeout,omitempty"` // client: a silent connection is dead after this (45s)
	// Reconnect is the clients' reconnect policy (default: 100 ms, no
	// backoff; SSE clients honour retry:).
	Reconnect *Reconnect `json:"reconnect,omitempty"`
	// TLSResumption: TLS variants' clients resume their session on
	// reconnect (default true, as browsers do); false makes every
	// handshake full, for the comparison.
	TLSResumption *bool `json:"tls_resumption,omitempty"`
	// StreamsPerConn is how many HTTP/2 clients of one load generator
	// share a connection (100, a browser's stream limit); MaxStreams the
	// server's limit of concurrent streams per connection (250, Go's).
	StreamsPerConn int `json:"streams_per_conn,omitempty"`
	MaxStreams     int `json:"max_streams,omitempty"`
	// ClientMode is how the load generator holds its clients: "" or
	// "reactor" (held connections of the transports whose descriptor has a
	// stream parser, read by a few epoll loops, and the clients of those
	// whose descriptor has a poller, run in the same loops; the others, and scenarios
	// the reactor cannot serve, fall back to goroutines and the record says
	// why), or "goroutine" (one goroutine per client in the transport's own
	// client: the reference mode).
	ClientMode string `json:"client_mode,omitempty"`
	// Suite names the suite of a scenario left out of the default one
	// (one of Suites); pushbench run --scenario SUITE runs it (make
	// bench-faults, make bench-scale).
	Suite string `json:"suite,omitempty"`
	// Browser configures a browser scenario (kind "browser").
	Browser *BrowserSettings `json:"browser,omitempty"`
	// Quick overrides fields for --quick (CI): same question, smaller.
	Quick *Scenario `json:"quick,omitempty"`
	// Source is where the scenario came from (file name or "built-in").
	Source string `json:"-"`
}

// Protocols a browser scenario can ask of the target.
const (
	HTTP1 = "http/1.1" // plaintext, straight to the server
	HTTP2 = "h2"       // TLS with ALPN h2 (HTTP transports only)
)

// BrowserSettings are a browser scenario's pages: Tabs pages of Streams
// streams each, measured once per protocol. Clients is Tabs x Streams.
type BrowserSettings struct {
	Tabs      int      `json:"tabs"`
	Streams   int      `json:"streams"`             // per tab
	Protocols []string `json:"protocols,omitempty"` // default ["http/1.1"]
	// OpenTimeout is how long the streams may take to open before the
	// window starts (2s); one still waiting then is measured waiting.
	OpenTimeout Duration `json:"open_timeout,omitempty"`
}

// Limits of a browser scenario: browser scale, a few tabs of tens of
// streams.
const (
	MaxTabs    = 8
	MaxStreams = 100
)

// Fault kinds.
const (
	FaultReset      = "reset"       // every Every, every connection through the proxy is closed
	FaultStall      = "stall"       // every Every, data stops for For, then the stalled connections close
	FaultIdleClose  = "idle-close"  // the proxy closes connections idle for Idle
	FaultSlowReader = "slow-reader" // Fraction of the clients take Delay to process each message
	FaultRestart    = "restart"     // every Every, the server is killed (SIGKILL) and started again
)

// Fault is a failure injected through the proxy.
type Fault struct {
	Type     string   `json:"type"`
	Every    Duration `json:"every,omitempty"`
	For      Duration `json:"for,omitempty"`
	Idle     Duration `json:"idle,omitempty"`
	Fraction float64  `json:"fraction,omitempty"`
	Delay    Duration `json:"delay,omitempty"`
}

// Reconnect is how clients reconnect after a disconnect.
type Reconnect struct {
	Delay      Duration `json:"delay,omitempty"`       // first delay (100ms)
	Backoff    bool     `json:"backoff,omitempty"`     // double per consecutive failure
	Max        Duration `json:"max,omitempty"`         // backoff cap (5s)
	SSEDefault Duration `json:"sse_default,omitempty"` // SSE clients' delay before any retry: (EventSource: ~3s)
}

// Burst publishes Size messages at once every Every.
type Burst struct {
	Size  int      `json:"size"`
	Every Duration `json:"every"`
}

// Duration is a time.Duration written as a string ("1.5s") in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "1.5s"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string like \"1.5s\" or \"500ms\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string like \"1.5s\" or \"500ms\", got %q", s)
	}
	d.Duration = v
	return nil
}

// Step is one point of a scenario: the values used for it.
type Step struct {
	Index   int
	Param   string // the stepped parameter: clients, rate, payload; "" when none
	Clients int
	Rate    float64
	Payload int
}

// Value is the stepped parameter's value.
func (s Step) Value() float64 {
	switch s.Param {
	case "clients":
		return float64(s.Clients)
	case "rate":
		return s.Rate
	case "payload":
		return float64(s.Payload)
	}
	return 0
}

// Steps expands the stepped parameter.
func (sc Scenario) Steps() []Step {
	base := Step{Clients: sc.Clients[0], Rate: first(sc.Rate), Payload: firstInt(sc.Payload)}
	var out []Step
	switch {
	case len(sc.Clients) > 1:
		for i, v := range sc.Clients {
			s := base
			s.Index, s.Param, s.Clients = i, "clients", v
			out = append(out, s)
		}
	case len(sc.Rate) > 1:
		for i, v := range sc.Rate {
			s := base
			s.Index, s.Param, s.Rate = i, "rate", v
			out = append(out, s)
		}
	case len(sc.Payload) > 1:
		for i, v := range sc.Payload {
			s := base
			s.Index, s.Param, s.Payload = i, "payload", v
			out = append(out, s)
		}
	default:
		out = []Step{base}
	}
	return out
}

func first(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

func firstInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// Suites are the suites a scenario may belong to: "" is the default suite
// (make bench); "faults" injects failures; "scale" goes to 100,000
// connections on one machine; "cluster" needs a cluster (deploy/kubernetes);
// "browser" drives headless Chromium (Debian's chromium package); "tls"
// compares TLS and HTTP/2 variants with their plaintext transports;
// "targets" runs against real servers (make bench-targets) and "stacks"
// against the reference servers of each stack (make bench-stacks).
var Suites = []string{"", "faults", "scale", "cluster", "browser", "tls", "targets", "stacks"}
