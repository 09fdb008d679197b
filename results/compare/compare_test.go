package compare_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/compare"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// noise is the repetition-to-repetition spread of every synthetic metric;
// shuffled is the same values in another order.
var (
	noise    = []float64{1.00, 1.03, 0.98, 1.01, 0.97, 1.02}
	shuffled = []int{3, 0, 4, 2, 1, 5}
)

// measured is a healthy record of key (scenario, transport) whose every
// metric is scaled by f.
func measured(scenario, transport string, rep int, f float64) results.Record {
	us := func(v float64) int64 { return int64(v * f) }
	return results.Record{
		Schema: results.SchemaVersion, Scenario: scenario, Transport: transport, Repetition: rep,
		Params:   results.Params{Clients: 100, Network: "loopback"},
		Delivery: results.Delivery{Counts: results.Counts{Delivered: 10000}, DeliveredPerS: 1000 * f},
		Latency:  results.Summary{Count: 10000, P50: us(3000), P90: us(5000), P99: us(8000), P999: us(9000), Max: us(12000)},
		Connect:  results.Summary{Count: 100, P99: us(200)},
		Wire:     results.Wire{BytesPerMessage: 360 * f, BytesPerConnMin: 2e5 * f},
		Server:   results.Resources{CPUPerMessageUs: 35 * f, CPUPerConnSecUs: 380 * f, RSSPerConn: 64e3 * f, HeapPerConn: 32e3 * f},
		Loadgen:  results.Resources{HeapPerConn: 44e3 * f},
	}
}

// runs are n repetitions of a key in base and head with the same spread
// (head's shuffled); change edits head repetition i.
func runs(scenario, transport string, n int, change func(i int, r *results.Record)) (base, head []results.Record) {
	for i := 0; i < n; i++ {
		base = append(base, measured(scenario, transport, i+1, noise[i]))
		h := measured(scenario, transport, i+1, noise[shuffled[i]%n])
		if change != nil {
			change(i, &h)
		}
		head = append(head, h)
	}
	return base, head
}

func mustCompare(t *testing.T, base, head []results.Record, opts compare.Options) *compare.Result {
	t.Helper()
	res, err := compare.Compare(base, head, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// verdicts maps metric to verdict, for a single key.
func verdicts(res *compare.Result) map[string]compare.Verdict {
	out := map[string]compare.Verdict{}
	for _, r := range res.Rows {
		out[r.Metric] = r.Verdict
	}
	return out
}

func expectOnly(t *testing.T, res *compare.Result, want map[string]compare.Verdict) {
	t.Helper()
	for metric, v := range verdicts(res) {
		w, ok := want[metric]
		if !ok {
			w = compare.Same
		}
		if v != w {
			t.Errorf("%s: %s, want %s", metric, v, w)
		}
	}
}

func TestPlantedRegression(t *testing.T) {
	base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
		r.Latency.P99 = base99(i) * 3 / 2
	})
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, map[string]compare.Verdict{"p99": compare.Regression})
	regs := res.Regressions()
	if len(regs) != 1 || !strings.Contains(regs[0], "latency - websocket p99") || !strings.Contains(regs[0], "+50.00%") {
		t.Errorf("regressions %q, want one for p99 +50%%", regs)
	}
}

func base99(i int) int64 { return int64(8000 * noise[i]) }

func TestPlantedImprovement(t *testing.T) {
	base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
		r.Latency.P99 = base99(i) / 2
		r.Delivery.DeliveredPerS = 1500 * noise[i]
	})
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, map[string]compare.Verdict{"p99": compare.Better, "delivered-rate": compare.Better})
	if regs := res.Regressions(); len(regs) != 0 {
		t.Errorf("regressions %q, want none", regs)
	}
}

func TestNoiseOnlyIsUnchanged(t *testing.T) {
	base, head := runs("fanout", "sse", 5, nil)
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, nil)
	if len(res.Rows) != len(results.Metrics) {
		t.Errorf("%d rows, want one per metric (%d)", len(res.Rows), len(results.Metrics))
	}
}

