// Package serve is the server process: what `pushbench serve` runs. It hosts
// the server halves of the transports together: every HTTP transport on one
// mux at its path, raw-TCP transports on their own listener, one shared log,
// the open-loop publisher (it runs, on this process's clock, the schedule
// the harness sends to /control/publish: rate, count and start instant are
// the harness's), POST /publish for external publishers and GET /stats for
// the harness.
package serve

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/msglog"
)

// Config configures a Service; zero fields take defaults.
type Config struct {
	Addr       string   // HTTP listen address (127.0.0.1:8080)
	RawAddr    string   // raw-TCP listen address (127.0.0.1:8081)
	Ring       int      // log capacity in messages (100000)
	RingBytes  int64    // log capacity in bytes (256 MiB): the oldest messages leave first
	FirstSeq   int64    // seq of the first message (1); a restarted server continues its sequence
	Transports []string // names to serve (all registered)
	MaxPublish int64    // largest POST /publish body in bytes (1 MiB)
	// MaxConns caps the connections open at once on both listeners
	// (250000); one more is refused (HTTP: a 503 naming the cap).
	MaxConns int
	// BodyTimeout is how long a request body may take to arrive (10s):
	// a body trickled slower is cut.
	BodyTimeout time.Duration
	// BodyBytes bounds the publish bodies being read at once, in bytes
	// (64 MiB, at least MaxPublish); a publish past it is refused with 503.
	BodyBytes int64
	// Control enables /control/publish (run a Schedule) and
	// /control/status, used by the harness. Off for plain serving.
	Control bool
	// ControlAddr, when set, serves the control endpoints on a listener of
	// their own instead of Addr: with ReusePort several processes share
	// Addr, and each must still be reached alone.
	ControlAddr string
	// ControlToken, when set, is required of every control request
	// (Authorization: Bearer); refusals are logged to ControlLog
	// (rate-limited). ControlTLS, when set, serves ControlAddr over TLS.
	ControlToken controlplane.Token
	ControlLog   io.Writer
	ControlTLS   *tls.Config
	// ReusePort lets several processes listen on Addr and RawAddr at once
	// (SO_REUSEPORT): the kernel spreads new connections over them.
	ReusePort bool
	// TLSAddr, when set, serves the same mux over TLS 1.3 there (HTTPS,
	// WSS and, by ALPN, HTTP/2); RawTLSAddr the raw-TCP transports over
	// TLS. Both use TLSCert and TLSKey (PEM; a certificate is made at
	// start when they are empty, see CertPEM) and seal session tickets
	// with TicketKey when set (32 bytes: several processes sharing a port
	// must share it, or resumption fails across them).
	TLSAddr    string
	RawTLSAddr string
	TLSCert    []byte
	TLSKey     []byte
	TicketKey  []byte
	// Relay, when set, publishes every message of the control schedules
	// through another server's API as well (RelaySpec): the process is
	// then a target's open-loop publisher.
	Relay *RelaySpec
	// H2C lets the plain listener speak HTTP/2 in cleartext with prior
	// knowledge too (on when an h2c variant is served).
	H2C bool
	// MaxStreams is the most concurrent streams per HTTP/2 connection
	// (0: Go's default, 250).
	MaxStreams int
	Server     transports.ServerOptions
}

// Defaults of Config's bounds.
const (
	DefaultRingBytes = 256 << 20
	DefaultMaxConns  = 250000
)

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.RawAddr == "" {
		c.RawAddr = "127.0.0.1:8081"
	}
	if c.Ring <= 0 {
		c.Ring = 100000
	}
	if c.MaxPublish <= 0 {
		c.MaxPublish = 1 << 20
	}
	if c.RingBytes <= 0 {
		c.RingBytes = DefaultRingBytes
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = 10 * time.Second
	}
	if c.BodyBytes <= 0 {
		c.BodyBytes = 64 << 20
	}
	c.BodyBytes = max(c.BodyBytes, c.MaxPublish)
	if len(c.Transports) == 0 {
		for _, t := range transports.Bases() {
			c.Transports = append(c.Transports, t.Name)
		}
	}
	c.Server = c.Server.WithDefaults()
	return c
}

