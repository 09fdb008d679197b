package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/serve"
	"github.com/pushbench/pushbench/transports/wire"
)

const serveDoc = `usage: pushbench serve [flags]

Serves every transport on one address (rawtcp on its own port) with a
built-in open-loop publisher, until SIGINT or SIGTERM.

--control adds the control API pushbench run drives (/control/publish,
/control/status). Off loopback it needs a token: every control request
must carry it (Authorization: Bearer), and serve refuses to start without
one. Give it with --token-file PATH (or the environment variable
PUSHBENCH_TOKEN); it must be %s.
See docs/CONTROL.md.

Sizes take a unit: 4096 (bytes), 64KiB, 1MiB, 256MiB.
`

const serveExamples = `  pushbench serve --rate 10
  curl -N http://127.0.0.1:8080/sse
  curl 'http://127.0.0.1:8080/poll?since=0'
  curl -d 'hello' http://127.0.0.1:8080/publish
  pushbench serve --max-ring-bytes 1GiB --max-publish-bytes 4MiB
`

// serveOpts is what serve's flags set.
type serveOpts struct {
	cfg                           serve.Config
	names                         string
	rate                          float64
	payload                       int64
	binary, allowRemote           bool
	tokenFile, controlCert        string
	controlKey                    string
	certFile, keyFile, ticketFile string
	relayFile                     string
}