func TestWorseWithinThresholdUnlessConfigured(t *testing.T) {
	// A tight spread, so that +3% is significant.
	base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
		r.Latency.P99 = int64(8000+10*i) * 103 / 100
	})
	for i := range base {
		base[i].Latency.P99 = int64(8000 + 10*i)
	}
	// p99 +3% is significant but within the 5% default.
	expectOnly(t, mustCompare(t, base, head, compare.Options{}), map[string]compare.Verdict{"p99": compare.Worse})
	th, err := compare.ParseThresholds("p99=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectOnly(t, mustCompare(t, base, head, compare.Options{Thresholds: th}), map[string]compare.Verdict{"p99": compare.Regression})
}

func TestLossAppearingIsARegressionWithOneRepetition(t *testing.T) {
	base, head := runs("throughput", "longpoll", 1, func(i int, r *results.Record) {
		r.Delivery.Lost = 30
		r.Latency.P99 *= 2 // one sample each: never significant
	})
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, map[string]compare.Verdict{"lost": compare.Regression})
	for _, r := range res.Rows {
		if r.Metric == "p99" && !strings.Contains(r.Note, "need >= 4 samples") {
			t.Errorf("p99 with one sample: note %q, want benchmath's sample-size warning", r.Note)
		}
		if r.Metric == "lost" && !strings.Contains(r.Note, "zero rule") {
			t.Errorf("lost: note %q, want the zero rule", r.Note)
		}
	}
	// Loss in a single head repetition against an all-zero base is a
	// regression too, whatever the count; so are duplicates, reorderings
	// and unexpected messages.
	for metric, plant := range map[string]func(*results.Record){
		"lost":       func(r *results.Record) { r.Delivery.Lost = 3 },
		"duplicates": func(r *results.Record) { r.Delivery.Duplicates = 1 },
		"reorders":   func(r *results.Record) { r.Delivery.Reorders = 1 },
		"unexpected": func(r *results.Record) { r.Delivery.Unexpected = 1 },
	} {
		base, head = runs("throughput", "longpoll", 5, func(i int, r *results.Record) {
			if i == 0 {
				plant(r)
			}
		})
		expectOnly(t, mustCompare(t, base, head, compare.Options{}), map[string]compare.Verdict{metric: compare.Regression})
	}
	// A base that already had some loss leaves it to the U test.
	base, head = runs("throughput", "longpoll", 5, func(i int, r *results.Record) {
		if i == 0 {
			r.Delivery.Lost = 3
		}
	})
	base[1].Delivery.Lost = 2
	expectOnly(t, mustCompare(t, base, head, compare.Options{}), nil)
}

// Interrupted records are neither numbers nor failures: left out, and the
// notes say so. A saturated or mismatched head record is a failure.
func TestInterruptedSkippedSaturatedFails(t *testing.T) {
	base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
		if i == 1 {
			r.Interrupted = true
			r.Latency.P99 *= 10 // incomplete: must not enter the statistics
			r.Delivery.Lost = 500
		}
	})
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, nil)
	if !strings.Contains(strings.Join(res.Notes, "\n"), "interrupted records left out, neither numbers nor failures: 0 in base, 1 in head") {
		t.Errorf("notes do not say the interrupted record was left out: %q", res.Notes)
	}
	for name, spoil := range map[string]func(*results.Record){
		"saturated": func(r *results.Record) { r.Loadgen.Saturated = "load generator at 97% of 1 CPU" },
		"mismatch":  func(r *results.Record) { r.Delivery.Mismatch = "delivered 9 + lost 0 = 9, expected 10" },
	} {
		base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
			if i == 3 {
				spoil(r)
				r.Latency.P99 /= 2 // a "better" number that must not count
			}
		})
		res := mustCompare(t, base, head, compare.Options{})
		expectOnly(t, res, map[string]compare.Verdict{"error": compare.Regression})
		if regs := res.Regressions(); len(regs) != 1 || !strings.Contains(regs[0], "failed in head, not in base") {
			t.Errorf("%s: regressions %q", name, regs)
		}
	}
}

