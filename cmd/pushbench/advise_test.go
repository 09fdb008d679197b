package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/advise"
)

// adviseEvidence writes a results folder: websocket, sse-lean and the
// rawtcp floor, idle and fanout at three sizes, two repetitions; p99 is
// 1 ms + 10 µs per client (+ the repetition), so the floor's is 2.001 ms.
func adviseEvidence(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := results.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for rep := 1; rep <= 2; rep++ {
		for _, tr := range []string{"websocket", "sse-lean", "rawtcp"} {
			for _, n := range []int{100, 1000, 2000} {
				idle := results.Record{Scenario: "idle", Kind: "idle", Transport: tr, Repetition: rep,
					Params: results.Params{Clients: n, Network: "loopback"}}
				idle.Server.RSSBytes, idle.Server.RSSPerConn = int64(20<<20+30<<10*n), 30<<10
				idle.Server.CPUSeconds, idle.Delivery.WindowS = 0.004+4e-6*float64(n), 4
				idle.Wire.BytesPerConnMin, idle.Wire.BytesIn, idle.Wire.BytesOut = 200, 150, 50
				fan := results.Record{Scenario: "fanout", Kind: "broadcast", StepParam: "clients", Transport: tr, Repetition: rep,
					Params: results.Params{Clients: n, Rate: 1, Payload: 64, Network: "loopback"}}
				fan.Latency = results.Summary{Count: 2 * int64(n), P99: 1000 + 10*int64(n) + int64(rep)}
				fan.Delivery.Counts = results.Counts{Expected: 2 * int64(n), Delivered: 2 * int64(n)}
				fan.Delivery.WindowS, fan.Delivery.DeliveredPerS = 2, float64(n)
				fan.Server.CPUSeconds = 0.002 + 2e-6*float64(n)
				fan.Wire.BytesPerMessage, fan.Wire.BytesIn, fan.Wire.BytesOut = 120, 90, 30
				for _, r := range []results.Record{idle, fan} {
					if err := st.Add(r); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// advise exits 2 with the reason on workloads that make no sense, and on
// bad flags; 0 with a ranking otherwise.
func TestAdviseExitCodes(t *testing.T) {
	dir := adviseEvidence(t)
	yaml := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(yaml, []byte("clients: 1250\ntabs: 8\nrate: 1/s\nslo_p99: 1s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"negative rate", []string{"--clients", "100", "--rate", "-1/s", dir}, 2, "rate -1/s: a negative or infinite rate means nothing"},
		{"SLO below the floor", []string{"--clients", "100", "--rate", "1/s", "--slo-p99", "1ms", dir}, 2, "below the raw-TCP floor's lowest measured p99 (2.0ms)"},
		{"no clients", []string{"--rate", "1/s", dir}, 2, "clients 0: want at least 1"},
		{"bad rate unit", []string{"--clients", "1", "--rate", "1/week", dir}, 2, "--rate 1/week: allowed a number per s, min, h or d"},
		{"bad format", []string{"--clients", "1", "--rate", "1", "--format", "xml", dir}, 2, "--format xml: allowed text, markdown or json"},
		{"bad workload file", []string{"--workload", dir + "/nope.yaml", dir}, 2, "--workload:"},
		{"missing evidence", []string{"--clients", "1", "--rate", "1", filepath.Join(dir, "nope")}, 1, "holds no results.json"},
		{"ok", []string{"--clients", "100", "--rate", "1/s", dir}, 0, ""},
		{"file, a flag over it", []string{"--workload", yaml, "--tabs", "2", dir}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"advise"}, c.args...), &out, &errOut)
			if code != c.code || !strings.Contains(errOut.String(), c.inStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), c.code, c.inStderr)
			}
			if c.code == 0 && !strings.Contains(out.String(), "hold-out") {
				t.Errorf("output lacks the models' hold-out:\n%s", out.String())
			}
		})
	}
}

// The YAML workload is read, and a flag given overrides it: eight tabs
// rule SSE out, two (the flag) do not; each row cites record files.
func TestAdviseWorkloadFileAndFlags(t *testing.T) {
	dir := adviseEvidence(t)
	yaml := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(yaml, []byte("clients: 1250\ntabs: 8\nrate: 1/s\nslo_p99: 1s\ntls: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	verdict := func(extra ...string) (string, advise.Output) {
		var out, errOut bytes.Buffer
		args := append([]string{"advise", "--workload", yaml, "--format", "json"}, extra...)
		if code := run(append(args, dir), &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var o advise.Output
		if err := json.Unmarshal(out.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		for _, r := range o.Advice.Rows {
			if r.Key.Transport == "sse-lean" {
				return r.Feasible, o
			}
		}
		t.Fatal("no sse-lean row")
		return "", o
	}
	if v, o := verdict(); v != advise.Infeasible || o.Advice.Workload.Tabs != 8 || o.Advice.Workload.Clients != 1250 {
		t.Errorf("from the file: sse-lean %s, workload %+v; want infeasible with 8 tabs", v, o.Advice.Workload)
	}
	v, o := verdict("--tabs", "2")
	if v != advise.Feasible || o.Advice.Workload.Tabs != 2 || o.Advice.Workload.Clients != 1250 {
		t.Errorf("--tabs 2 over the file: sse-lean %s, workload %+v; want feasible, 2 tabs, the file's clients", v, o.Advice.Workload)
	}
	for _, r := range o.Advice.Rows {
		for _, f := range r.Records {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("%s cites %s: %v", r.Key, f, err)
			}
		}
	}
}

// --calibrate measures this machine first (a reduced plan here: sse-lean,
// idle and fanout at two sizes, two repetitions) and ranks on what it
// measured: the folder holds the records the rows cite.
func TestAdviseCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the harness (-short)")
	}
	t.Setenv(cliEnv, "1") // the harness's server children are this binary, acting as pushbench
	saved := calibrationPlan
	t.Cleanup(func() { calibrationPlan = saved })
	calibrationPlan.steps = []calibrationStep{{scenario: "idle", clients: []int{5, 10}}, {scenario: "fanout", clients: []int{5, 10}}}
	calibrationPlan.transports = []string{"sse-lean"}
	dir := filepath.Join(t.TempDir(), "cal")
	var out, errOut bytes.Buffer
	code := run([]string{"advise", "--calibrate", "--calibrate-out", dir, "--clients", "20", "--rate", "1/s", "--slo-p99", "5s", "--format", "json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "calibrating on this machine into "+dir) {
		t.Errorf("stderr lacks the calibration line:\n%s", errOut.String())
	}
	var o advise.Output
	if err := json.Unmarshal(out.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Evidence) != 1 || o.Evidence[0] != dir {
		t.Errorf("evidence %q, want the calibration folder alone", o.Evidence)
	}
	if len(o.Models.Models) != 1 || o.Models.Models[0].Transport != "sse-lean" {
		t.Fatalf("models %+v, want sse-lean's", o.Models.Models)
	}
	m := o.Models.Models[0]
	if m.RSS == nil || m.RSS.Reps != 2 || m.RSS.HoldOut == nil || m.P99 == nil || m.P99.XMax != 10 {
		t.Errorf("sse-lean models: rss %+v, p99 %+v; want two repetitions, a hold-out, p99 fitted to 10 clients", m.RSS, m.P99)
	}
	for _, r := range o.Advice.Rows {
		if len(r.Records) == 0 {
			t.Errorf("%s cites no record", r.Key)
		}
		for _, f := range r.Records {
			if !strings.HasPrefix(f, dir) {
				t.Errorf("%s cites %s, outside the calibration folder", r.Key, f)
			}
		}
	}
}
