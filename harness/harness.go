// Package harness runs scenarios: for every scenario, repetition and
// transport it starts a `pushbench serve` child (pinned to its own CPU),
// drives a load generator in this process through the scenario's steps,
// samples the server from /proc, and writes one results.Record per step as
// soon as it is measured. A hung or crashed server is recorded as an error
// for that transport and the run goes on.
package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// Config configures a run.
type Config struct {
	Binary     string            // the pushbench binary to run as the server (default: this executable)
	Out        string            // output folder
	Transports []string          // default: every registered transport
	Quick      bool              // the scenarios' reduced forms
	Count      int               // repetitions, overriding the scenarios' (0: theirs)
	Pin        bool              // pin server and load generator to separate CPUs when there are two
	Network    scenarios.Network // conditions between load generator and server (zero: loopback, no proxy)
	Log        io.Writer
	Terminal   bool // Log is a terminal: live progress line
	// Workers is the number of local load-generator worker processes
	// (0: as many as the largest step needs within the open-file limit).
	Workers int
	// WorkerAddrs are running workers (pushbench worker) to use, on this
	// host or others, as http://host:port; with them no local ones start
	// unless Workers asks for them too.
	WorkerAddrs []string
	// ServerProcs is the number of local server processes sharing one
	// port (0: as many as the largest step needs within the open-file
	// limit).
	ServerProcs int
	// Servers are the control addresses (http://host:port) of servers
	// running elsewhere (pushbench serve --control --control-addr); with
	// them none is started here. Clients connect to ClientBase and
	// ClientRaw (default: where the first server says it serves).
	Servers               []string
	ClientBase, ClientRaw string
	// Target is the server to measure when it is not pushbench's own
	// (nil, or a target with Serve: pushbench serve).
	Target *scenarios.Target
	// Control is how the run reaches the control APIs of workers and
	// servers: the token it sends (and hands its own children) and the
	// certificates it trusts for https:// addresses.
	Control controlplane.Client

	// hook, set by tests, is called at points of a run: "connected" after
	// a step's clients connect, "window" when its window opens, "recorded"
	// after a record is written.
	hook func(event string, serverPID int)
}

// Runner runs scenarios into a results store.
type Runner struct {
	cfg        Config
	store      *results.Store
	machine    results.Machine
	pinning    string
	runID      string
	defaultSel bool // no --transports given: each scenario runs its own list
	srvCPU     int
	srvProcs   int
	fileLimit  uint64 // RLIMIT_NOFILE in force for the load generator
	targetRuns int    // targets started so far: each gets a folder of its own
}

// New prepares a run: output folder, machine facts, CPU pinning.
func New(cfg Config) (*Runner, error) {
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("failed to find the pushbench binary: %w", err)
		}
		cfg.Binary = exe
	}
	if cfg.Network.Name == "" {
		cfg.Network = scenarios.Network{Name: "loopback"}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	defaultSel := len(cfg.Transports) == 0
	if defaultSel {
		for _, t := range transports.Bases() {
			cfg.Transports = append(cfg.Transports, t.Name)
		}
	}
	for _, n := range cfg.Transports {
		if _, err := transports.Lookup(n); err != nil {
			return nil, err
		}
	}
	store, err := results.NewStore(cfg.Out)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, store: store, runID: time.Now().UTC().Format("20060102T150405Z"), srvCPU: -1, defaultSel: defaultSel}
	limit, err := proc.RaiseFileLimit(1 << 20)
	if err != nil {
		fmt.Fprintf(cfg.Log, "warning: %v\n", err)
	}
	r.fileLimit = limit
	r.pinning = fmt.Sprintf("none: server and load generator share %d CPUs (GOMAXPROCS %d)", proc.CPUs(), runtime.GOMAXPROCS(0))
	if cfg.Pin && proc.CPUs() >= 2 {
		if err := proc.Pin(os.Getpid(), 1); err != nil {
			return nil, err
		}
		runtime.GOMAXPROCS(1)
		r.srvCPU, r.srvProcs = 0, 1
		r.pinning = "server on CPU 0 (GOMAXPROCS 1), load generator on CPU 1 (GOMAXPROCS 1)"
	}
	r.machine = proc.Describe()
	return r, nil
}

