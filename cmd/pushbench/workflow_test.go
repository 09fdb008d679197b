package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// workflowCommand returns the arguments of bench.yml's one
// "bin/pushbench SUB ..." line (SUB first), split into words and with $VAR and
// "$VAR" expanded from env as the step's shell would. Lines that need
// more of the shell than that fail the test rather than be misread.
func workflowCommand(t *testing.T, sub string, env map[string]string) []string {
	t.Helper()
	b, err := os.ReadFile("../../.github/workflows/bench.yml")
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^\s*(?:run:\s*)?bin/pushbench `+sub+` ([^\n]*)$`).FindAllStringSubmatch(string(b), -1)
	if len(lines) != 1 {
		t.Fatalf("bench.yml: %d 'bin/pushbench %s ...' lines, want 1", len(lines), sub)
	}
	line := strings.TrimSpace(lines[0][1])
	if i := strings.IndexAny(line, "'\\;|&<>`*?(){}[]#~"); i >= 0 {
		t.Fatalf("bench.yml: 'bin/pushbench %s %s' uses %q, which this test does not expand: extend workflowCommand", sub, line, line[i])
	}
	args := []string{sub}
	for _, w := range strings.Fields(line) {
		w = os.Expand(w, func(name string) string {
			v, ok := env[name]
			if !ok {
				t.Fatalf("bench.yml: 'bin/pushbench %s' uses $%s: give the test its value", sub, name)
			}
			return v
		})
		args = append(args, strings.ReplaceAll(w, `"`, ""))
	}
	return args
}

// workflowGate reads the example CI workflow's own settings: the
// repetitions of its head run and the flags of its compare step, as on a
// pull request that is not the first.
func workflowGate(t *testing.T) (count int, compareFlags []string) {
	t.Helper()
	run := workflowCommand(t, "run", nil)
	i := slices.Index(run, "--count")
	if i < 0 || i+1 >= len(run) {
		t.Fatalf("bench.yml: 'bin/pushbench run %s' has no --count N", strings.Join(run, " "))
	}
	count, err := strconv.Atoi(run[i+1])
	if err != nil {
		t.Fatalf("bench.yml: --count %s: %v", run[i+1], err)
	}
	cmp := workflowCommand(t, "compare", map[string]string{"FIRST_RUN": "false"})
	if n := len(cmp); n < 2 || cmp[n-2] != "out/base" || cmp[n-1] != "out/head" {
		t.Fatalf("bench.yml: 'bin/pushbench compare %s' does not end in out/base out/head", strings.Join(cmp, " "))
	}
	return count, cmp[1 : len(cmp)-2]
}