// Service is a running set of transport servers. Its methods are safe for
// concurrent use.
type Service struct {
	cfg        Config
	Log        *msglog.Log
	servers    map[string]transports.Server
	order      []transports.Transport
	http       *http.Server
	httpLn     net.Listener
	rawLn      net.Listener
	controlLn  net.Listener // the control endpoints' own listener (Config.ControlAddr)
	controlSrv *http.Server
	tlsSrv     *http.Server // the mux over TLS (Config.TLSAddr)
	tlsLn      net.Listener
	rawTLSLn   net.Listener
	certPEM    []byte
	conns      *connCap
	bodies     *bodyBudget
	wg         sync.WaitGroup
	errs       chan error
	relay      *Relay          // Config.Relay's, or nil
	closing    context.Context // done when Close starts
	close      context.CancelFunc
}

// Start listens and serves every configured transport. Stop it with Close.
func Start(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if cfg.ControlTLS != nil && cfg.ControlAddr == "" {
		return nil, errors.New("control over TLS needs a control address of its own (--control-addr)")
	}
	s := &Service{cfg: cfg, Log: msglog.NewFrom(cfg.Ring, cfg.FirstSeq), servers: map[string]transports.Server{}, errs: make(chan error, 4),
		conns: &connCap{limit: int64(cfg.MaxConns)}, bodies: &bodyBudget{limit: cfg.BodyBytes}}
	s.Log.SetBudget(cfg.RingBytes)
	s.closing, s.close = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	for _, name := range cfg.Transports {
		t, err := transports.Lookup(name)
		if err != nil {
			s.closeServers()
			return nil, err
		}
		// A variant is its base's server behind another listener (TLS) or
		// protocol (h2c): one server half, counted under the base's name.
		if t.Variant == transports.VariantH2C {
			s.cfg.H2C = true
		}
		if addr, flag := tlsListenerFor(t, cfg); t.TLS() && addr == "" {
			s.closeServers()
			return nil, fmt.Errorf("%s needs a TLS listener: give %s", name, flag)
		}
		if t.Base != "" {
			if t, err = transports.Lookup(t.Base); err != nil {
				s.closeServers()
				return nil, err
			}
		}
		if _, dup := s.servers[t.Name]; dup {
			continue
		}
		name = t.Name
		srv, err := t.NewServer(s.Log, cfg.Server)
		if err != nil {
			s.closeServers()
			return nil, fmt.Errorf("failed to start %s: %w", name, err)
		}
		s.servers[name], s.order = srv, append(s.order, t)
		if t.Path != "" {
			mux.Handle(t.Path, srv)
		}
	}
	mux.HandleFunc("/publish", s.publish)
	mux.HandleFunc("/stats", s.stats)
	mux.HandleFunc("/{$}", s.index)
	control := mux
	if cfg.ControlAddr != "" {
		control = http.NewServeMux()
	}
	if cfg.Control {
		guard := &controlplane.Guard{Token: cfg.ControlToken, Log: cfg.ControlLog, Prefix: "pushbench serve"}
		control.Handle("/control/publish", guard.Wrap(http.HandlerFunc(s.controlPublish)))
		control.Handle("/control/status", guard.Wrap(http.HandlerFunc(s.controlStatus)))
	}
	if err := s.listen(mux); err != nil {
		s.closeServers()
		return nil, err
	}
	if err := s.listenTLS(mux); err != nil {
		s.http.Close()
		s.closeServers()
		return nil, err
	}
	if err := s.listenControl(control); err != nil {
		s.http.Close()
		s.closeTLS()
		s.closeServers()
		return nil, err
	}
	if cfg.Relay != nil {
		s.relay = NewRelay(*cfg.Relay)
	}
	return s, nil
}

// listenTCP listens on addr, sharing it with other processes when the
// service reuses ports.
func (s *Service) listenTCP(addr string) (net.Listener, error) {
	var lc net.ListenConfig
	if s.cfg.ReusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }); err != nil {
				return err
			}
			return serr
		}
	}
	return lc.Listen(context.Background(), "tcp", addr)
}

