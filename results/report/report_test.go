package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func quickRecords(t *testing.T) []results.Record {
	t.Helper()
	b, err := os.ReadFile("testdata/quick-results.json")
	if err != nil {
		t.Fatal(err)
	}
	var f results.File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Records
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n--- got ---\n%s", name, got)
	}
}

func TestTextAndMarkdownGolden(t *testing.T) {
	rep := report.Build(quickRecords(t))
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "quick.text.golden", text.Bytes())
	refs := []report.PlotRef{{Scenario: "latency", Title: "latency spectrum", PNG: "plots/latency-spectrum.png"}}
	if err := rep.WriteMarkdown(&md, refs); err != nil {
		t.Fatal(err)
	}
	golden(t, "quick.md.golden", md.Bytes())
}

func TestEverySectionAndClaimIsThere(t *testing.T) {
	rep := report.Build(quickRecords(t))
	var names []string
	for _, s := range rep.Sections {
		names = append(names, s.Scenario)
		if len(s.Tables) == 0 || len(s.Tables[0].Rows) == 0 {
			t.Errorf("%s: no table rows", s.Scenario)
		}
	}
	if got := strings.Join(names, ","); got != "latency,fanout,throughput,idle,payload,burst,chat,churn,instrument-cost" {
		t.Errorf("sections %s", got)
	}
	if len(rep.Claims) != 14 {
		t.Fatalf("%d claims, want C1..C14", len(rep.Claims))
	}
	for i, c := range rep.Claims {
		if want := "C" + itoa(i+1); c.ID != want || c.Verdict == "" || c.Evidence == "" {
			t.Errorf("claim %d: %+v", i, c)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestLossAndErrorsAreShownFirst plants loss, duplicates and an error.
func TestLossAndErrorsAreShownFirst(t *testing.T) {
	recs := quickRecords(t)
	var planted []results.Record
	for _, r := range recs {
		if r.Scenario != "latency" {
			continue
		}
		switch r.Transport {
		case "websocket":
			r.Delivery.Lost, r.Delivery.Delivered, r.Delivery.ClientsWithLoss, r.Delivery.Duplicates = 7, r.Delivery.Delivered-7, 2, 3
		case "sse":
			r.Error = "server exited: signal: killed"
		}
		planted = append(planted, r)
	}
	var text bytes.Buffer
	if err := report.Build(planted).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"!! websocket: 7 of", "messages lost, never arrived (2 clients affected), 3 duplicates", "!! ERROR sse: server exited: signal: killed", "1 error(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "!! ") > strings.Index(out, "┌") {
		t.Error("alerts come after the table; they must come first")
	}
}

// TestClaimsFollowTheNumbers flips a claim by changing the numbers.
func TestClaimsFollowTheNumbers(t *testing.T) {
	verdict := func(recs []results.Record, id string) string {
		for _, c := range report.Build(recs).Claims {
			if c.ID == id {
				return c.Verdict
			}
		}
		return ""
	}
	recs := quickRecords(t)
	if v := verdict(recs, "C6"); v != report.NotDecided {
		t.Errorf("C6 with no long-poll loss and no fault scenario = %s, want not decided", v)
	}
	lossy := append([]results.Record(nil), recs...)
	for i := range lossy {
		if lossy[i].Transport == "longpoll" && lossy[i].Scenario == "latency" {
			lossy[i].Delivery.Lost = 1
		}
	}
	if v := verdict(lossy, "C6"); v != report.Supported {
		t.Errorf("C6 with a lost long-poll message = %s, want supported", v)
	}
	var noPolls []results.Record
	for _, r := range recs {
		if r.Transport != "shortpoll" {
			noPolls = append(noPolls, r)
		}
	}
	if v := verdict(noPolls, "C2"); v != report.NotMeasured {
		t.Errorf("C2 without short poll = %s, want not measured", v)
	}
}