// The example gate, with the workflow's own count and thresholds, fires
// (exit 1) on a planted +50% p99 and on loss in one repetition against an
// all-zero base, and passes noise.
func TestWorkflowGateFires(t *testing.T) {
	count, flags := workflowGate(t)
	if count < 4 {
		t.Fatalf("bench.yml runs --count %d: Mann-Whitney at alpha 0.05 needs at least 4 a side to ever fire", count)
	}
	if count > 5 {
		t.Fatalf("bench.yml runs --count %d; the test's spread has 5 values: extend it", count)
	}
	spread := []int64{8000, 8240, 7840, 8080, 7760}
	same := func(i int) int64 { return spread[i] }
	noise := func(i int) int64 { return spread[(i+2)%count] + int64(i%2)*40 }
	slower := func(i int) int64 { return spread[i] * 3 / 2 }
	base := writeRun(t, "base", count, same, 0)
	gate := func(head string) (int, string, string) {
		return compareExit(append(append([]string(nil), flags...), base, head)...)
	}
	if code, out, errOut := gate(writeRun(t, "slow", count, slower, 0)); code != 1 || !strings.Contains(errOut, "websocket p99") {
		t.Errorf("planted +50%% p99 with %v and --count %d: exit %d, want 1\n%s\n%s", flags, count, code, out, errOut)
	}
	if code, out, errOut := gate(writeRun(t, "noise", count, noise, 0)); code != 0 {
		t.Errorf("noise with %v and --count %d: exit %d, want 0\n%s\n%s", flags, count, code, out, errOut)
	}
	// Loss in one head repetition only, against a base without any.
	dir := writeRun(t, "lossy", count, same, 0)
	recs := mustLoad(t, dir)
	recs[count-1].Delivery.Lost = 1
	lossy := writeRecords(t, "lossy1", recs)
	if code, out, errOut := gate(lossy); code != 1 || !strings.Contains(errOut, "lost") {
		t.Errorf("loss in one head repetition: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
}

// cliEnv makes this test binary act as the pushbench command (TestMain):
// a test then runs "pushbench run" as its own process, as the workflow
// does, and the harness's server children (os.Executable, this binary)
// serve as they do in a real run.
const cliEnv = "PUSHBENCH_TEST_AS_CLI"

// pushbench runs "pushbench args..." as a process in dir and returns its
// exit status and output.
func pushbench(t *testing.T, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), cliEnv+"=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("pushbench %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// The workflow's own commands on records measured here: its run command
// (one small scenario, one transport, the workflow's count) through the
// embedded toxiproxy, then its compare command, twice. The first run
// stands for main: its records become the baseline (the artifact's
// results.json and records/ in out/base) and its head, compared with that
// copy of itself, must pass. The second run stands for a pull request
// that made every message 50 ms late (a latency toxic on the server to
// client direction; the profile keeps the name, so the workload is the
// same): the gate must exit 1. A missing baseline must fail the compare
// step, except on a run marked first.
func TestWorkflowGateFiresOnRealRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the workflow's pushbench run twice through toxiproxy on loopback (about 40 s under -race on 2 cores)")
	}
	start := time.Now()
	runArgs := workflowCommand(t, "run", nil)
	cmpArgs := workflowCommand(t, "compare", map[string]string{"FIRST_RUN": "false"})
	if !slices.Contains(runArgs, "out/head") || cmpArgs[len(cmpArgs)-2] != "out/base" {
		t.Fatalf("bench.yml: run %v, compare %v: want the run to write out/head and compare out/base with it", runArgs, cmpArgs)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scenario := write("gate.json", `{"name":"gate","question":"Does the CI gate see 50 ms of delay?","kind":"broadcast",
		"clients":[4],"rate":[100],"payload":[64],"warmup":"200ms","duration":"500ms"}`)
	direct := write("path.json", `{"name":"gate-path","description":"the embedded toxiproxy, no toxics","proxy":true}`)
	delayed := write("path-delayed.json", `{"name":"gate-path","description":"the embedded toxiproxy, 50 ms server to client","proxy":true,"down":{"latency_ms":50}}`)
	head, base := filepath.Join(dir, "out", "head"), filepath.Join(dir, "out", "base")
	measure := func(network string) {
		t.Helper()
		if err := os.RemoveAll(head); err != nil {
			t.Fatal(err)
		}
		args := append(slices.Clone(runArgs), "--scenario", scenario, "--transports", "websocket", "--network", network)
		runStart := time.Now()
		if code, out, errOut := pushbench(t, dir, nil, args...); code != 0 {
			t.Fatalf("pushbench %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		t.Logf("pushbench run --network %s: %v", filepath.Base(network), time.Since(runStart).Round(100*time.Millisecond))
	}

	measure(direct)
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(base, os.DirFS(head)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := pushbench(t, dir, nil, cmpArgs...); code != 0 {
		t.Fatalf("the undelayed head against its own copy as the base: exit %d, want 0\n%s\n%s", code, out, errOut)
	}

	measure(delayed)
	code, out, errOut := pushbench(t, dir, nil, cmpArgs...)
	if code != 1 || !strings.Contains(errOut, "gate - websocket p50: ") {
		t.Fatalf("50 ms of delay: exit %d, want 1 with a p50 regression\n%s\n%s", code, out, errOut)
	}
	t.Logf("the gate on 50 ms of delay (exit %d):\n%s%s", code, out, errOut)
	// The delay was there: no message of the head's arrived sooner than
	// 50 ms after it was due, so its median cannot be below it.
	for _, r := range mustLoad(t, head) {
		if r.Latency.P50 < 50_000 {
			t.Errorf("head repetition %d: p50 %d us through a 50 ms latency toxic", r.Repetition, r.Latency.P50)
		}
	}

	if err := os.RemoveAll(base); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := pushbench(t, dir, nil, cmpArgs...); code != 2 || !strings.Contains(errOut, "no baseline at out/base") {
		t.Errorf("no baseline: exit %d, want 2 naming it\n%s\n%s", code, out, errOut)
	}
	first := workflowCommand(t, "compare", map[string]string{"FIRST_RUN": "true"})
	if code, out, errOut := pushbench(t, dir, nil, first...); code != 0 {
		t.Errorf("no baseline on a run marked first: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	t.Logf("took %v", time.Since(start).Round(100*time.Millisecond))
}