func TestErrorInHeadIsARegression(t *testing.T) {
	base, head := runs("burst", "sse", 5, func(i int, r *results.Record) {
		if i == 2 {
			r.Error = "server exited: signal: killed"
		}
	})
	res := mustCompare(t, base, head, compare.Options{})
	regs := res.Regressions()
	if len(regs) != 1 || !strings.Contains(regs[0], "failed in head, not in base: server exited") {
		t.Errorf("regressions %q, want the head's error", regs)
	}
	// The other four head repetitions are still compared.
	if v := verdicts(res); v["p99"] != compare.Same || v["error"] != compare.Regression {
		t.Errorf("verdicts %v", v)
	}
}

// A head whose every repetition failed is a regression even against a base
// that had a failure of its own (the rule once printed "~" and exited 0
// then); the line names each failed repetition and its error. A failure in
// the base only is reported, not held against the head.
func TestFailedHeadRepetitionsAreARegressionWhateverTheBase(t *testing.T) {
	base, head := runs("latency", "websocket", 5, func(i int, r *results.Record) {
		r.Error = "server exited: signal: killed"
		if i == 3 {
			r.Error = "dial tcp 127.0.0.1:9: connect: connection refused"
		}
	})
	base[1].Error = "client 7: read: connection reset by peer"
	res := mustCompare(t, base, head, compare.Options{})
	expectOnly(t, res, map[string]compare.Verdict{"error": compare.Regression})
	want := "latency - websocket error: failed in head: server exited: signal: killed (repetitions 1, 2, 3, 5); " +
		"dial tcp 127.0.0.1:9: connect: connection refused (repetition 4); " +
		"in base too: client 7: read: connection reset by peer (repetition 2)"
	if regs := res.Regressions(); len(regs) != 1 || regs[0] != want {
		t.Errorf("regressions %q, want [%q]", regs, want)
	}

	// The same failures in the base, none in the head.
	_, healthy := runs("latency", "websocket", 5, nil)
	res = mustCompare(t, head, healthy, compare.Options{})
	if regs := res.Regressions(); len(regs) != 0 {
		t.Errorf("failures in the base only: regressions %q, want none", regs)
	}
	for _, r := range res.Rows {
		if r.Metric == "error" && (r.Verdict != compare.Same || !strings.Contains(r.Note, "failed in base only, not a regression of the head: server exited: signal: killed (repetitions 1, 2, 3, 5)")) {
			t.Errorf("error row %s %q, want ~ naming the base's failed repetitions", r.Verdict, r.Note)
		}
	}
}

func TestInputsThatCannotBeCompared(t *testing.T) {
	base, _ := runs("latency", "websocket", 2, nil)
	_, other := runs("latency", "sse", 2, nil)
	newer := append([]results.Record(nil), base...)
	for i := range newer {
		newer[i].Schema = results.SchemaVersion + 1
	}
	quick := append([]results.Record(nil), base...)
	for i := range quick {
		quick[i].Params.Clients, quick[i].Params.DurationS = 20, 2
	}
	tests := []struct {
		name       string
		base, head []results.Record
		want       string
	}{
		{"different workloads", base, quick, "measured different workloads: latency/-/websocket (clients 100 vs 20, duration_s 0 vs 2)"},
		{"no common keys", base, other, "share no (scenario, step, transport): base has latency/-/websocket, head has latency/-/sse"},
		{"schema versions differ", base, newer, "schema"},
		{"empty head", base, nil, "head holds no records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compare.Compare(tt.base, tt.head, compare.Options{})
			if !compare.IsMismatch(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a MismatchError containing %q", err, tt.want)
			}
		})
	}
}

