package results_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

func TestStoreRoundTripAndIncrementalFiles(t *testing.T) {
	dir := t.TempDir()
	st, err := results.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := hdrhistogram.New(1, 60_000_000, 3)
	for _, v := range []int64{100, 200, 300, 5000} {
		_ = h.RecordValue(v)
	}
	recs := []results.Record{
		{Scenario: "latency", Transport: "websocket", Latency: results.Summarize(h), LatencyHist: h.Export()},
		{Scenario: "latency", Transport: "sse", Error: "server exited: signal: killed"},
	}
	for i, r := range recs {
		if err := st.Add(r); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "records", "*.json"))
		if len(files) != i+1 {
			t.Fatalf("after %d records, %d record files", i+1, len(files))
		}
		got, err := results.Load(dir)
		if err != nil || len(got) != i+1 {
			t.Fatalf("Load after %d: %d records, %v", i+1, len(got), err)
		}
	}
	got, _ := results.Load(dir)
	if got[0].Latency.P99 != h.ValueAtQuantile(99) || got[0].Latency.Max != h.Max() {
		t.Errorf("latency summary did not survive: %+v", got[0].Latency)
	}
	back := hdrhistogram.Import(got[0].LatencyHist)
	if back.TotalCount() != 4 || back.ValueAtQuantile(50) != h.ValueAtQuantile(50) {
		t.Errorf("histogram did not survive the round trip")
	}
	if got[1].Error == "" || got[1].Schema != results.SchemaVersion {
		t.Errorf("second record: %+v", got[1])
	}
	// A run killed before results.json was written still loads from records/.
	os.Remove(filepath.Join(dir, "results.json"))
	if again, err := results.Load(dir); err != nil || len(again) != 2 {
		t.Errorf("Load from records/: %d, %v", len(again), err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "output folder") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"schema":99,"records":[]}`), 0o644)
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("wrong schema: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "results.json"), []byte(`not json`), 0o644)
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "not a pushbench results file") {
		t.Errorf("garbage: %v", err)
	}
}
