package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// workflowGate reads the example CI workflow's own settings: the
// repetitions of its head run and the arguments of its compare step.
func workflowGate(t *testing.T) (count int, compareFlags []string) {
	t.Helper()
	b, err := os.ReadFile("../../.github/workflows/bench.yml")
	if err != nil {
		t.Fatal(err)
	}
	yml := string(b)
	run := regexp.MustCompile(`bin/pushbench run [^\n]*--count (\d+)`).FindStringSubmatch(yml)
	if run == nil {
		t.Fatal("bench.yml: no 'bin/pushbench run ... --count N' line")
	}
	count, _ = strconv.Atoi(run[1])
	cmp := regexp.MustCompile(`bin/pushbench compare ([^\n]*) out/base out/head`).FindStringSubmatch(yml)
	if cmp == nil {
		t.Fatal("bench.yml: no 'bin/pushbench compare ... out/base out/head' line")
	}
	return count, strings.Fields(cmp[1])
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
