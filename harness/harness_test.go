package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pushbench/pushbench/harness/netem"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/all"
	"go.uber.org/goleak"
)

var serverBin string

// TestMain builds the pushbench binary once: the harness runs it as the
// server child, as it does in a real run. After a passing run it fails if
// any goroutine is left (the harness starts goroutines per child, per
// worker and per step).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pushbench-harness")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "pushbench")
	build := exec.Command("go", "build", "-o", serverBin, "github.com/pushbench/pushbench/cmd/pushbench")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "failed to build pushbench for the harness tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines left after the harness tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func scenario(t *testing.T, js string) scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func newRunner(t *testing.T, trs []string) (*Runner, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	r, err := New(Config{Binary: serverBin, Out: t.TempDir(), Transports: trs, Log: &syncWriter{w: &log}})
	if err != nil {
		t.Fatal(err)
	}
	return r, &log
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestCountsReconcileForEveryTransport: published x clients = delivered +
// lost, and on loopback nothing is lost, duplicated or reordered.
func TestCountsReconcileForEveryTransport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a whole step per transport with pushbench serve and worker processes (tens of seconds)")
	}
	var names []string
	for _, tr := range transports.All() {
		names = append(names, tr.Name)
	}
	r, log := newRunner(t, names)
	sc := scenario(t, `{"name":"reconcile","kind":"broadcast","clients":[8],"rate":[200],"warmup":"200ms","duration":"1s","poll_interval":"20ms"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(names) {
		t.Fatalf("%d records for %d transports; log:\n%s", len(recs), len(names), log)
	}
	for _, rec := range recs {
		d := rec.Delivery
		if rec.Error != "" {
			t.Errorf("%s: error %s", rec.Transport, rec.Error)
			continue
		}
		if d.Published < 150 || d.Expected != d.Published*8 {
			t.Errorf("%s: published %d expected %d, want ~200 x 8 clients", rec.Transport, d.Published, d.Expected)
		}
		if d.Delivered+d.Lost != d.Expected || d.Mismatch != "" {
			t.Errorf("%s: delivered %d + lost %d != expected %d (mismatch %q)", rec.Transport, d.Delivered, d.Lost, d.Expected, d.Mismatch)
		}
		// The second witness: the server's own count of messages written,
		// read from its control API, against what the clients' parsers
		// handed over. On loopback with no connection lost they are equal.
		if d.ServerWritten == nil || *d.ServerWritten != d.Raw || d.Raw != d.Expected || !strings.HasPrefix(d.Witnesses, "two witnesses") {
			t.Errorf("%s: server wrote %v, clients parsed %d, expected %d (%s)", rec.Transport, d.ServerWritten, d.Raw, d.Expected, d.Witnesses)
		}
		if d.Lost != 0 || d.Duplicates != 0 || d.Reorders != 0 || d.Unexpected != 0 || d.Late != 0 || d.UnderRange != 0 {
			t.Errorf("%s: lost %d dups %d reorders %d unexpected %d late %d under-range %d on loopback", rec.Transport, d.Lost, d.Duplicates, d.Reorders, d.Unexpected, d.Late, d.UnderRange)
		}
		if g := rec.Loadgen; g.CPUSeconds <= 0 || g.CPUUtilization <= 0 || g.Cores < 1 || g.RSSBytes <= 0 {
			t.Errorf("%s: the load generator's own figures are missing: cpu %v s, %v of %v cores, rss %d", rec.Transport, g.CPUSeconds, g.CPUUtilization, g.Cores, g.RSSBytes)
		}
		if rec.Latency.Count != d.Delivered {
			t.Errorf("%s: %d latency samples for %d deliveries", rec.Transport, rec.Latency.Count, d.Delivered)
		}
		if rec.Wire.BytesIn <= int64(d.Delivered)*int64(rec.Params.MessageBytes) {
			t.Errorf("%s: %d bytes in for %d messages of %d bytes: the socket count is too low", rec.Transport, rec.Wire.BytesIn, d.Delivered, rec.Params.MessageBytes)
		}
		if rec.Machine.GoVersion == "" || rec.Pinning == "" || rec.Server.RSSBytes == 0 {
			t.Errorf("%s: record lacks machine, pinning or server samples", rec.Transport)
		}
		// The record carries its descriptor's facts (through the JSON
		// file), and the protocol minimum is a lower bound of what it sent.
		if tr, err := transports.Lookup(rec.Transport); err != nil || rec.Facts == nil || !reflect.DeepEqual(*rec.Facts, *tr.Facts(rec.Params.MessageBytes, false)) {
			t.Errorf("%s: record facts %+v, not its descriptor's", rec.Transport, rec.Facts)
		} else if m := float64(rec.Facts.MinimumBytes); m <= float64(rec.Params.MessageBytes) || rec.Wire.BytesPerMessage < m {
			t.Errorf("%s: protocol minimum %v B for a %d B message, measured %v B/msg", rec.Transport, m, rec.Params.MessageBytes, rec.Wire.BytesPerMessage)
		}
	}
}

// TestKilledServerIsRecordedAndTheRunGoesOn kills the first transport's
// server once its clients are connected.
func TestKilledServerIsRecordedAndTheRunGoesOn(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs whole steps and kills a server process")
	}
	r, log := newRunner(t, []string{"sse-lean", "longpoll"})
	var once sync.Once
	r.cfg.hook = func(event string, pid int) {
		if event == "connected" {
			once.Do(func() { syscall.Kill(pid, syscall.SIGKILL) })
		}
	}
	sc := scenario(t, `{"name":"kill","kind":"broadcast","clients":[3,6],"rate":[50],"warmup":"100ms","duration":"500ms"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, _ := results.Load(r.cfg.Out)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (2 steps x 2 transports); log:\n%s", len(recs), log)
	}
	for _, rec := range recs {
		killed := rec.Transport == "sse-lean"
		if killed && !strings.Contains(rec.Error, "server") {
			t.Errorf("sse-lean step %d: error %q, want the server's death", rec.Step, rec.Error)
		}
		if !killed && (rec.Error != "" || rec.Delivery.Lost != 0 || rec.Delivery.Delivered == 0) {
			t.Errorf("longpoll step %d after the kill: error %q lost %d delivered %d", rec.Step, rec.Error, rec.Delivery.Lost, rec.Delivery.Delivered)
		}
	}
}

