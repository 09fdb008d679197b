package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/harness/proc"
	"github.com/pushbench/pushbench/loadgen"
)

const workerUsage = `usage: pushbench worker [flags]

Runs one load-generator worker: a process that holds a share of a run's
clients and reports its measurement windows (counts, HDR histograms, its own
CPU and memory) to the coordinator, pushbench run. pushbench run starts
local workers by itself; start workers by hand on other hosts and name them
with pushbench run --worker http://HOST:PORT. Prints "READY {"addr":...}"
once it listens. Ends on SIGINT or SIGTERM.

examples:
  pushbench worker                          # 127.0.0.1, any free port
  pushbench worker --listen 10.0.0.5:7070 --allow-remote-control

flags:
`

func runWorker(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, workerUsage); fs.PrintDefaults() }
	listen := fs.String("listen", "127.0.0.1:0", "address of the worker's control API")
	remote := fs.Bool("allow-remote-control", false, "allow --listen on a non-loopback address (anyone who reaches it can make this host open connections)")
	var targets listFlag
	fs.Var(&targets, "allow-target", "a network (CIDR), address or host name beyond loopback this worker may send load to; repeatable or comma-separated")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		fs.Usage()
		return usageError{fmt.Sprintf("--listen %q: want host:port (%v)", *listen, err)}
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && !*remote {
		fs.Usage()
		return usageError{fmt.Sprintf("--listen %s is not a loopback address: add --allow-remote-control to expose the worker's control API there", *listen)}
	}
	allowed, err := loadgen.ParseTargets(targets)
	if err != nil {
		fs.Usage()
		return usageError{err.Error()}
	}
	if _, err := proc.RaiseFileLimit(1 << 20); err != nil {
		fmt.Fprintf(stderr, "pushbench worker: warning: %v\n", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", *listen, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := loadgen.NewWorker(ctx)
	w.Allowed = allowed
	defer w.Close()
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	ready, _ := json.Marshal(struct {
		Addr string `json:"addr"`
	}{"http://" + ln.Addr().String()})
	fmt.Fprintf(stdout, "READY %s\n", ready)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