// Store is where records go.
func (r *Runner) Store() *results.Store { return r.store }

// SelectionError is a run that would measure nothing for a scenario: it
// names an unknown transport, or the --transports list does not overlap
// its own. It is a usage error (exit 2). It wraps transports'
// *UnknownError when a name is unknown.
type SelectionError struct {
	msg   string
	cause error
}

func (e *SelectionError) Error() string { return e.msg }

// Unwrap returns the lookup error behind e, if any.
func (e *SelectionError) Unwrap() error { return e.cause }

// CheckSelection returns a *SelectionError when a scenario names a
// transport that is not registered or when selected (empty: every
// registered transport) leaves a scenario no transport to run.
func CheckSelection(selected []string, scs []scenarios.Scenario) error {
	var known []string
	for _, t := range transports.Bases() {
		known = append(known, t.Name)
	}
	given := selected
	if len(selected) == 0 {
		selected = known
	}
	for _, n := range selected {
		if _, err := transports.Lookup(n); err != nil {
			return &SelectionError{err.Error(), err}
		}
	}
	selected = given
	for _, sc := range scs {
		for _, n := range sc.Transports {
			if _, err := transports.Lookup(n); err != nil {
				return &SelectionError{fmt.Sprintf("scenario %s (%s): %v", sc.Name, sc.Source, err), err}
			}
		}
		if len(transportsFor(selected, sc)) == 0 {
			return &SelectionError{msg: fmt.Sprintf("scenario %s runs on %s, and --transports selects %s: nothing to run (known transports: %s)",
				sc.Name, strings.Join(sc.Transports, ","), strings.Join(selected, ","), strings.Join(known, ", "))}
		}
	}
	return nil
}

// Run runs every scenario; a failed transport is recorded and skipped, an
// interrupted run (ctx) stops with what it has written. A selection that
// leaves a scenario nothing to run is refused before anything runs.
func (r *Runner) Run(ctx context.Context, scs []scenarios.Scenario) error {
	if err := CheckSelection(r.selection(), scs); err != nil {
		return err
	}
	for _, sc := range scs {
		if r.cfg.Quick {
			q, err := sc.QuickForm()
			if err != nil {
				return err
			}
			sc = q
		}
		reps := sc.Repetitions
		if r.cfg.Count > 0 {
			reps = r.cfg.Count
		}
		for rep := 1; rep <= reps; rep++ {
			for _, name := range r.transportsFor(sc) {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("run interrupted: %w", err)
				}
				tr, _ := transports.Lookup(name)
				if sc.Kind == scenarios.Browser {
					r.runBrowser(ctx, sc, tr, rep) // browser.go
					continue
				}
				r.runTransport(ctx, sc, tr, rep)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted: %w", err)
	}
	return nil
}

func (r *Runner) transportsFor(sc scenarios.Scenario) []string {
	names := transportsFor(r.selection(), sc)
	if t := r.cfg.Target; t != nil && !t.Serve { // what the target serves
		var out []string
		for _, n := range names {
			if _, ok := t.Transports[n]; ok {
				out = append(out, n)
			}
		}
		return out
	}
	return names
}

// selection is the --transports list, nil when none was given.
func (r *Runner) selection() []string {
	if r.defaultSel {
		return nil
	}
	return r.cfg.Transports
}

// transportsFor is selected narrowed to the scenario's own list; with no
// selection, the scenario's list as it is (so a scenario naming variants
// runs them), or every base transport.
func transportsFor(selected []string, sc scenarios.Scenario) []string {
	if len(selected) == 0 { // none given: the scenario's own list (variants too), or every base transport
		if len(sc.Transports) > 0 {
			return sc.Transports
		}
		for _, t := range transports.Bases() {
			selected = append(selected, t.Name)
		}
		return selected
	}
	if len(sc.Transports) == 0 {
		return selected
	}
	var out []string
	for _, n := range selected {
		for _, m := range sc.Transports {
			if n == m {
				out = append(out, n)
			}
		}
	}
	return out
}

// errServerDown marks a step error after which the transport's remaining
// steps cannot run.
var errServerDown = errors.New("server down")