// serveCLI defines serve's flags over o.
func serveCLI(o *serveOpts, stderr io.Writer) *cli {
	c := newCLI("serve", stderr)
	cfg := &o.cfg
	c.help = help{doc: fmt.Sprintf(serveDoc, controlplane.TokenRule), examples: serveExamples, groups: []flagGroup{
		{"Listeners", []string{"addr", "raw-addr", "transports", "cors", "reuseport", "h2c"}},
		{"Control plane", []string{"control", "control-addr", "allow-remote-control", "token-file", "control-tls-cert", "control-tls-key"}},
		{"TLS", []string{"tls-addr", "raw-tls-addr", "tls-cert", "tls-key", "tls-ticket-key"}},
		{"Publisher", []string{"rate", "payload", "binary", "first-seq", "relay"}},
		{"Limits", []string{"max-ring-messages", "max-ring-bytes", "max-queue-messages", "max-queue-bytes", "max-batch-messages", "max-batch-bytes",
			"max-publish-bytes", "max-inflight-bytes", "max-frame-bytes", "max-conns", "max-streams"}},
		{"Timing", []string{"write-timeout", "heartbeat", "hold", "retry", "body-timeout"}},
	}}

	c.String(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen `host:port`")
	c.String(&cfg.RawAddr, "raw-addr", "127.0.0.1:8081", "rawtcp listen `host:port`")
	c.String(&o.names, "transports", "", "comma-separated transports to serve (default all; see 'pushbench transports')")
	c.String(&cfg.Server.CORSOrigin, "cors", "", "Access-Control-Allow-Origin for browser pages (e.g. '*' or http://localhost:3000)")
	c.Bool(&cfg.ReusePort, "reuseport", "share --addr and --raw-addr with other pushbench serve processes (SO_REUSEPORT): the kernel spreads connections over them")
	c.Bool(&cfg.H2C, "h2c", "let --addr speak HTTP/2 in cleartext with prior knowledge too (on by itself for an h2c variant)")

	c.Bool(&cfg.Control, "control", "enable /control/publish and /control/status (used by pushbench run); loopback addresses only")
	c.String(&cfg.ControlAddr, "control-addr", "", "serve --control's endpoints on this `host:port` of their own (default: on --addr)")
	c.Bool(&o.allowRemote, "allow-remote-control", "let --control listen on a non-loopback address (a token is required there too: --token-file)")
	c.String(&o.tokenFile, "token-file", "", "file holding the control API's token (default: $PUSHBENCH_TOKEN); required for --control off loopback")
	c.String(&o.controlCert, "control-tls-cert", "", "serve --control-addr over TLS with this certificate (PEM); https:// then")
	c.String(&o.controlKey, "control-tls-key", "", "private key for --control-tls-cert (PEM)")

	c.String(&cfg.TLSAddr, "tls-addr", "", "also serve every HTTP transport over TLS 1.3 here (https, wss; HTTP/2 by ALPN), e.g. 127.0.0.1:8443")
	c.String(&cfg.RawTLSAddr, "raw-tls-addr", "", "also serve rawtcp over TLS 1.3 here, e.g. 127.0.0.1:8444")
	c.String(&o.certFile, "tls-cert", "", "TLS certificate, PEM (default: an ECDSA P-256 one made at start for 127.0.0.1, ::1 and localhost)")
	c.String(&o.keyFile, "tls-key", "", "TLS private key for --tls-cert, PEM")
	c.String(&o.ticketFile, "tls-ticket-key", "", "file holding the session ticket key, 64 hex digits: give every process sharing a port the same one, or resumption fails across them")

	c.Float(&o.rate, "rate", 0, func(r float64) bool { return r == 0 || (r >= serve.MinRate && r <= serve.MaxRate) },
		fmt.Sprintf("0 (no publisher) or %g to %g messages per second", serve.MinRate, serve.MaxRate), "built-in publisher rate, messages per second (0: none)")
	c.Bytes(&o.payload, "payload", 64, 0, serve.MaxPayload, "built-in publisher payload size")
	c.Bool(&o.binary, "binary", "built-in publisher sends binary payloads (not text: base64 in SSE and polls, raw over WebSocket and rawtcp)")
	c.Int64(&cfg.FirstSeq, "first-seq", 1, 1, maxFirstSeq, "(room for 2^62 messages before the sequence ends)",
		"seq of the first message: a restarted server continues its sequence, so resuming clients get a gap signal for what it lost")
	c.String(&o.relayFile, "relay", "", "JSON file of a relay spec (written by pushbench run --target): publish every control schedule's messages through a target's HTTP API too")

	c.Int(&cfg.Ring, "max-ring-messages", 100000, 1, msglog.MaxCapacity, "messages", "message log capacity: messages kept for resume")
	c.Bytes(&cfg.RingBytes, "max-ring-bytes", serve.DefaultRingBytes, 4<<10, 1<<40, "message log capacity in bytes: the oldest messages leave first; a message alone over it is refused (507)")
	c.Int(&cfg.Server.QueueLen, "max-queue-messages", 1024, 1, 10_000_000, "messages", "push: per-connection backlog before a slow consumer is disconnected")
	c.Bytes(&cfg.Server.QueueBytes, "max-queue-bytes", transports.DefaultQueueBytes, 1<<10, 1<<40, "push: per-connection backlog in bytes before a slow consumer is disconnected")
	c.Int(&cfg.Server.MaxBatch, "max-batch-messages", 1000, 1, 1_000_000, "messages", "polls: most messages per answer")
	c.Bytes(&cfg.Server.MaxBatchBytes, "max-batch-bytes", transports.DefaultMaxBatchBytes, 1<<10, 1<<30, "polls: most message bytes per answer (one message is always sent)")
	c.Bytes(&cfg.MaxPublish, "max-publish-bytes", 1<<20, 1, serve.MaxPayload, "largest POST /publish body")
	c.Bytes(&cfg.BodyBytes, "max-inflight-bytes", 64<<20, 1<<10, 1<<34, "most bytes of POST /publish bodies received at once (each reserves its Content-Length); more are refused (503)")
	c.Bytes(&cfg.Server.ReadLimit, "max-frame-bytes", 4096, 1, 64<<20, "largest client frame accepted")
	c.Int(&cfg.MaxConns, "max-conns", serve.DefaultMaxConns, 1, 10_000_000, "connections", "most connections open at once on both listeners; more are refused (HTTP: 503)")
	c.Int(&cfg.MaxStreams, "max-streams", 250, 1, 1<<20, "streams", "HTTP/2: most concurrent streams a client may open on one connection")

	c.Duration(&cfg.Server.WriteTimeout, "write-timeout", 10*time.Second, time.Millisecond, time.Hour, "deadline for each write to a client")
	c.Duration(&cfg.Server.Heartbeat, "heartbeat", 15*time.Second, time.Millisecond, time.Hour, "push: keep-alive interval on idle connections")
	c.Duration(&cfg.Server.HoldTimeout, "hold", 30*time.Second, time.Millisecond, time.Hour, "longpoll: how long a request is held")
	c.Duration(&cfg.Server.Retry, "retry", time.Second, time.Millisecond, time.Hour, "SSE: reconnect delay advertised with retry:")
	c.Duration(&cfg.BodyTimeout, "body-timeout", 10*time.Second, time.Millisecond, time.Hour, "deadline for a request body to arrive (slower bodies are cut with 408)")

	// The names before one scheme (plural counts, --max-*-bytes limits),
	// kept for one release.
	for old, name := range map[string]string{
		"ring": "max-ring-messages", "ring-bytes": "max-ring-bytes", "queue": "max-queue-messages", "queue-bytes": "max-queue-bytes",
		"batch": "max-batch-messages", "batch-bytes": "max-batch-bytes", "max-publish": "max-publish-bytes",
		"body-bytes": "max-inflight-bytes", "read-limit": "max-frame-bytes",
	} {
		c.alias(old, name)
	}
	return c
}

func runServe(args []string, stdout, stderr io.Writer) error {
	var o serveOpts
	c := serveCLI(&o, stderr)
	if err := c.parse(args); err != nil {
		return err
	}
	cfg, err := o.config(stderr)
	if err != nil {
		return err
	}
	if _, err := proc.RaiseFileLimit(1 << 20); err != nil {
		fmt.Fprintf(stderr, "pushbench serve: warning: %v\n", err)
	}
	svc, err := serve.Start(cfg)
	if err != nil {
		return err
	}
	if cfg.Control { // one machine-readable line for the harness
		ready, _ := json.Marshal(map[string]string{"base": svc.BaseURL(), "raw": svc.RawAddr(), "control": svc.ControlURL(),
			"tls_base": svc.TLSBaseURL(), "raw_tls": svc.RawTLSAddr()})
		fmt.Fprintf(stdout, "READY %s\n", ready)
	}
	kind := "text"
	if o.binary {
		kind = "binary"
	}
	fmt.Fprintf(stdout, "pushbench serving (publisher %.4g msg/s, %d-byte %s payload, ring %d):\n", o.rate, int(o.payload), kind, cfg.Ring)
	for _, line := range svc.URLs() {
		fmt.Fprintln(stdout, "  "+line)
	}
	return serveUntilStopped(svc, o.rate, serve.MessageOf(int(o.payload), o.binary), stdout)
}

// serveUntilStopped runs svc's publisher at rate until an interrupt,
// SIGTERM or a listener's error, then shuts svc down.
func serveUntilStopped(svc *serve.Service, rate float64, msg serve.Message, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pubDone := make(chan int64, 1)
	go func() { pubDone <- svc.RunPublisher(ctx, rate, msg) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-svc.Errors():
		stop()
	}
	published := <-pubDone
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cerr := svc.Close(shutdown); cerr != nil && err == nil {
		err = fmt.Errorf("failed to shut down cleanly: %w", cerr)
	}
	fmt.Fprintf(stdout, "pushbench: stopped after publishing %d messages (head %d)\n", published, svc.Log.Head())
	return err
}

// config completes the flags' server configuration with what they name
// (the relay spec, TLS files, the control plane's token and certificate,
// the transports) and checks what no one flag's range does; a bad value is
// a usageError. stderr takes the control API's refusals and the exposure
// warnings.
func (o *serveOpts) config(stderr io.Writer) (serve.Config, error) {
	cfg := o.cfg
	if o.relayFile != "" {
		b, err := os.ReadFile(o.relayFile)
		if err != nil {
			return cfg, fmt.Errorf("--relay: %w", err)
		}
		cfg.Relay = &serve.RelaySpec{}
		if err := json.Unmarshal(b, cfg.Relay); err != nil || cfg.Relay.URL == "" {
			return cfg, usageError{fmt.Sprintf("--relay %s: not a relay spec (JSON with url, method, body_prefix, body_suffix): %v", o.relayFile, err)}
		}
	}
	if err := loadTLSFiles(&cfg, o.certFile, o.keyFile, o.ticketFile); err != nil {
		return cfg, err
	}
	if err := checkServeFlags(int(o.payload), o.binary, cfg); err != nil {
		return cfg, err
	}
	var err error
	if cfg.ControlToken, err = controlplane.LoadToken("--token-file", o.tokenFile, os.Getenv); err != nil {
		return cfg, usageError{err.Error()}
	}
	if cfg.ControlTLS, err = controlplane.ServerTLS(o.controlCert, o.controlKey); err != nil {
		return cfg, usageError{err.Error()}
	}
	if cfg.ControlTLS != nil && (!cfg.Control || cfg.ControlAddr == "") {
		return cfg, usageError{"--control-tls-cert serves the control API on an address of its own: give --control and --control-addr"}
	}
	cfg.ControlLog = stderr
	if err := checkExposure(cfg, o.allowRemote, stderr); err != nil {
		return cfg, err
	}
	if o.names != "" {
		cfg.Transports = strings.Split(o.names, ",")
		if len(cfg.Transports) > 64 {
			return cfg, usageError{"--transports: too many names"}
		}
		for _, n := range cfg.Transports {
			if _, err := transports.Lookup(n); err != nil {
				return cfg, usageError{"--transports: " + err.Error()}
			}
		}
	}
	return cfg, nil
}

// checkServeFlags checks what no one flag's value can: that the payload
// fits the ring, and the listen addresses. Each flag's own range is
// checked as it is parsed.
func checkServeFlags(payload int, binaryPayload bool, cfg serve.Config) error {
	if need := serve.EntrySize(payload, binaryPayload); need > cfg.RingBytes {
		return usageError{fmt.Sprintf("--payload %d does not fit --max-ring-bytes %d: raise --max-ring-bytes to at least %d", payload, cfg.RingBytes, need)}
	}
	for _, a := range []struct{ flag, addr string }{{"--addr", cfg.Addr}, {"--raw-addr", cfg.RawAddr}, {"--tls-addr", cfg.TLSAddr}, {"--raw-tls-addr", cfg.RawTLSAddr}} {
		if a.addr == "" && a.flag != "--addr" && a.flag != "--raw-addr" {
			continue
		}
		if err := checkAddr(a.addr); err != nil {
			return usageError{fmt.Sprintf("%s %s: %v", a.flag, wire.Quote(a.addr), err)}
		}
	}
	return nil
}

// maxFirstSeq leaves 2^62 sequence numbers after the first.
const maxFirstSeq = math.MaxInt64 - 1<<62

// checkAddr wants host:port with a port 0 to 65535.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %s: allowed 0 to 65535", wire.Quote(port))
	}
	return nil
}