// TestInterruptedRunKeepsWhatItMeasured cancels the run after its first
// record.
func TestInterruptedRunKeepsWhatItMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs whole steps with server and worker processes until one record is saved")
	}
	r, _ := newRunner(t, []string{"sse-lean", "longpoll", "shortpoll"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.cfg.hook = func(event string, _ int) {
		if event == "recorded" {
			cancel()
		}
	}
	sc := scenario(t, `{"name":"interrupt","kind":"broadcast","clients":[2],"rate":[20],"warmup":"100ms","duration":"300ms"}`)
	err := r.Run(ctx, []scenarios.Scenario{sc})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run = %v, want an interruption error", err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil || len(recs) != 1 || recs[0].Error != "" {
		t.Fatalf("after interruption: %d records, %v; want the one measured before", len(recs), err)
	}
}

func TestServerStartFailureIsReported(t *testing.T) {
	_, err := startServer(context.Background(), "/nonexistent/pushbench", serverArgs{Transport: "sse-lean", Ring: 10, CPU: -1})
	if err == nil || !strings.Contains(err.Error(), "failed to start server") {
		t.Errorf("err = %v", err)
	}
	_, err = startServer(context.Background(), serverBin, serverArgs{Transport: "nope", Ring: 10, CPU: -1})
	if err == nil || !strings.Contains(err.Error(), `unknown transport "nope"`) {
		t.Errorf("err = %v, want the server's own message", err)
	}
}

