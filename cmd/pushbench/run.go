package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/pushbench/pushbench/harness"
	"github.com/pushbench/pushbench/loadgen/controlplane"
	"github.com/pushbench/pushbench/results/report"
	"github.com/pushbench/pushbench/scenarios"
)

const runUsage = `usage: pushbench run [flags]

Runs scenarios against every transport: a pushbench serve child per
transport (pinned to its own CPU), the load generator in this process.
Results are written to the output folder as they are measured.

examples:
  pushbench run                              # the full default suite
  pushbench run --quick                      # every scenario, reduced (CI)
  pushbench run --scenario latency --transports websocket,sse-lean
  pushbench run --scenario my-scenario.json --count 5
  pushbench run --scenario latency,fanout --network wan
  pushbench run --scenario faults                    # the fault scenarios
  pushbench run --scenario targets --target nchan    # nginx with Nchan, not pushbench's server
  pushbench run --scenario latency --target my-server.yaml  # your own server (docs/TARGETS.md)

flags:
`

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage); fs.PrintDefaults() }
	var scs, trs listFlag
	fs.Var(&scs, "scenario", "scenario name, .json file, or a suite: faults, scale (to 100,000 connections), cluster, tls (TLS and HTTP/2 variants), targets (latency, idle and fanout for make bench-targets); repeatable or comma-separated (default: the default suite)")
	fs.Var(&trs, "transports", "comma-separated transports (default: all; see 'pushbench transports')")
	quick := fs.Bool("quick", false, "run each scenario in its reduced form (CI)")
	count := fs.Int("count", 0, "repetitions of each scenario (default: the scenario's own)")
	out := fs.String("out", "", "output folder (default out/run-TIMESTAMP)")
	noPin := fs.Bool("no-pin", false, "do not pin server and load generator to separate CPUs")
	workers := fs.Int("workers", 0, "local load-generator worker processes (default: as many as the largest step needs within the open-file limit)")
	var remotes, srvs listFlag
	fs.Var(&remotes, "worker", "a running load-generator worker (pushbench worker) to use, as http://HOST:PORT; repeatable, comma-separated, or a range: http://w-{0..9}.workers:7070")
	serverProcs := fs.Int("server-procs", 0, "local server processes sharing one port (default: as many as the largest step needs within the open-file limit)")
	fs.Var(&srvs, "server", "a running server's control address (pushbench serve --control --control-addr) to use instead of starting one; repeatable, comma-separated or a range like --worker")
	clientBase := fs.String("client-base", "", "with --server: the base URL clients connect to (default: where the first server says it serves)")
	clientRaw := fs.String("client-raw", "", "with --server: the rawtcp host:port clients connect to (default: where the first server says it serves)")
	targetName := fs.String("target", "", "measure another server: a built-in target (nchan, centrifugo, pushbench; see 'pushbench target list') or a target file (see docs/TARGETS.md)")
	tokenFile := fs.String("token-file", "", "file holding the token of the workers' and servers' control APIs (default: $PUSHBENCH_TOKEN); sent to every --worker and --server, and handed to local ones")
	controlCA := fs.String("control-ca", "", "PEM certificates to trust for https:// --worker and --server addresses (their --control-tls-cert)")
	network := fs.String("network", "loopback", "network profile between load generator and server: loopback, proxy, lan, wan, mobile, satellite, nginx-stock, nginx-tuned, haproxy-stock, haproxy-tuned or a .json file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *workers < 0 || *workers > 256 {
		fs.Usage()
		return usageError{fmt.Sprintf("--workers %d: allowed 0 to 256", *workers)}
	}
	var err error
	if remotes, err = expandAddrs("--worker", remotes); err != nil {
		fs.Usage()
		return err
	}
	if srvs, err = expandAddrs("--server", srvs); err != nil {
		fs.Usage()
		return err
	}
	var control controlplane.Client
	if control.Token, err = controlplane.LoadToken("--token-file", *tokenFile, os.Getenv); err != nil {
		return usageError{err.Error()}
	}
	if control.Roots, err = controlplane.LoadCA(*controlCA); err != nil {
		return usageError{err.Error()}
	}
	if *serverProcs < 0 || *serverProcs > 64 {
		fs.Usage()
		return usageError{fmt.Sprintf("--server-procs %d: allowed 0 to 64", *serverProcs)}
	}
	if (*clientBase != "" || *clientRaw != "") && len(srvs) == 0 {
		fs.Usage()
		return usageError{"--client-base and --client-raw go with --server (servers this run does not start)"}
	}
	var target *scenarios.Target
	if *targetName != "" {
		t, err := scenarios.FindTarget(*targetName)
		if err != nil {
			return usageError{"--target: " + err.Error()}
		}
		if len(srvs) > 0 && !t.Serve {
			return usageError{"--target and --server: a target is its own server; give one of them"}
		}
		target = &t
	}
	if *count < 0 || *count > 100 {
		fs.Usage()
		return usageError{fmt.Sprintf("--count %d: allowed 0 to 100", *count)}
	}
	list, err := pickScenarios(scs)
	if err != nil {
		fs.Usage()
		return usageError{err.Error()}
	}
	if err := harness.CheckSelection(trs, list); err != nil {
		fs.Usage()
		return usageError{err.Error()}
	}
	profile, err := scenarios.FindNetwork(*network)
	if err != nil {
		fs.Usage()
		return usageError{err.Error()}
	}
	if *out == "" {
		*out = filepath.Join("out", "run-"+time.Now().Format("20060102-150405"))
	}
	isTerm := false
	if f, ok := stderr.(*os.File); ok {
		isTerm = term.IsTerminal(int(f.Fd()))
	}
	r, err := harness.New(harness.Config{Out: *out, Transports: trs, Quick: *quick, Count: *count, Pin: !*noPin, Network: profile,
		Log: stderr, Terminal: isTerm, Workers: *workers, WorkerAddrs: remotes, ServerProcs: *serverProcs,
		Servers: srvs, ClientBase: *clientBase, ClientRaw: *clientRaw, Target: target, Control: control})
	if err != nil {
		if strings.Contains(err.Error(), "unknown transport") {
			fs.Usage()
			return usageError{err.Error()}
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := r.Run(ctx, list)
	if err := r.Store().Close(); err != nil {
		fmt.Fprintf(stderr, "pushbench run: failed to write results.json (records/ holds every result): %v\n", err)
	}
	recs := r.Store().Records()
	if len(recs) > 0 {
		if _, err := report.Render(*out, recs, stdout); err != nil {
			fmt.Fprintf(stderr, "pushbench run: the report failed (results are saved; retry with pushbench report %s): %v\n", *out, err)
		}
	}
	fmt.Fprintf(stdout, "\n%d results in %s (report.html, report.md, plots/, bench.txt, results.json)\n", len(recs), *out)
	if runErr != nil {
		return runErr
	}
	failed := 0
	for _, rec := range recs {
		if rec.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d results are errors (see the error column and %s/results.json)", failed, len(recs), *out)
	}
	return nil
}

func pickScenarios(names []string) ([]scenarios.Scenario, error) {
	if len(names) == 0 {
		return scenarios.DefaultSuite()
	}
	var out []scenarios.Scenario
	for _, n := range names {
		if n != "" && slices.Contains(scenarios.Suites, n) {
			suite, err := scenarios.Suite(n)
			if err != nil {
				return nil, err
			}
			out = append(out, suite...)
			continue
		}
		sc, err := scenarios.Find(n)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// addrRange is a {A..B} range in an address.
var addrRange = regexp.MustCompile(`\{(\d+)\.\.(\d+)\}`)

// expandAddrs checks http:// and https:// addresses and expands one {A..B} range in
// each (http://w-{0..2}.x:7070 is w-0, w-1 and w-2).
func expandAddrs(flag string, in []string) ([]string, error) {
	var out []string
	for _, a := range in {
		if !strings.HasPrefix(a, "http://") && !strings.HasPrefix(a, "https://") {
			return nil, usageError{fmt.Sprintf("%s %q: want http://HOST:PORT (https:// for a control API over TLS)", flag, a)}
		}
		m := addrRange.FindStringSubmatchIndex(a)
		if m == nil {
			out = append(out, a)
			continue
		}
		lo, _ := strconv.Atoi(a[m[2]:m[3]])
		hi, _ := strconv.Atoi(a[m[4]:m[5]])
		if hi < lo || hi-lo >= 10000 {
			return nil, usageError{fmt.Sprintf("%s %q: the range {%d..%d} must run upwards over at most 10000 values", flag, a, lo, hi)}
		}
		for i := lo; i <= hi; i++ {
			out = append(out, a[:m[0]]+strconv.Itoa(i)+a[m[1]:])
		}
	}
	return out, nil
}
