package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
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

	"github.com/pushbench/pushbench/harness/proc"
	"github.com/pushbench/pushbench/harness/serve"
	"github.com/pushbench/pushbench/loadgen/controlplane"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

const serveUsage = `usage: pushbench serve [flags]

Serves every transport on one address (rawtcp on its own port) with a
built-in open-loop publisher, until SIGINT or SIGTERM.

examples:
  pushbench serve --rate 10
  curl -N http://127.0.0.1:8080/sse
  curl 'http://127.0.0.1:8080/poll?since=0'
  curl -d 'hello' http://127.0.0.1:8080/publish

--control adds the control API pushbench run drives (/control/publish,
/control/status). Off loopback it needs a token: every control request
must carry it (Authorization: Bearer), and serve refuses to start without
one. Give it with --token-file PATH (or the environment variable
PUSHBENCH_TOKEN); it must be %s.
See docs/CONTROL.md.

flags:
`

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, serveUsage, controlplane.TokenRule); fs.PrintDefaults() }
	var cfg serve.Config
	var names string
	rate := fs.Float64("rate", 0, "built-in publisher rate, messages per second (0: none)")
	payload := fs.Int("payload", 64, "built-in publisher payload size, bytes")
	binaryPayload := fs.Bool("binary", false, "built-in publisher sends binary payloads (not text: base64 in SSE and polls, raw over WebSocket and rawtcp)")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&cfg.RawAddr, "raw-addr", "127.0.0.1:8081", "rawtcp listen address")
	fs.IntVar(&cfg.Ring, "ring", 100000, "message log capacity (messages kept for resume)")
	fs.Int64Var(&cfg.FirstSeq, "first-seq", 1, "seq of the first message: a restarted server continues its sequence, so resuming clients get a gap signal for what it lost")
	fs.StringVar(&names, "transports", "", "comma-separated transports to serve (default all; see 'pushbench transports')")
	fs.Int64Var(&cfg.MaxPublish, "max-publish", 1<<20, "largest POST /publish body, bytes")
	fs.StringVar(&cfg.Server.CORSOrigin, "cors", "", "Access-Control-Allow-Origin for browser pages (e.g. '*' or http://localhost:3000)")
	fs.IntVar(&cfg.Server.QueueLen, "queue", 1024, "push: per-connection backlog before a slow consumer is disconnected")
	fs.DurationVar(&cfg.Server.WriteTimeout, "write-timeout", 10*time.Second, "deadline for each write to a client")
	fs.DurationVar(&cfg.Server.Heartbeat, "heartbeat", 15*time.Second, "push: keep-alive interval on idle connections")
	fs.DurationVar(&cfg.Server.HoldTimeout, "hold", 30*time.Second, "longpoll: how long a request is held")
	fs.DurationVar(&cfg.Server.Retry, "retry", time.Second, "SSE: reconnect delay advertised with retry:")
	fs.IntVar(&cfg.Server.MaxBatch, "batch", 1000, "polls: most messages per answer")
	fs.BoolVar(&cfg.Control, "control", false, "enable /control/publish and /control/status (used by pushbench run); loopback addresses only")
	fs.StringVar(&cfg.ControlAddr, "control-addr", "", "serve --control's endpoints on this address of their own (default: on --addr)")
	fs.BoolVar(&cfg.ReusePort, "reuseport", false, "share --addr and --raw-addr with other pushbench serve processes (SO_REUSEPORT): the kernel spreads connections over them")
	allowRemote := fs.Bool("allow-remote-control", false, "let --control listen on a non-loopback address (a token is required there too: --token-file)")
	tokenFile := fs.String("token-file", "", "file holding the control API's token (default: $PUSHBENCH_TOKEN); required for --control off loopback")
	controlCert := fs.String("control-tls-cert", "", "serve --control-addr over TLS with this certificate (PEM); https:// then")
	controlKey := fs.String("control-tls-key", "", "private key for --control-tls-cert (PEM)")
	fs.Int64Var(&cfg.Server.ReadLimit, "read-limit", 4096, "largest client frame accepted, bytes")
	fs.Int64Var(&cfg.RingBytes, "ring-bytes", serve.DefaultRingBytes, "message log capacity in bytes: the oldest messages leave first; a message alone over it is refused (507)")
	fs.Int64Var(&cfg.Server.QueueBytes, "queue-bytes", transports.DefaultQueueBytes, "push: per-connection backlog in bytes before a slow consumer is disconnected")
	fs.Int64Var(&cfg.Server.MaxBatchBytes, "batch-bytes", transports.DefaultMaxBatchBytes, "polls: most message bytes per answer (one message is always sent)")
	fs.IntVar(&cfg.MaxConns, "max-conns", serve.DefaultMaxConns, "most connections open at once on both listeners; more are refused (HTTP: 503)")
	fs.Int64Var(&cfg.BodyBytes, "body-bytes", 64<<20, "most bytes of POST /publish bodies received at once (each reserves its Content-Length); more are refused (503)")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", 10*time.Second, "deadline for a request body to arrive (slower bodies are cut with 408)")
	fs.StringVar(&cfg.TLSAddr, "tls-addr", "", "also serve every HTTP transport over TLS 1.3 here (https, wss; HTTP/2 by ALPN), e.g. 127.0.0.1:8443")
	fs.StringVar(&cfg.RawTLSAddr, "raw-tls-addr", "", "also serve rawtcp over TLS 1.3 here, e.g. 127.0.0.1:8444")
	certFile := fs.String("tls-cert", "", "TLS certificate, PEM (default: an ECDSA P-256 one made at start for 127.0.0.1, ::1 and localhost)")
	keyFile := fs.String("tls-key", "", "TLS private key for --tls-cert, PEM")
	ticketFile := fs.String("tls-ticket-key", "", "file holding the session ticket key, 64 hex digits: give every process sharing a port the same one, or resumption fails across them")
	fs.BoolVar(&cfg.H2C, "h2c", false, "let --addr speak HTTP/2 in cleartext with prior knowledge too (on by itself for an h2c variant)")
	fs.IntVar(&cfg.MaxStreams, "max-streams", 250, "HTTP/2: most concurrent streams a client may open on one connection")
	relayFile := fs.String("relay", "", "JSON file of a relay spec (written by pushbench run --target): publish every control schedule's messages through a target's HTTP API too")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *relayFile != "" {
		b, err := os.ReadFile(*relayFile)
		if err != nil {
			return fmt.Errorf("--relay: %w", err)
		}
		cfg.Relay = &serve.RelaySpec{}
		if err := json.Unmarshal(b, cfg.Relay); err != nil || cfg.Relay.URL == "" {
			return usageError{fmt.Sprintf("--relay %s: not a relay spec (JSON with url, method, body_prefix, body_suffix): %v", *relayFile, err)}
		}
	}
	if err := loadTLSFiles(&cfg, *certFile, *keyFile, *ticketFile); err != nil {
		fs.Usage()
		return err
	}
	if err := checkServeFlags(*rate, *payload, *binaryPayload, cfg); err != nil {
		fs.Usage()
		return err
	}
	var err error
	if cfg.ControlToken, err = controlplane.LoadToken("--token-file", *tokenFile, os.Getenv); err != nil {
		return usageError{err.Error()}
	}
	if cfg.ControlTLS, err = controlplane.ServerTLS(*controlCert, *controlKey); err != nil {
		return usageError{err.Error()}
	}
	if cfg.ControlTLS != nil && (!cfg.Control || cfg.ControlAddr == "") {
		return usageError{"--control-tls-cert serves the control API on an address of its own: give --control and --control-addr"}
	}
	cfg.ControlLog = stderr
	if err := checkExposure(cfg, *allowRemote, stderr); err != nil {
		fs.Usage()
		return err
	}
	if names != "" {
		cfg.Transports = strings.Split(names, ",")
		if len(cfg.Transports) > 64 {
			fs.Usage()
			return usageError{"--transports: too many names"}
		}
		for _, n := range cfg.Transports {
			if _, err := transports.Lookup(n); err != nil {
				fs.Usage()
				return usageError{err.Error()}
			}
		}
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
	if *binaryPayload {
		kind = "binary"
	}
	fmt.Fprintf(stdout, "pushbench serving (publisher %.4g msg/s, %d-byte %s payload, ring %d):\n", *rate, *payload, kind, cfg.Ring)
	for _, line := range svc.URLs() {
		fmt.Fprintln(stdout, "  "+line)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pubDone := make(chan int64, 1)
	go func() { pubDone <- svc.RunPublisher(ctx, *rate, serve.MessageOf(*payload, *binaryPayload)) }()
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

// checkServeFlags range-checks every numeric flag, naming the allowed
// range: a value the server would overflow on, or silently replace with a
// default, is a usage error.
func checkServeFlags(rate float64, payload int, binaryPayload bool, cfg serve.Config) error {
	o := cfg.Server
	if !(rate == 0 || (rate >= serve.MinRate && rate <= serve.MaxRate)) { // also NaN
		return usageError{fmt.Sprintf("--rate %g: allowed 0 (no publisher) or %g to %g messages per second", rate, serve.MinRate, serve.MaxRate)}
	}
	checks := []struct {
		flag      string
		v, lo, hi int64
		unit      string
	}{
		{"--payload", int64(payload), 0, serve.MaxPayload, "bytes"},
		{"--ring", int64(cfg.Ring), 1, msglog.MaxCapacity, "messages"},
		{"--ring-bytes", cfg.RingBytes, 4 << 10, 1 << 40, "bytes"},
		{"--first-seq", cfg.FirstSeq, 1, maxFirstSeq, "(room for 2^62 messages before the sequence ends)"},
		{"--max-publish", cfg.MaxPublish, 1, serve.MaxPayload, "bytes"},
		{"--queue", int64(o.QueueLen), 1, 10_000_000, "messages"},
		{"--queue-bytes", o.QueueBytes, 1 << 10, 1 << 40, "bytes"},
		{"--batch", int64(o.MaxBatch), 1, 1_000_000, "messages"},
		{"--batch-bytes", o.MaxBatchBytes, 1 << 10, 1 << 30, "bytes"},
		{"--read-limit", o.ReadLimit, 1, 64 << 20, "bytes"},
		{"--max-conns", int64(cfg.MaxConns), 1, 10_000_000, "connections"},
		{"--body-bytes", cfg.BodyBytes, 1 << 10, 1 << 34, "bytes"},
		{"--max-streams", int64(cfg.MaxStreams), 1, 1 << 20, "streams"},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return usageError{fmt.Sprintf("%s %d: allowed %d to %d %s", c.flag, c.v, c.lo, c.hi, c.unit)}
		}
	}
	durations := []struct {
		flag string
		v    time.Duration
	}{{"--write-timeout", o.WriteTimeout}, {"--heartbeat", o.Heartbeat}, {"--hold", o.HoldTimeout}, {"--retry", o.Retry}, {"--body-timeout", cfg.BodyTimeout}}
	for _, d := range durations {
		if d.v < time.Millisecond || d.v > time.Hour {
			return usageError{fmt.Sprintf("%s %v: allowed 1ms to 1h", d.flag, d.v)}
		}
	}
	if need := serve.EntrySize(payload, binaryPayload); need > cfg.RingBytes {
		return usageError{fmt.Sprintf("--payload %d does not fit --ring-bytes %d: raise --ring-bytes to at least %d", payload, cfg.RingBytes, need)}
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
