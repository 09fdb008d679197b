package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/pushbench/pushbench/results"
)

// TestReportPoolsFolders: pushbench report --out pools the records of
// several runs into one report; several folders without --out is a usage
// error.
func TestReportPoolsFolders(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	for i, d := range dirs {
		st, err := results.NewStore(d)
		if err != nil {
			t.Fatal(err)
		}
		r := results.Record{Scenario: "latency", Transport: "websocket", Repetition: 1, Params: results.Params{Clients: 1, Network: []string{"loopback", "nginx-tuned"}[i]}}
		if err := st.Add(r); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "all")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"report", "--out", out}, dirs...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	recs, err := results.Load(out)
	if err != nil || len(recs) != 2 {
		t.Fatalf("pooled report holds %d records (%v), want 2", len(recs), err)
	}
	if code := run(append([]string{"report"}, dirs...), &stdout, &stderr); code != 2 {
		t.Errorf("several folders without --out: exit %d, want 2", code)
	}
}
