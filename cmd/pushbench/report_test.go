package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// TestReportSetsImplementationsSideBySide: runs against different servers
// given to pushbench report --out keep their implementation through the
// store, and report.md sets them side by side instead of pooling them.
func TestReportSetsImplementationsSideBySide(t *testing.T) {
	impls := []*results.Implementation{nil,
		{Name: "nchan", Version: "1.3.6", Model: "event loop", Local: true},
		{Name: "centrifugo", Version: "6.9.1", Model: "goroutine per connection", Local: false}}
	var dirs []string
	for i, im := range impls {
		d := filepath.Join(t.TempDir(), []string{"pushbench", "nchan", "centrifugo"}[i])
		dirs = append(dirs, d)
		st, err := results.NewStore(d)
		if err != nil {
			t.Fatal(err)
		}
		r := results.Record{Scenario: "latency", Kind: "broadcast", Transport: "websocket", Repetition: 1, Implementation: im,
			Params: results.Params{Clients: 10, Rate: 10, Network: "loopback", SLOP99Us: 500_000}}
		r.Delivery.Published, r.Delivery.Expected, r.Delivery.Delivered = 10, 100, 100
		r.Latency = results.Summary{Count: 100, P50: int64(1000 * (i + 1)), P99: int64(2000 * (i + 1)), Max: int64(2000 * (i + 1))}
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
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\n## implementations\n`),
		regexp.MustCompile(`\| +websocket \(nchan 1\.3\.6\) \| +event loop \| +- \| +100/100 \|`), // model, runtime (none given), delivered
		regexp.MustCompile(`\| +websocket \(centrifugo 6\.9\.1\) \|[^\n]*\| +not measured \|`),    // server µs/msg of a remote target
		regexp.MustCompile(`\| +websocket \| +centrifugo \| +6\.9\.1 \|[^\n]*\| +3ms \| +6ms \|`),
	} {
		if !want.Match(md) {
			t.Errorf("report.md does not match %s", want)
		}
	}
	if !strings.Contains(stdout.String(), "== implementations") {
		t.Errorf("the terminal report lacks the implementations section")
	}
}