func TestDifferentStepsOrWorkloadsAreNotCompared(t *testing.T) {
	base, head := runs("fanout", "sse", 2, nil)
	b2, h2 := runs("fanout", "sse", 2, func(i int, r *results.Record) { r.Params.Rate = 50 })
	for i := range base {
		base[i].StepParam, base[i].StepValue = "clients", 100
		head[i].StepParam, head[i].StepValue = "clients", 20 // same step index, other value
		b2[i].Scenario, h2[i].Scenario = "latency", "latency"
	}
	b3, h3 := runs("idle", "sse", 2, nil)
	res := mustCompare(t, append(append(base, b2...), b3...), append(append(head, h2...), h3...), compare.Options{})
	for _, r := range res.Rows {
		if r.Key.Scenario != "idle" {
			t.Errorf("compared %v %s", r.Key, r.Step)
		}
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"different workload, not compared: latency/-/sse (rate 0 vs 50)", "in base only, not compared: fanout/clients=100/sse", "in head only, not compared: fanout/clients=20/sse"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestParseThresholds(t *testing.T) {
	got, err := compare.ParseThresholds(" p99=10, lost=0,p99.9=2.5% ", nil)
	if err != nil || len(got) != 3 || got["p99"] != 10 || got["lost"] != 0 || got["p99.9"] != 2.5 {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"p99", "nosuch=1", "p99=-1", "p99=abc", "p99=Inf"} {
		if _, err := compare.ParseThresholds(bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if compare.DefaultThreshold("lost") != 0 || compare.DefaultThreshold("p99") != 5 {
		t.Error("default thresholds changed: update the package and CLI docs")
	}
}

// TestTableGolden prints a comparison with every kind of row: regression,
// improvement, noise, the zero rule, too few samples, errors (in head only,
// in both runs, in base only) and keys in one run only.
func TestTableGolden(t *testing.T) {
	var base, head []results.Record
	add := func(b, h []results.Record) { base, head = append(base, b...), append(head, h...) }
	add(runs("latency", "websocket", 5, func(i int, r *results.Record) {
		r.Latency.P99 = base99(i) * 3 / 2
		r.Latency.P50 = int64(3000*noise[i]) * 6 / 10
	}))
	b, h := runs("fanout", "sse", 6, nil) // 6 repetitions: finite confidence intervals
	for i := range b {
		b[i].StepParam, b[i].StepValue, h[i].StepParam, h[i].StepValue = "clients", 100, "clients", 100
	}
	add(b, h)
	add(runs("throughput", "longpoll", 1, func(i int, r *results.Record) {
		r.Delivery.Lost = 30
		r.Latency.P99 *= 2
	}))
	add(runs("burst", "rawtcp", 1, func(i int, r *results.Record) { r.Error = "dial tcp: connection refused" }))
	b, h = runs("fault-reset", "sse", 2, func(i int, r *results.Record) { r.Error = "server exited: signal: killed" })
	b[1].Error = "server exited: signal: killed"
	add(b, h)
	h, b = runs("fault-stall", "longpoll", 1, func(i int, r *results.Record) {
		r.Loadgen.Saturated = "load generator at 97% of 1 CPU"
	})
	add(b, h)
	base = append(base, measured("idle", "shortpoll", 1, 1))
	_, only := runs("chat", "websocket", 1, nil)
	head = append(head, only...)

	var out bytes.Buffer
	if err := mustCompare(t, base, head, compare.Options{}).Write(&out); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out.String() != string(want) {
		t.Errorf("table differs from %s (go test -update rewrites it):\n%s", golden, out.String())
	}
}

// Runs against different servers are not compared: a regression between
// pushbench's own server and nginx+Nchan is no regression of either.
func TestCompareRefusesDifferentImplementations(t *testing.T) {
	base := []results.Record{{Schema: results.SchemaVersion, Scenario: "latency", Transport: "sse"}}
	head := []results.Record{{Schema: results.SchemaVersion, Scenario: "latency", Transport: "sse",
		Implementation: &results.Implementation{Name: "nchan", Version: "1.3.6", Local: true}}}
	_, err := compare.Compare(base, head, compare.Options{})
	if err == nil || !compare.IsMismatch(err) || !strings.Contains(err.Error(), "base measured pushbench, head nchan") {
		t.Fatalf("Compare = %v, want a mismatch naming both implementations", err)
	}
	head[0].Implementation = &results.Implementation{Name: "pushbench", Version: "git abc", Local: true}
	if _, err := compare.Compare(base, head, compare.Options{}); compare.IsMismatch(err) {
		t.Errorf("a new pushbench build against an older one is refused: %v", err)
	}
}