// checkExposure warns about a non-loopback --addr and refuses --control
// on one without a token, or without --allow-remote-control.
func checkExposure(cfg serve.Config, allowRemote bool, stderr io.Writer) error {
	if cfg.Control {
		flag, addr := "--control-addr", cfg.ControlAddr
		if addr == "" {
			flag, addr = "--addr", cfg.Addr
		}
		if err := controlplane.CheckListen("--control's API", flag, addr, cfg.ControlToken); err != nil {
			return usageError{err.Error()}
		}
	}
	if cfg.Control && cfg.ControlAddr != "" && serve.Exposed(cfg.ControlAddr) && !allowRemote {
		return usageError{fmt.Sprintf("--control-addr %s is not a loopback address: anyone who reaches it could run publish schedules; use 127.0.0.1, or add --allow-remote-control", cfg.ControlAddr)}
	}
	for _, a := range []struct{ flag, addr, what string }{
		{"--addr", cfg.Addr, "every HTTP transport, GET /stats and POST /publish (anyone who reaches it can publish)"},
		{"--raw-addr", cfg.RawAddr, "the rawtcp stream"},
		{"--tls-addr", cfg.TLSAddr, "every HTTP transport over TLS, GET /stats and POST /publish"},
		{"--raw-tls-addr", cfg.RawTLSAddr, "the rawtcp stream over TLS"},
	} {
		if a.addr == "" || !serve.Exposed(a.addr) {
			continue
		}
		if a.flag == "--addr" && cfg.Control && cfg.ControlAddr == "" && !allowRemote {
			return usageError{fmt.Sprintf("--control on the non-loopback --addr %s would let anyone who reaches it run publish schedules: use 127.0.0.1, or add --allow-remote-control", a.addr)}
		}
		what := a.what
		if a.flag == "--addr" && cfg.Control && cfg.ControlAddr == "" {
			what += ", and /control/publish and /control/status"
		}
		fmt.Fprintf(stderr, "pushbench serve: warning: %s %s is not a loopback address: it exposes %s to the network\n", a.flag, a.addr, what)
	}
	return nil
}

// loadTLSFiles reads --tls-cert, --tls-key and --tls-ticket-key into cfg.
func loadTLSFiles(cfg *serve.Config, certFile, keyFile, ticketFile string) error {
	if (certFile == "") != (keyFile == "") {
		return usageError{"--tls-cert and --tls-key go together: give both, or neither for a certificate made at start"}
	}
	if certFile != "" {
		var err error
		if cfg.TLSCert, err = os.ReadFile(certFile); err != nil {
			return usageError{fmt.Sprintf("--tls-cert: %v", err)}
		}
		if cfg.TLSKey, err = os.ReadFile(keyFile); err != nil {
			return usageError{fmt.Sprintf("--tls-key: %v", err)}
		}
	}
	if ticketFile != "" {
		b, err := os.ReadFile(ticketFile)
		if err != nil {
			return usageError{fmt.Sprintf("--tls-ticket-key: %v", err)}
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != transports.TicketKeySize {
			return usageError{fmt.Sprintf("--tls-ticket-key %s: want %d hex digits (e.g. from 'openssl rand -hex %d')", wire.Quote(ticketFile), 2*transports.TicketKeySize, transports.TicketKeySize)}
		}
		cfg.TicketKey = key
	}
	return nil
}
