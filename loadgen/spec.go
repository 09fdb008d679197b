package loadgen

import (
	"fmt"
	"time"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/target"
)

// Spec is a Config that crosses a process boundary: what a coordinator
// sends a worker. Durations are nanoseconds in JSON.
type Spec struct {
	Transport    string        `json:"transport"`
	BaseURL      string        `json:"base_url,omitempty"`
	RawAddr      string        `json:"raw_addr,omitempty"`
	PollInterval time.Duration `json:"poll_interval,omitempty"`
	Timeout      time.Duration `json:"timeout,omitempty"`
	ReadTimeout  time.Duration `json:"read_timeout,omitempty"`
	Since        int64         `json:"since"`
	ConnectRate  float64       `json:"connect_rate,omitempty"`
	Reconnect    time.Duration `json:"reconnect,omitempty"`
	Backoff      bool          `json:"backoff,omitempty"`
	MaxReconnect time.Duration `json:"max_reconnect,omitempty"`
	SSEDefault   time.Duration `json:"sse_default,omitempty"`
	Upstream     bool          `json:"upstream,omitempty"`
	Lifetime     time.Duration `json:"lifetime,omitempty"`
	SlowFraction float64       `json:"slow_fraction,omitempty"`
	SlowDelay    time.Duration `json:"slow_delay,omitempty"`
	// TLSCert is the server's certificate (PEM) for TLS variants: clients
	// trust only it. NoResumption turns session resumption off (every
	// reconnect a full handshake); by default each client resumes, as a
	// browser does.
	TLSCert      string `json:"tls_cert,omitempty"`
	NoResumption bool   `json:"no_resumption,omitempty"`
	// HTTP2 makes HTTP clients speak HTTP/2 (h2 with TLSCert, else h2c),
	// StreamsPerConn of them sharing one connection (100).
	HTTP2          bool `json:"http2,omitempty"`
	StreamsPerConn int  `json:"streams_per_conn,omitempty"`
	// FirstClient is the run-wide index of this worker's first client, so
	// workers on one host spread over distinct source addresses.
	FirstClient int `json:"first_client,omitempty"`
	// ClientMode is Config.ClientMode: "reactor" or "" (goroutines).
	ClientMode string `json:"client_mode,omitempty"`
	// Target, when set, is the target's endpoint for Transport: clients
	// subscribe to it with the target client instead of the transport's.
	Target *TargetSpec `json:"target,omitempty"`
}

// TargetSpec is one transport of a target, as clients subscribe to it.
type TargetSpec struct {
	Name     string                 `json:"name"`
	Endpoint scenarios.Endpoint     `json:"endpoint"`
	Vars     scenarios.TemplateVars `json:"vars"`
}

// Config turns the spec into a generator configuration.
func (s Spec) Config() (Config, error) {
	tr, err := transports.Lookup(s.Transport)
	if err != nil {
		return Config{}, err
	}
	if s.SlowFraction < 0 || s.SlowFraction > 1 {
		return Config{}, fmt.Errorf("slow_fraction %v: allowed 0 to 1", s.SlowFraction)
	}
	if s.StreamsPerConn < 0 || s.StreamsPerConn > 1<<20 {
		return Config{}, fmt.Errorf("streams_per_conn %d: allowed 0 (100) to %d", s.StreamsPerConn, 1<<20)
	}
	if m := s.ClientMode; m != "" && m != ModeGoroutine && m != ModeReactor {
		return Config{}, fmt.Errorf("client_mode %.20q: allowed %q, %q or empty (goroutines)", m, ModeReactor, ModeGoroutine)
	}
	cfg := Config{
		Transport: tr,
		Options: transports.ClientOptions{BaseURL: s.BaseURL, RawAddr: s.RawAddr, PollInterval: s.PollInterval,
			Timeout: s.Timeout, ReadTimeout: s.ReadTimeout, HTTP2: s.HTTP2},
		Since: s.Since, ConnectRate: s.ConnectRate, Reconnect: s.Reconnect, Backoff: s.Backoff,
		MaxReconnect: s.MaxReconnect, SSEDefault: s.SSEDefault, Upstream: s.Upstream, Lifetime: s.Lifetime,
		FirstClient: s.FirstClient, Resumption: !s.NoResumption, StreamsPerConn: s.StreamsPerConn,
		ClientMode: s.ClientMode,
	}
	if t := s.Target; t != nil {
		ep, vars := t.Endpoint, t.Vars
		probe, err := target.NewClient(ep, vars, transports.ClientOptions{})
		if err != nil {
			return Config{}, fmt.Errorf("target %s, %s: %w", t.Name, s.Transport, err)
		}
		cfg.Target = t.Name
		// The transport's own stream and poll are pushbench's wire, not the
		// target's: the reactor reads a target only through its client.
		cfg.Transport.Stream, cfg.Transport.Poll = nil, nil
		if sc, ok := probe.(transports.StreamClient); ok {
			if kind, ok := sc.StreamHandshake(); ok {
				cfg.Transport.Stream = &transports.Stream{Handshake: kind, NewParser: func([]byte) (transports.StreamParser, error) {
					return nil, fmt.Errorf("target %s: its stream is read by the parser its client makes", t.Name)
				}}
			}
		}
		cfg.Transport.NewClient = func(opts transports.ClientOptions) (transports.Client, error) {
			return target.NewClient(ep, vars, opts)
		}
	}
	if tr.TLS() {
		if s.TLSCert == "" {
			return Config{}, fmt.Errorf("%s is TLS but the spec has no tls_cert to trust", s.Transport)
		}
		if cfg.Options.TLS, err = transports.ClientTLS([]byte(s.TLSCert)); err != nil {
			return Config{}, err
		}
	}
	return cfg, nil
}
