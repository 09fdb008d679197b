package main

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
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