// listenControl serves the control endpoints on their own address, when
// the service has one.
func (s *Service) listenControl(control http.Handler) error {
	if s.cfg.ControlAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.ControlAddr)
	if err != nil {
		return fmt.Errorf("failed to listen on %s for control (use --control-addr to pick another): %w", s.cfg.ControlAddr, err)
	}
	s.controlLn = ln
	if s.cfg.ControlTLS != nil {
		ln = tls.NewListener(ln, s.cfg.ControlTLS)
	}
	s.controlSrv = &http.Server{Handler: control, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.controlSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errs <- err
		}
	}()
	return nil
}

// ControlURL is where the control endpoints are served.
func (s *Service) ControlURL() string {
	if s.controlLn != nil {
		if s.cfg.ControlTLS != nil {
			return "https://" + s.controlLn.Addr().String()
		}
		return "http://" + s.controlLn.Addr().String()
	}
	return s.BaseURL()
}

func (s *Service) listen(mux http.Handler) error {
	ln, err := s.listenTCP(s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("failed to listen on %s (use --addr to pick another): %w", s.cfg.Addr, err)
	}
	ln = &cappedListener{Listener: ln, cap: s.conns, refusal: httpRefusal(s.conns.limit)}
	s.httpLn = ln
	// No server-wide ReadTimeout or WriteTimeout: either would end the
	// push streams. Headers have their own timeout, bodies guard's, and
	// every write its own deadline (the transports' WriteTimeout).
	s.http = s.httpServer(mux)
	if s.cfg.H2C {
		transports.ServerProtocols(s.http, transports.VariantH2C, s.cfg.MaxStreams)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errs <- err
		}
	}()
	for _, t := range s.order {
		l, ok := s.servers[t.Name].(transports.Listener)
		if !ok {
			continue
		}
		if s.rawLn != nil {
			return fmt.Errorf("two transports want their own port (%s): only one is supported", t.Name)
		}
		rl, err := s.listenTCP(s.cfg.RawAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("failed to listen on %s for %s (use --raw-addr to pick another): %w", s.cfg.RawAddr, t.Name, err)
		}
		capped := &cappedListener{Listener: rl, cap: s.conns}
		if r, ok := s.servers[t.Name].(interface{ Refusal(reason string) []byte }); ok {
			capped.refusal = r.Refusal(fmt.Sprintf("connection refused: this server holds at most %d connections (--max-conns)", s.conns.limit))
		}
		rl = capped
		s.rawLn = rl
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := l.Serve(context.Background(), rl); err != nil {
				s.errs <- err
			}
		}()
	}
	return nil
}

// Errors delivers a fatal serving error (a listener failing).
func (s *Service) Errors() <-chan error { return s.errs }

// BaseURL is the HTTP base URL clients use.
func (s *Service) BaseURL() string { return "http://" + s.httpLn.Addr().String() }

// RawAddr is the raw-TCP address ("" when no raw transport is served).
func (s *Service) RawAddr() string {
	if s.rawLn == nil {
		return ""
	}
	return s.rawLn.Addr().String()
}

// Transports lists the served transports in order.
func (s *Service) Transports() []transports.Transport { return s.order }

// Stats snapshots every transport's counters.
func (s *Service) Stats() map[string]transports.Stats {
	out := make(map[string]transports.Stats, len(s.servers))
	for n, srv := range s.servers {
		out[n] = srv.Stats()
	}
	return out
}

// Close ends every connection (streams first, so Shutdown need not wait for
// them), then shuts the HTTP server down gracefully within ctx.
func (s *Service) Close(ctx context.Context) error {
	s.close()
	s.closeServers()
	err := s.http.Shutdown(ctx)
	if s.tlsSrv != nil {
		if terr := s.tlsSrv.Shutdown(ctx); err == nil {
			err = terr
		}
	}
	if s.controlSrv != nil {
		if cerr := s.controlSrv.Shutdown(ctx); err == nil {
			err = cerr
		}
	}
	s.wg.Wait()
	if s.relay != nil {
		s.relay.Close()
	}
	return err
}

func (s *Service) closeServers() {
	for _, srv := range s.servers {
		srv.Close()
	}
}

