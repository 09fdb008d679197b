package main

import (
	"context"
	"errors"
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
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
)

const runDoc = `usage: pushbench run [flags]

Runs scenarios against every transport: a pushbench serve child per
transport (pinned to its own CPU), the load generator in this process.
Results are written to the output folder as they are measured.

--worker-procs and --server-procs count the processes run starts here;
--worker and --server name ones already running elsewhere, by URL.
`

const runExamples = `  pushbench run                              # the full default suite
  pushbench run --quick                      # every scenario, reduced (CI)
  pushbench run --scenario latency --transports websocket,sse-lean
  pushbench run --scenario my-scenario.json --count 5
  pushbench run --scenario latency,fanout --network wan
  pushbench run --scenario faults                    # the fault scenarios
  pushbench run --scenario targets --target nchan    # nginx with Nchan, not pushbench's server
  pushbench run --scenario latency --target my-server.yaml  # your own server (docs/TARGETS.md)
  pushbench run --scenario scale --worker-procs 8 --server-procs 2
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

// runOpts is what run's flags set.
type runOpts struct {
	scs, trs, remotes, srvs                listFlag
	quick, noPin                           bool
	count, workers, serverProcs            int
	out, clientBase, clientRaw, targetName string
	tokenFile, controlCA, network          string
}

// runCLI defines run's flags over o.
func runCLI(o *runOpts, stderr io.Writer) *cli {
	c := newCLI("run", stderr)
	c.help = help{doc: runDoc, examples: runExamples, groups: []flagGroup{
		{"What to run", []string{"scenario", "transports", "quick", "count", "network"}},
		{"Where", []string{"target", "server", "client-base", "client-raw", "worker", "token-file", "control-ca"}},
		{"Scale", []string{"worker-procs", "server-procs", "no-pin"}},
		{"Output", []string{"out"}},
	}}
	c.Var(&o.scs, "scenario", "scenario name, .json file, or a suite: faults, scale (to 100,000 connections), cluster, tls (TLS and HTTP/2 variants), targets (latency, idle and fanout for make bench-targets), stacks (the same, idle to 50,000, for make bench-stacks); repeatable or comma-separated (default: the default suite)")
	c.Var(&o.trs, "transports", "comma-separated transports (default: all; see 'pushbench transports')")
	c.Bool(&o.quick, "quick", "run each scenario in its reduced form (CI)")
	c.Int(&o.count, "count", 0, 0, 100, "", "repetitions of each scenario (default: the scenario's own)")
	c.String(&o.network, "network", "loopback", "network profile between load generator and server: loopback, proxy, lan, wan, mobile, satellite, nginx-stock, nginx-tuned, haproxy-stock, haproxy-tuned or a .json file")

	c.String(&o.targetName, "target", "", "measure another server: a built-in target (nchan, centrifugo, pushbench; see 'pushbench target list') or a target file (see docs/TARGETS.md)")
	c.Var(&o.srvs, "server", "a running server's control `URL` (pushbench serve --control --control-addr) to use instead of starting one; repeatable, comma-separated or a range like --worker")
	c.String(&o.clientBase, "client-base", "", "with --server: the base URL clients connect to (default: where the first server says it serves)")
	c.String(&o.clientRaw, "client-raw", "", "with --server: the rawtcp host:port clients connect to (default: where the first server says it serves)")
	c.Var(&o.remotes, "worker", "a running load-generator worker (pushbench worker) to use, as a `URL` like http://HOST:PORT; repeatable, comma-separated, or a range: http://w-{0..9}.workers:7070")
	c.String(&o.tokenFile, "token-file", "", "file holding the token of the workers' and servers' control APIs (default: $PUSHBENCH_TOKEN); sent to every --worker and --server, and handed to local ones")
	c.String(&o.controlCA, "control-ca", "", "PEM certificates to trust for https:// --worker and --server addresses (their --control-tls-cert)")

	c.Int(&o.workers, "worker-procs", 0, 0, 256, "", "local load-generator worker processes to start (default: as many as the largest step needs within the open-file limit)")
	c.Int(&o.serverProcs, "server-procs", 0, 0, 64, "", "local server processes to start, sharing one port (default: as many as the largest step needs within the open-file limit)")
	c.Bool(&o.noPin, "no-pin", "do not pin server and load generator to separate CPUs")

	c.String(&o.out, "out", "", "output folder (default out/run-TIMESTAMP)")

	// --workers was one letter from --worker, which means something else.
	c.alias("workers", "worker-procs")
	return c
}

func runRun(args []string, stdout, stderr io.Writer) error {
	var o runOpts
	if err := runCLI(&o, stderr).parse(args); err != nil {
		return err
	}
	cfg, list, err := o.config()
	if err != nil {
		return err
	}
	cfg.Log = stderr
	if f, ok := stderr.(*os.File); ok {
		cfg.Terminal = term.IsTerminal(int(f.Fd()))
	}
	r, err := harness.New(cfg)
	if err != nil {
		var unknown *transports.UnknownError
		if errors.As(err, &unknown) {
			return usageError{"--transports: " + err.Error()}
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := r.Run(ctx, list)
	return finishRun(r, runErr, cfg.Out, stdout, stderr)
}

// config checks what the flags' own ranges do not (addresses, the control
// plane's token and CA, the target, the scenarios against the transports,
// the network) and returns the run's configuration (without its log) and
// scenarios; a bad value is a usageError.
func (o *runOpts) config() (harness.Config, []scenarios.Scenario, error) {
	remotes, err := expandAddrs("--worker", o.remotes)
	if err != nil {
		return harness.Config{}, nil, err
	}
	srvs, err := expandAddrs("--server", o.srvs)
	if err != nil {
		return harness.Config{}, nil, err
	}
	var control controlplane.Client
	if control.Token, err = controlplane.LoadToken("--token-file", o.tokenFile, os.Getenv); err != nil {
		return harness.Config{}, nil, usageError{err.Error()}
	}
	if control.Roots, err = controlplane.LoadCA(o.controlCA); err != nil {
		return harness.Config{}, nil, usageError{err.Error()}
	}
	if (o.clientBase != "" || o.clientRaw != "") && len(srvs) == 0 {
		return harness.Config{}, nil, usageError{"--client-base and --client-raw go with --server (servers this run does not start)"}
	}
	target, list, err := o.selection(len(srvs) > 0)
	if err != nil {
		return harness.Config{}, nil, err
	}
	profile, err := scenarios.FindNetwork(o.network)
	if err != nil {
		return harness.Config{}, nil, usageError{"--network: " + err.Error()}
	}
	out := o.out
	if out == "" {
		out = filepath.Join("out", "run-"+time.Now().Format("20060102-150405"))
	}
	return harness.Config{Out: out, Transports: o.trs, Quick: o.quick, Count: o.count, Pin: !o.noPin, Network: profile,
		Workers: o.workers, WorkerAddrs: remotes, ServerProcs: o.serverProcs,
		Servers: srvs, ClientBase: o.clientBase, ClientRaw: o.clientRaw, Target: target, Control: control}, list, nil
}

// selection is the target (nil: pushbench's own server) and the scenarios
// to run, checked against the transports and the target; servers says
// that --server names servers this run does not start.
func (o *runOpts) selection(servers bool) (*scenarios.Target, []scenarios.Scenario, error) {
	var target *scenarios.Target
	if o.targetName != "" {
		t, err := scenarios.FindTarget(o.targetName)
		if err != nil {
			return nil, nil, usageError{"--target: " + err.Error()}
		}
		if servers && !t.Serve {
			return nil, nil, usageError{"--target and --server: a target is its own server; give one of them"}
		}
		target = &t
	}
	list, err := pickScenarios(o.scs)
	if err != nil {
		return nil, nil, usageError{"--scenario: " + err.Error()}
	}
	if err := harness.CheckSelection(o.trs, list); err != nil {
		return nil, nil, usageError{err.Error()}
	}
	if target != nil {
		if err := harness.CheckTargetScenarios(*target, list); err != nil {
			return nil, nil, usageError{err.Error()}
		}
	}
	return target, list, nil
}

// finishRun writes results.json and the report of what r recorded in out
// and returns the run's error, or one counting the results that are errors.
func finishRun(r *harness.Runner, runErr error, out string, stdout, stderr io.Writer) error {
	if err := r.Store().Close(); err != nil {
		fmt.Fprintf(stderr, "pushbench run: failed to write results.json (records/ holds every result): %v\n", err)
	}
	recs := r.Store().Records()
	if len(recs) > 0 {
		if _, err := report.Render(out, recs, stdout); err != nil {
			fmt.Fprintf(stderr, "pushbench run: the report failed (results are saved; retry with pushbench report %s): %v\n", out, err)
		}
	}
	fmt.Fprintf(stdout, "\n%d results in %s (report.html, report.md, plots/, bench.txt, results.json)\n", len(recs), out)
	if runErr != nil {
		return runErr
	}
	failed, limits := countErrors(recs)
	if limits > 0 {
		fmt.Fprintf(stdout, "%d steps of a client ramp were past a limit (each after a step of the same transport that held): what the ramp looks for, not a failure\n", limits)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d results are errors (see the error column and %s/results.json)", failed, len(recs), out)
	}
	return nil
}

// countErrors splits the error records into failures and limits: a step
// that ramps the clients and errs (or was left unrun) after an earlier
// step of the same scenario, transport, server and repetition held is the
// limit the ramp found.
func countErrors(recs []results.Record) (failed, limits int) {
	type run struct {
		scenario, transport, impl string
		rep                       int
	}
	held := map[run]int{} // the lowest step that ran without error
	key := func(r results.Record) run {
		return run{r.Scenario, r.Transport, results.ImplementationOf(r).Name, r.Repetition}
	}
	for _, r := range recs {
		if r.Error == "" {
			if s, ok := held[key(r)]; !ok || r.Step < s {
				held[key(r)] = r.Step
			}
		}
	}
	for _, r := range recs {
		if r.Error == "" {
			continue
		}
		if s, ok := held[key(r)]; ok && r.StepParam == "clients" && r.Step > s {
			limits++
			continue
		}
		failed++
	}
	return failed, limits
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

// typeName is a list's name in -h.
func (l *listFlag) typeName() string { return "list" }
