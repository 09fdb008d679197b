package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/advise"
)

// rankedRow is a ranking row as the page and the test compare them.
type rankedRow struct {
	Key      string `json:"key"`
	Feasible string `json:"feasible"`
	Servers  int    `json:"servers"`
}

// goRanking is advise.Rank's order, verdicts and servers for w over recs,
// each record named as Render names it without a records/ folder.
func goRanking(t *testing.T, recs []results.Record, w advise.Workload) []rankedRow {
	t.Helper()
	ev := make([]advise.Evidence, len(recs))
	for i, r := range recs {
		ev[i] = advise.Evidence{Record: r, File: "results.json#" + strconv.Itoa(i+1)}
	}
	a, err := advise.Rank(w, advise.Build(ev))
	if err != nil {
		t.Fatal(err)
	}
	var out []rankedRow
	for _, r := range a.Rows {
		out = append(out, rankedRow{r.Key.String(), r.Feasible, r.Servers})
	}
	return out
}

// quickWorkload is the workload the page says it assumes for the quick
// records: the largest usable broadcast's clients, rate and payload.
func quickWorkload(t *testing.T, recs []results.Record) advise.Workload {
	t.Helper()
	w := advise.DefaultWorkload()
	for _, r := range recs {
		if r.Client == results.ClientLoadgen && r.Kind == "broadcast" && !r.Interrupted && r.Disqualified() == "" &&
			r.Params.Rate > 0 && r.Params.Clients > w.Clients {
			w.Clients, w.Rate, w.Payload = r.Params.Clients, advise.Rate(r.Params.Rate), r.Params.Payload
		}
	}
	if w.Clients == 0 {
		t.Fatal("the fixture has no usable broadcast record")
	}
	return w
}

func TestFrontPageStatesItsWorkloadAndRanking(t *testing.T) {
	dir, _ := renderQuick(t)
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	recs := fullRecords(t)
	w := quickWorkload(t, recs)
	front, h1 := strings.Index(html, "What should we use?"), strings.Index(html, "<h1>")
	if front < 0 || front > h1 {
		t.Fatalf("the page does not open on the ranking (front at %d, h1 at %d)", front, h1)
	}
	if want := fmt.Sprintf("Workload assumed:</b> %d clients", w.Clients); !strings.Contains(html, want) {
		t.Errorf("the page does not state the workload %q", want)
	}
	for i, r := range goRanking(t, recs, w) {
		row := fmt.Sprintf(`<tr data-key="%s" data-feasible="%s"`, r.Key, r.Feasible)
		at := strings.Index(html, row)
		if at < 0 {
			t.Errorf("row %d (%s, %s) not in the page", i+1, r.Key, r.Feasible)
		} else if !strings.HasPrefix(html[at+len(row):], fmt.Sprintf(` data-servers="%s"><td>%d</td>`, serversCell(r.Servers), i+1)) {
			t.Errorf("row %s is not ranked %d with %d servers: %.120s", r.Key, i+1, r.Servers, html[at:])
		}
	}
	if !strings.Contains(html, "results.json#") {
		t.Errorf("the ranking cites no record")
	}
}

func serversCell(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// TestFrontPageRanksAgainInHeadlessChromium opens the page in Debian's
// chromium, offline, and changes the what-if form: the script's ranking
// of the run's own workload must equal advise.Rank's, every ranking it
// shows after a change must equal advise.Rank's for the changed workload,
// the ranking must change, and the console must stay free of errors.
func TestFrontPageRanksAgainInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts Node with playwright-core and a headless Chromium")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's package (apt-get install chromium); .ci/run does")
	}
	if _, err := os.Stat("testdata/browser/node_modules/playwright-core"); err != nil {
		t.Fatal("playwright-core missing: run make node-deps")
	}
	dir, _ := renderQuick(t)
	shot := filepath.Join(dir, "front.png")
	if s := os.Getenv("PUSHBENCH_FRONT_SCREENSHOT"); s != "" {
		shot = s
	}
	cmd := exec.Command("node", "front.mjs", filepath.Join(dir, "report.html"), chromium, shot)
	cmd.Dir = "testdata/browser"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("browser check failed: %v\n%s", err, stderr.String())
	}
	var got struct {
		Front *struct {
			SameAsGo bool        `json:"sameAsGo"`
			Error    string      `json:"error"`
			Rows     []rankedRow `json:"rows"`
		} `json:"front"`
		Steps []struct {
			Name string      `json:"name"`
			Rows []rankedRow `json:"rows"`
			Text string      `json:"text"`
		} `json:"steps"`
		ConsoleErrors []string `json:"consoleErrors"`
		Requests      []string `json:"requests"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("browser check printed %q: %v", out, err)
	}
	if len(got.ConsoleErrors) != 0 || len(got.Requests) != 0 {
		t.Errorf("console errors %v, outside requests %v", got.ConsoleErrors, got.Requests)
	}
	if got.Front == nil || len(got.Steps) != 5 {
		t.Fatalf("the page's script did not run (front %v, %d steps)", got.Front, len(got.Steps))
	}
	recs := fullRecords(t)
	w := quickWorkload(t, recs)
	want := goRanking(t, recs, w)
	if !sameRows(got.Front.Rows, want) || !got.Front.SameAsGo || got.Front.Error != "" {
		t.Errorf("the script ranks the run's workload\n%v (same as Go by its own check: %v, error %q)\nGo ranks it\n%v", got.Front.Rows, got.Front.SameAsGo, got.Front.Error, want)
	}
	if !sameRows(got.Steps[0].Rows, want) {
		t.Errorf("the page opens on\n%v\nwant Go's\n%v", got.Steps[0].Rows, want)
	}
	// Each change, ranked by Go, is what the page shows.
	changed := []advise.Workload{w, w, w}
	changed[0].Clients *= 100
	changed[1].Clients *= 100
	changed[1].TLS = true
	changed[2] = changed[1]
	changed[2].Tabs = 8
	for i, cw := range changed {
		step := got.Steps[i+1]
		if g := goRanking(t, recs, cw); !sameRows(step.Rows, g) {
			t.Errorf("after %s the page shows\n%v\nGo ranks\n%v", step.Name, step.Rows, g)
		}
		if step.Text == got.Steps[i].Text {
			t.Errorf("the table did not change after %s", step.Name)
		}
	}
	if sameRows(got.Steps[3].Rows, got.Steps[0].Rows) {
		t.Errorf("8 browser tabs per user left the order and verdicts as they were: %v", got.Steps[3].Rows)
	}
	if got.Steps[4].Text != got.Steps[0].Text {
		t.Errorf("the reset button did not restore the run's ranking")
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}
}

func sameRows(a, b []rankedRow) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
