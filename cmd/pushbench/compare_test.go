package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
)

// compareExit runs "pushbench compare args" and returns its exit status, as
// main maps it, with stdout and stderr.
func compareExit(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	if _, ok := commands["compare"]; ok {
		code = run(append([]string{"compare"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	// Not registered yet: the same mapping as run.
	err := runCompare(args, &out, &errOut)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		code = 0
	case errors.As(err, &ue):
		code = 2
	default:
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(&errOut, "pushbench compare: %v\n", err)
	}
	return code, out.String(), errOut.String()
}

// writeRun writes an output folder holding n repetitions of latency/websocket
// whose p99 is p99(i) and lost messages lost.
func writeRun(t *testing.T, name string, n int, p99 func(i int) int64, lost int64) string {
	t.Helper()
	spread := []float64{1.00, 1.03, 0.98, 1.01, 0.97}
	var recs []results.Record
	for i := 0; i < n; i++ {
		f := spread[i]
		recs = append(recs, results.Record{
			Schema: results.SchemaVersion, Scenario: "latency", Transport: "websocket", Repetition: i + 1,
			Params:   results.Params{Clients: 100},
			Delivery: results.Delivery{Counts: results.Counts{Delivered: 1000, Lost: lost}, DeliveredPerS: 100 * f},
			Latency:  results.Summary{Count: 1000, P50: int64(3000 * f), P99: p99(i)},
		})
	}
	return writeFile(t, name, results.File{Schema: results.SchemaVersion, Records: recs})
}

func writeFile(t *testing.T, name string, v any) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteJSON(filepath.Join(dir, "results.json"), v); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCompareExitCodes(t *testing.T) {
	spread := []int64{8000, 8240, 7840, 8080, 7760}
	same := func(i int) int64 { return spread[i] }
	shuffled := func(i int) int64 { return spread[(i+2)%5] }
	slower := func(i int) int64 { return spread[i] * 3 / 2 }
	faster := func(i int) int64 { return spread[i] / 2 }
	base := writeRun(t, "base", 5, same, 0)
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := writeFile(t, "other", results.File{Schema: results.SchemaVersion, Records: []results.Record{
		{Schema: results.SchemaVersion, Scenario: "idle", Transport: "sse"}}})
	future := writeFile(t, "future", results.File{Schema: results.SchemaVersion + 1})
	missing := filepath.Join(t.TempDir(), "base-never-downloaded")
	empty := t.TempDir()
	// Every head repetition failed; the base had one failure of its own.
	failedBase, failedHead := mustLoad(t, base), mustLoad(t, base)
	failedBase[2].Error = "client 3: read: connection reset by peer"
	for i := range failedHead {
		failedHead[i].Error = "server exited: signal: killed"
	}
	oneFailed, allFailed := writeRecords(t, "one-failed", failedBase), writeRecords(t, "all-failed", failedHead)

	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"planted regression", []string{base, writeRun(t, "slow", 5, slower, 0)}, 1, "REGRESSION", "1 regression beyond threshold:\n  latency - websocket p99: 8.000ms -> 12.00ms, +50.00%"},
		{"planted improvement", []string{base, writeRun(t, "fast", 5, faster, 0)}, 0, "better", ""},
		{"noise only", []string{base, writeRun(t, "noise", 5, shuffled, 0)}, 0, "0 regressions, 0 worse within threshold, 0 better", ""},
		{"loss appears with one repetition", []string{writeRun(t, "b1", 1, same, 0), writeRun(t, "h1", 1, same, 7)}, 1, "zero rule", "latency - websocket lost"},
		{"results.json files and flags after the paths", []string{filepath.Join(base, "results.json"), filepath.Join(base, "results.json"), "--alpha", "0.01"}, 0, "alpha 0.01", ""},
		{"threshold raised above the change", []string{"--threshold", "p99=60", base, writeRun(t, "slow2", 5, slower, 0)}, 0, "worse", ""},
		{"missing folder", []string{base, filepath.Join(t.TempDir(), "nope")}, 2, "", "new: failed to read results"},
		{"garbage JSON", []string{garbage, base}, 2, "", "base: " + garbage + " is not a pushbench results file"},
		{"no common keys", []string{base, other}, 2, "", "share no (scenario, step, transport)"},
		{"schema mismatch", []string{base, future}, 2, "", fmt.Sprintf("has schema %d; this pushbench reads schema %d", results.SchemaVersion+1, results.SchemaVersion)},
		{"one path", []string{base}, 2, "", "want BASE and NEW, got 1 arguments"},
		{"bad alpha", []string{"--alpha", "2", base, base}, 2, "", "--alpha 2: allowed between 0 and 1"},
		{"unknown metric threshold", []string{"--threshold", "p42=1", base, base}, 2, "", `unknown metric "p42"`},
		{"help", []string{"-h"}, 0, "", "usage: pushbench compare"},
		{"every head repetition failed, one base repetition too", []string{oneFailed, allFailed}, 1, "1 of 5 failed",
			"latency - websocket error: failed in head: server exited: signal: killed (repetitions 1, 2, 3, 4, 5); in base too: client 3: read: connection reset by peer (repetition 3)"},
		{"failures in the base only", []string{oneFailed, base}, 0, "failed in base only, not a regression of the head: client 3", ""},
		{"no baseline", []string{missing, base}, 2, "", "base: no baseline at " + missing + ": the gate cannot pass without one (if this is the first run, say so with --first-run)"},
		{"no baseline on the first run", []string{"--first-run", missing, base}, 0, "no baseline at " + missing + ": --first-run, so nothing is compared", ""},
		{"a baseline on the first run is compared", []string{"--first-run", base, writeRun(t, "slow3", 5, slower, 0)}, 1, "REGRESSION", "latency - websocket p99"},
		{"an unreadable baseline on the first run", []string{"--first-run", garbage, base}, 2, "", "base: " + garbage + " is not a pushbench results file"},
		{"an empty baseline folder on the first run", []string{"--first-run", empty, base}, 2, "", "base: "},
		{"first run without NEW", []string{"--first-run", base, missing}, 2, "", "new: failed to read results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := compareExit(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.inStdout, stdout)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.inStderr, stderr)
			}
		})
	}
}

func mustLoad(t *testing.T, dir string) []results.Record {
	t.Helper()
	recs, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func writeRecords(t *testing.T, name string, recs []results.Record) string {
	t.Helper()
	return writeFile(t, name, results.File{Schema: results.SchemaVersion, Records: recs})
}
