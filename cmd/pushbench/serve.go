package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/harness/proc"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/service"
)

const serveUsage = `usage: pushbench serve [flags]

Serves every transport on one address (rawtcp on its own port) with a
built-in open-loop publisher, until SIGINT or SIGTERM.

examples:
  pushbench serve --rate 10
  curl -N http://127.0.0.1:8080/sse
  curl 'http://127.0.0.1:8080/poll?since=0'
  curl -d 'hello' http://127.0.0.1:8080/publish

flags:
`

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	var cfg service.Config
	var names string
	rate := fs.Float64("rate", 0, "built-in publisher rate, messages per second (0: none)")
	payload := fs.Int("payload", 64, "built-in publisher payload size, bytes")
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
	fs.BoolVar(&cfg.Control, "control", false, "enable /control/publish and /control/status (used by pushbench run)")
	fs.Int64Var(&cfg.Server.ReadLimit, "read-limit", 4096, "largest client frame accepted, bytes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkServeFlags(*rate, *payload, cfg); err != nil {
		fs.Usage()
		return err
	}
	if names != "" {
		cfg.Transports = strings.Split(names, ",")
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
	svc, err := service.Start(cfg)
	if err != nil {
		return err
	}
	if cfg.Control { // one machine-readable line for the harness
		ready, _ := json.Marshal(map[string]string{"base": svc.BaseURL(), "raw": svc.RawAddr()})
		fmt.Fprintf(stdout, "READY %s\n", ready)
	}
	fmt.Fprintf(stdout, "pushbench serving (publisher %.4g msg/s, %d-byte payload, ring %d):\n", *rate, *payload, cfg.Ring)
	for _, line := range svc.URLs() {
		fmt.Fprintln(stdout, "  "+line)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pubDone := make(chan int64, 1)
	go func() { pubDone <- svc.RunPublisher(ctx, *rate, service.Payload(*payload)) }()
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

func checkServeFlags(rate float64, payload int, cfg service.Config) error {
	switch {
	case rate < 0:
		return usageError{fmt.Sprintf("--rate %g is negative: give messages per second, or 0 for no publisher", rate)}
	case payload < 0 || payload > 16<<20:
		return usageError{fmt.Sprintf("--payload %d out of range: 0 to 16777216 bytes", payload)}
	case cfg.Ring < 1:
		return usageError{fmt.Sprintf("--ring %d: the log must hold at least 1 message", cfg.Ring)}
	case cfg.Server.QueueLen < 1:
		return usageError{fmt.Sprintf("--queue %d: must be at least 1", cfg.Server.QueueLen)}
	}
	return nil
}