// Publish appends a message stamped with its intended send time. It
// panics where TryPublish fails: use it for payloads known to fit.
func (s *Service) Publish(sent time.Time, payload string) *msglog.Entry {
	return s.Log.Append(sent.UnixNano(), payload)
}

// TryPublish appends a message or says why the log refuses it (see
// msglog.Log.TryAppend).
func (s *Service) TryPublish(sent time.Time, payload string) (*msglog.Entry, error) {
	return s.Log.TryAppend(sent.UnixNano(), payload)
}

type publishRequest struct {
	Payload *string `json:"payload"`
	Sent    int64   `json:"sent"`
}

// publish handles POST /publish: a JSON body {"payload":"...","sent":NS}
// ("sent" optional, default now) or any other body taken as the payload.
func (s *Service) publish(w http.ResponseWriter, r *http.Request) {
	transports.SetCORS(w.Header(), s.cfg.Server.CORSOrigin)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed: POST a body to publish it", http.StatusMethodNotAllowed)
		return
	}
	if !refuseOrigin(w, r, s.cfg.Server.CORSOrigin) {
		return
	}
	if r.ContentLength > s.cfg.MaxPublish {
		http.Error(w, fmt.Sprintf("body over %d bytes (raise --max-publish-bytes)", s.cfg.MaxPublish), http.StatusRequestEntityTooLarge)
		return
	}
	want := r.ContentLength
	if want < 0 {
		want = s.cfg.MaxPublish // chunked: the most it may be
	}
	release, ok := s.bodies.reserve(want)
	if !ok {
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("publish refused: %d bytes of publish bodies are being received already; retry", s.cfg.BodyBytes), http.StatusServiceUnavailable)
		return
	}
	body, err := readBody(w, r, s.cfg.MaxPublish, s.cfg.BodyTimeout)
	release()
	if err != nil {
		bodyError(w, err, s.cfg.MaxPublish, "--max-publish-bytes", s.cfg.BodyTimeout)
		return
	}
	answerDeadline(w, s.cfg.Server.WriteTimeout)
	// body is not written again, so the payload may share it (the log
	// copies it into the entry's JSON): no second copy of a large body.
	payload, sent := unsafe.String(unsafe.SliceData(body), len(body)), time.Now().UnixNano()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var req publishRequest
		if err := json.Unmarshal(body, &req); err != nil || req.Payload == nil {
			http.Error(w, `JSON publish body must be {"payload":"...","sent":UNIX_NS} ("sent" optional)`, http.StatusBadRequest)
			return
		}
		payload = *req.Payload
		if req.Sent > 0 {
			sent = req.Sent
		}
	}
	e, err := s.Log.TryAppend(sent, payload)
	if err != nil {
		http.Error(w, "publish refused: "+refusal(err), http.StatusInsufficientStorage)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"seq\":%d}\n", e.Seq)
}

// stats handles GET /stats: per-transport counters and the log head.
func (s *Service) stats(w http.ResponseWriter, r *http.Request) {
	answerDeadline(w, s.cfg.Server.WriteTimeout)
	transports.SetCORS(w.Header(), s.cfg.Server.CORSOrigin)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Head       int64                       `json:"head"`
		Transports map[string]transports.Stats `json:"transports"`
	}{s.Log.Head(), s.Stats()})
}

func (s *Service) index(w http.ResponseWriter, r *http.Request) {
	answerDeadline(w, s.cfg.Server.WriteTimeout)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, line := range s.URLs() {
		fmt.Fprintln(w, line)
	}
}

// URLs describes every endpoint, one line each.
func (s *Service) URLs() []string {
	base := s.BaseURL()
	var out []string
	for _, t := range s.order {
		switch {
		case t.Path != "":
			out = append(out, fmt.Sprintf("%-10s %s%s", t.Name, base, t.Path))
		case s.rawLn != nil:
			out = append(out, fmt.Sprintf("%-10s tcp://%s", t.Name, s.RawAddr()))
		}
	}
	out = append(out, s.tlsURLs()...)
	return append(out,
		fmt.Sprintf("%-10s POST %s/publish", "publish", base),
		fmt.Sprintf("%-10s %s/stats", "stats", base))
}