func TestFileBudgetNamesTheLimitAndTheKnob(t *testing.T) {
	r := &Runner{fileLimit: 20000}
	sc := scenario(t, `{"name":"big","kind":"broadcast","clients":[10000],"rate":[1],"duration":"1s"}`)
	st := sc.Steps()[0]
	if err := r.checkFileBudget(sc, st, &network{}, 1, 1); err != nil {
		t.Errorf("10000 direct clients within 20000 files: %v", err)
	}
	err := r.checkFileBudget(sc, st, &network{name: "wan", idle: &netem.IdleProxy{}}, 1, 1)
	if err == nil || !strings.Contains(err.Error(), "RLIMIT_NOFILE is 20000") || !strings.Contains(err.Error(), "--network loopback") || !strings.Contains(err.Error(), "20256") {
		t.Errorf("10000 clients through the proxy: %v, want the need, the limit and the knob", err)
	}
	big := scenario(t, `{"name":"big","kind":"broadcast","clients":[30000],"rate":[1],"duration":"1s"}`)
	err = r.checkFileBudget(big, big.Steps()[0], &network{}, 1, 2)
	if err == nil || !strings.Contains(err.Error(), "--worker-procs") || !strings.Contains(err.Error(), "30256") {
		t.Errorf("30000 clients on one worker: %v, want the need and --worker-procs", err)
	}
	err = r.checkFileBudget(big, big.Steps()[0], &network{}, 2, 1)
	if err == nil || !strings.Contains(err.Error(), "--server-procs") || !strings.Contains(err.Error(), "30512") {
		t.Errorf("30000 clients on one server process: %v, want the need and --server-procs", err)
	}
	if err := r.checkFileBudget(big, big.Steps()[0], &network{}, 2, 2); err != nil {
		t.Errorf("30000 clients over 2 workers and 2 server processes: %v", err)
	}
	if n, m := r.workersFor(big), r.serverProcsFor(big); n != 2 || m != 2 {
		t.Errorf("for 30000 clients at 20000 files each: %d workers, %d server processes; want 2 and 2", n, m)
	}
}

// TestInterruptedStepIsNotLoss cancels the run while a step's window is
// open: the step is saved as interrupted, with no error and no loss.
func TestInterruptedStepIsNotLoss(t *testing.T) {
	r, log := newRunner(t, []string{"shortpoll"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.cfg.hook = func(event string, _ int) {
		if event == "window" {
			cancel()
		}
	}
	sc := scenario(t, `{"name":"interrupt","kind":"broadcast","clients":[2],"rate":[50],"warmup":"100ms","duration":"2s","poll_interval":"500ms"}`)
	if err := r.Run(ctx, []scenarios.Scenario{sc}); err == nil {
		t.Fatal("Run after an interruption returned nil")
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d records, %v; log:\n%s", len(recs), err, log)
	}
	rec := recs[0]
	if !rec.Interrupted || rec.Error != "" || rec.Delivery.Lost != 0 {
		t.Errorf("interrupted %v, error %q, lost %d; want interrupted, no error, no loss", rec.Interrupted, rec.Error, rec.Delivery.Lost)
	}
	if rec.Disqualified() == "" {
		t.Error("an interrupted record may stand as a figure: Disqualified() is empty")
	}
}

// TestSeveralServerProcessesAndWorkers: three server processes on one port
// and two load-generator workers measure like one of each: every message
// delivered once, counts reconciled, the processes' connections summing to
// the clients, and each side's processes counted.
func TestSeveralServerProcessesAndWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts three server processes and two workers for a whole step")
	}
	r, log := newRunner(t, []string{"websocket", "rawtcp"})
	r.cfg.ServerProcs, r.cfg.Workers = 3, 2
	sc := scenario(t, `{"name":"procs","kind":"broadcast","clients":[30],"rate":[100],"warmup":"300ms","duration":"1s","connect_rate":1000}`)
	for _, rec := range runAll(t, r, log, sc, 2) {
		checkEveryMessageOnce(t, rec, 90, 30)
		if rec.Server.Processes != 3 || rec.Loadgen.Processes != 2 || len(rec.ServerConns) != 3 {
			t.Errorf("%s: %d server processes (%v), %d workers; want 3 and 2", rec.Transport, rec.Server.Processes, rec.ServerConns, rec.Loadgen.Processes)
		}
		var sum int64
		for _, n := range rec.ServerConns {
			sum += n
		}
		if sum != 30 {
			t.Errorf("%s: server processes hold %v connections, summing to %d, want 30", rec.Transport, rec.ServerConns, sum)
		}
	}
}

