package results_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/pushbench/pushbench/results"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// benchRecords is a small run: two repetitions of one key, a stepped
// scenario, a record on another network (a configuration change), a record
// that delivered nothing and one with an error.
func benchRecords() []results.Record {
	machine := results.Machine{CPUModel: "Test CPU @ 2.00GHz", GOMAXPROCS: 1, Commit: "5405a052113673ee"}
	pin := "server on CPU 0 (GOMAXPROCS 1), load generator on CPU 1 (GOMAXPROCS 1)"
	rec := func(sc string, step int, param string, value float64, tr string, rep int, p99 int64) results.Record {
		return results.Record{
			Schema: results.SchemaVersion, Scenario: sc, Step: step, StepParam: param, StepValue: value,
			Transport: tr, Repetition: rep, Machine: machine, Pinning: pin,
			Params:   results.Params{Clients: 100, Network: "loopback"},
			Delivery: results.Delivery{Counts: results.Counts{Delivered: 10000, Lost: int64(rep - 1)}, DeliveredPerS: 1008.95},
			Latency:  results.Summary{Count: 10000, P50: p99 / 3, P90: p99 / 2, P99: p99, P999: p99 + 100, Max: p99 + 500},
			Connect:  results.Summary{Count: 100, P99: 173},
			Wire:     results.Wire{BytesPerMessage: 362.63, BytesPerConnMin: 219526.29},
			Server:   results.Resources{CPUPerMessageUs: 37.68, CPUPerConnSecUs: 380.21, RSSPerConn: 64225.28, HeapPerConn: 32604.16},
			Loadgen:  results.Resources{HeapPerConn: 44728.32},
		}
	}
	recs := []results.Record{
		rec("latency", 0, "", 0, "websocket", 1, 7183),
		rec("latency", 0, "", 0, "websocket", 2, 7391),
		rec("fanout", 2, "clients", 1000, "sse-lean", 1, 25000),
		rec("throughput", 3, "rate", 200000, "rawtcp", 1, 1200),
	}
	slow := rec("latency", 0, "", 0, "websocket", 3, 90000)
	slow.Params.Network = "netem delay 50ms"
	empty := rec("idle", 0, "", 0, "shortpoll", 1, 0)
	empty.Delivery, empty.Latency = results.Delivery{}, results.Summary{}
	failed := rec("burst", 0, "", 0, "sse", 1, 0)
	failed.Error = "server exited: signal: killed\nand more"
	cut := rec("latency", 0, "", 0, "websocket", 4, 999999)
	cut.Interrupted = true
	return append(recs, slow, empty, failed, cut)
}

func TestWriteBenchFormatGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := results.WriteBenchFormat(&buf, benchRecords()); err != nil {
		t.Fatal(err)
	}
	// goos and goarch are the writing machine's.
	got := strings.Replace(buf.String(), "goos: "+runtime.GOOS+"\n", "goos: linux\n", 1)
	got = strings.Replace(got, "goarch: "+runtime.GOARCH+"\n", "goarch: amd64\n", 1)
	golden := filepath.Join("testdata", "bench.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// TestBenchFormatRoundTrip reads the output back with benchfmt, as benchstat
// does: names, configuration, values, units and their directions survive.
func TestBenchFormatRoundTrip(t *testing.T) {
	recs := benchRecords()
	var buf bytes.Buffer
	if err := results.WriteBenchFormat(&buf, recs); err != nil {
		t.Fatal(err)
	}
	var got []*benchfmt.Result
	better := map[string]string{}
	rd := benchfmt.NewReader(&buf, "bench.txt")
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		case *benchfmt.UnitMetadata:
			if rec.Key == "better" {
				better[rec.OrigUnit] = rec.Value
			}
		case *benchfmt.Result:
			got = append(got, rec.Clone())
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	var want []results.Record
	for _, r := range recs {
		if r.Error == "" && !r.Interrupted {
			want = append(want, r)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d results, want %d (records without error, not interrupted)", len(got), len(want))
	}
	for i, r := range want {
		res := got[i]
		if name := "Push/scenario=" + r.Scenario; !strings.HasPrefix(res.Name.String(), name) || res.Iters != 1 {
			t.Errorf("result %d: name %s iters %d, want %s... iters 1", i, res.Name, res.Iters, name)
		}
		if _, parts := res.Name.Parts(); len(parts) != 3 || string(parts[2]) != "/transport="+r.Transport {
			t.Errorf("result %d: name parts %q, want scenario, step, transport", i, parts)
		}
		for key, want := range map[string]string{"network": r.Params.Network, "commit": r.Machine.Commit, "pkg": results.BenchPackage, "gomaxprocs": "1", "pinning": r.Pinning} {
			if got := res.GetConfig(key); got != want {
				t.Errorf("result %d: %s %q, want %q", i, key, got, want)
			}
		}
		checkValues(t, i, r, res, better)
	}
}

func checkValues(t *testing.T, i int, r results.Record, res *benchfmt.Result, better map[string]string) {
	t.Helper()
	n := 0
	for _, m := range results.Metrics {
		if !m.Applies(r) {
			continue
		}
		n++
		unit, scale := results.BenchUnit(m)
		tidyScale, tidyUnit := benchunit.Tidy(1, unit)
		v, ok := res.Value(tidyUnit)
		if !ok {
			t.Errorf("result %d: no %s (unit %s)", i, m.Name, unit)
			continue
		}
		if want := m.Value(r) * scale * tidyScale; v != want {
			t.Errorf("result %d: %s = %v %s, want %v", i, m.Name, v, tidyUnit, want)
		}
		if better[unit] != m.Better.String() {
			t.Errorf("unit %s: better=%q, want %q", unit, better[unit], m.Better)
		}
	}
	if len(res.Values) != n {
		t.Errorf("result %d: %d values, want the %d applicable metrics", i, len(res.Values), n)
	}
}

func TestBenchUnitsAreDistinctAndTidy(t *testing.T) {
	seen := map[string]string{}
	for _, m := range results.Metrics {
		unit, scale := results.BenchUnit(m)
		if strings.ContainsAny(unit, " \t") || unit == "" {
			t.Errorf("%s: unit %q is empty or has spaces", m.Name, unit)
		}
		if other, dup := seen[unit]; dup {
			t.Errorf("%s and %s share unit %s: benchstat would merge them", m.Name, other, unit)
		}
		seen[unit] = m.Name
		if strings.HasPrefix(m.Unit, "us") {
			if _, tidied := benchunit.Tidy(1, unit); scale != 1000 || !strings.Contains(tidied, "sec") {
				t.Errorf("%s: unit %s scale %v tidies to %s, want nanoseconds tidied to seconds", m.Name, unit, scale, tidied)
			}
		}
	}
}
