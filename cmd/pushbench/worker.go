package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/transports/controlplane"
)

const workerDoc = `usage: pushbench worker [flags]

Runs one load-generator worker: a process that holds a share of a run's
clients and reports its measurement windows (counts, HDR histograms, its own
CPU and memory) to the coordinator, pushbench run. pushbench run starts
local workers by itself; start workers by hand on other hosts and name them
with pushbench run --worker http://HOST:PORT. Prints "READY {"addr":...}"
once it listens. Ends on SIGINT or SIGTERM.

Off loopback the control API needs a token: every request must carry it
(Authorization: Bearer), and the worker refuses to start without one.
Give it with --token-file PATH (or the environment variable
PUSHBENCH_TOKEN); it must be %s.
pushbench run sends it with its own --token-file. See docs/CONTROL.md.
`

const workerExamples = `  pushbench worker                          # 127.0.0.1, any free port
  openssl rand -hex 32 > token
  pushbench worker --listen 10.0.0.5:7070 --allow-remote-control --token-file token
`

// workerOpts is what worker's flags set.
type workerOpts struct {
	listen, tokenFile, tlsCert, tlsKey string
	remote                             bool
	targets                            listFlag
}

// workerCLI defines worker's flags over o.
func workerCLI(o *workerOpts, stderr io.Writer) *cli {
	c := newCLI("worker", stderr)
	c.help = help{doc: fmt.Sprintf(workerDoc, controlplane.TokenRule), examples: workerExamples, groups: []flagGroup{
		{"Control API", []string{"listen", "allow-remote-control", "token-file", "control-tls-cert", "control-tls-key"}},
		{"Load", []string{"allow-target"}},
	}}
	c.String(&o.listen, "listen", "127.0.0.1:0", "`host:port` of the worker's control API")
	c.Bool(&o.remote, "allow-remote-control", "allow --listen on a non-loopback address (a token is required there too: --token-file)")
	c.String(&o.tokenFile, "token-file", "", "file holding the control API's token (default: $PUSHBENCH_TOKEN); required off loopback")
	c.String(&o.tlsCert, "control-tls-cert", "", "serve the control API over TLS with this certificate (PEM); https:// addresses then")
	c.String(&o.tlsKey, "control-tls-key", "", "private key for --control-tls-cert (PEM)")
	c.Var(&o.targets, "allow-target", "a network (CIDR), address or host name beyond loopback this worker may send load to; repeatable or comma-separated")
	return c
}

func runWorker(args []string, stdout, stderr io.Writer) error {
	var o workerOpts
	if err := workerCLI(&o, stderr).parse(args); err != nil {
		return err
	}
	listen, remote, tokenFile, tlsCert, tlsKey, targets := &o.listen, &o.remote, &o.tokenFile, &o.tlsCert, &o.tlsKey, o.targets
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return usageError{fmt.Sprintf("--listen %q: want host:port (%v)", *listen, err)}
	}
	token, err := controlplane.LoadToken("--token-file", *tokenFile, os.Getenv)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := controlplane.CheckListen("the worker's control API", "--listen", *listen, token); err != nil {
		return usageError{err.Error()}
	}
	if !controlplane.Loopback(*listen) && !*remote {
		return usageError{fmt.Sprintf("--listen %s is not a loopback address: add --allow-remote-control to expose the worker's control API there", *listen)}
	}
	tlsCfg, err := controlplane.ServerTLS(*tlsCert, *tlsKey)
	if err != nil {
		return usageError{err.Error()}
	}
	allowed, err := loadgen.ParseTargets(targets)
	if err != nil {
		return usageError{err.Error()}
	}
	files, err := proc.RaiseFileLimit(1 << 20)
	if err != nil {
		fmt.Fprintf(stderr, "pushbench worker: warning: %v\n", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", *listen, err)
	}
	scheme := "http://"
	if tlsCfg != nil {
		ln, scheme = tls.NewListener(ln, tlsCfg), "https://"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := loadgen.NewWorker(ctx)
	w.Allowed, w.Token, w.Log = allowed, token, stderr
	if files > 0 {
		w.FileLimit = files
	}
	defer w.Close()
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	ready, _ := json.Marshal(struct {
		Addr string `json:"addr"`
	}{scheme + ln.Addr().String()})
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