// TestChatRefusesSeveralServerProcesses: a scenario whose messages go
// through one shared log cannot be spread over processes with their own.
func TestChatRefusesSeveralServerProcesses(t *testing.T) {
	r, _ := newRunner(t, []string{"websocket"})
	r.cfg.ServerProcs = 2
	sc := scenario(t, `{"name":"room","kind":"chat","clients":[2],"rate":[1],"duration":"1s"}`)
	_ = r.Run(context.Background(), []scenarios.Scenario{sc})
	recs, _ := results.Load(r.cfg.Out)
	if len(recs) != 1 || !strings.Contains(recs[0].Error, "one shared log") || !strings.Contains(recs[0].Error, "--server-procs 1") {
		t.Fatalf("records %+v, want one error naming the shared log and the knob", recs)
	}
}

// TestDeadWorkerIsNamedAndTheOthersKept SIGKILLs one of two workers once
// the window is open: the record names it, counts its clients as failed,
// keeps the other worker's deliveries and cannot stand as a figure.
func TestDeadWorkerIsNamedAndTheOthersKept(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts two worker processes for a whole step and kills one")
	}
	r, log := newRunner(t, []string{"sse-lean"})
	r.cfg.Workers = 2
	var killed int
	r.cfg.hook = func(event string, _ int) {
		if event == "window" && killed == 0 {
			if ws := childrenOf(os.Getpid())["worker"]; len(ws) == 2 {
				killed = ws[1]
				syscall.Kill(killed, syscall.SIGKILL)
			}
		}
	}
	sc := scenario(t, `{"name":"dead","kind":"broadcast","clients":[10],"rate":[50],"warmup":"200ms","duration":"1s"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil || len(recs) != 1 || killed == 0 {
		t.Fatalf("%d records, %v, killed pid %d; log:\n%s", len(recs), err, killed, log)
	}
	rec := recs[0]
	d := rec.Delivery
	if rec.Error != "" || d.FailedClients != 5 || d.Expected != d.Published*5 || d.Delivered != d.Expected || rec.Loadgen.Processes != 1 {
		t.Errorf("error %q, failed clients %d, published %d, expected %d, delivered %d, workers %d; want the surviving 5 clients' full counts",
			rec.Error, d.FailedClients, d.Published, d.Expected, d.Delivered, rec.Loadgen.Processes)
	}
	if !strings.Contains(strings.Join(rec.Notes, " "), fmt.Sprintf("pid %d", killed)) {
		t.Errorf("notes %q do not name the dead worker (pid %d)", rec.Notes, killed)
	}
	if rec.Disqualified() == "" {
		t.Error("a record missing a worker's clients may stand as a figure")
	}
}

// runAll runs sc and returns its records, which must number n.
func runAll(t *testing.T, r *Runner, log fmt.Stringer, sc scenarios.Scenario, n int) []results.Record {
	t.Helper()
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil || len(recs) != n {
		t.Fatalf("%d records, %v, want %d; log:\n%s", len(recs), err, n, log)
	}
	return recs
}

// checkEveryMessageOnce: at least minPublished messages, each delivered
// once to each of clients, counts reconciled, no error.
func checkEveryMessageOnce(t *testing.T, rec results.Record, minPublished, clients int64) {
	t.Helper()
	d := rec.Delivery
	if rec.Schema != results.SchemaVersion || rec.Error != "" || d.Mismatch != "" || d.Lost != 0 || d.Duplicates != 0 || d.Published < minPublished || d.Delivered != d.Published*clients {
		t.Errorf("%s: schema %d error %q mismatch %q published %d delivered %d lost %d dups %d",
			rec.Transport, rec.Schema, rec.Error, d.Mismatch, d.Published, d.Delivered, d.Lost, d.Duplicates)
	}
}

// TestServerArgsUseCurrentFlagNames: the flags a run hands its serve
// children are today's names; an old one would still work, but with a
// deprecation note on the child's stderr.
func TestServerArgsUseCurrentFlagNames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := startServer(ctx, serverBin, serverArgs{Transport: "sse-lean", Ring: 100, Queue: 10, RingBytes: 1 << 20,
		Heartbeat: time.Second, Hold: time.Second, FirstSeq: 5, MaxStreams: 10, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop() // waits for the child, and so for all of its stderr
	if s := srv.child.stderr.String(); strings.Contains(s, "deprecated") {
		t.Errorf("serve was given an old flag name:\n%s", s)
	}
}
