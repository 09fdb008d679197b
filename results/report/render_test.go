package report_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// fullRecords are the quick suite's records with their latency histograms,
// shared with the plots package's tests.
func fullRecords(t *testing.T) []results.Record {
	t.Helper()
	f, err := os.Open("../plots/testdata/quick-results.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var file results.File
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	return file.Records
}

func renderQuick(t *testing.T) (dir string, rep *report.Report) {
	t.Helper()
	dir = t.TempDir()
	var term bytes.Buffer
	rep, err := report.Render(dir, fullRecords(t), &term)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), "== latency") {
		t.Errorf("terminal output lacks the latency section")
	}
	return dir, rep
}

var externalRef = regexp.MustCompile(`(?i)(src|href)="(https?:|//|[^"#d][^"]*\.(png|svg|css|js))`)

func TestRenderWritesASelfContainedReport(t *testing.T) {
	dir, _ := renderQuick(t)
	for _, name := range []string{"report.md", "report.html", "bench.txt", "results.json", "plots/latency-spectrum.png", "plots/latency-spectrum.svg", "plots/fanout-p99.png"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png"))
	if n := strings.Count(string(html), `src="data:image/png;base64,`); n != len(pngs) || n == 0 {
		t.Errorf("%d embedded images for %d plots", n, len(pngs))
	}
	if m := externalRef.FindString(string(html)); m != "" {
		t.Errorf("report.html refers to an outside resource: %s", m)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, p := range pngs {
		if !strings.Contains(string(md), "plots/"+filepath.Base(p)) {
			t.Errorf("report.md does not link %s", filepath.Base(p))
		}
	}
}

// TestReportOpensInHeadlessChromium loads report.html in Debian's
// chromium, offline, 1400 px wide: every image must decode, nothing may be
// fetched, the console must stay free of errors, the page opens on the
// claims, and neither the page nor a table's box is wider than the window.
func TestReportOpensInHeadlessChromium(t *testing.T) {
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
	pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png"))
	cmd := exec.Command("node", "check.mjs", filepath.Join(dir, "report.html"), chromium)
	cmd.Dir = "testdata/browser"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("browser check failed: %v\n%s", err, stderr.String())
	}
	var got struct {
		Images        int      `json:"images"`
		Broken        []string `json:"broken"`
		Tables        int      `json:"tables"`
		Title         string   `json:"title"`
		ConsoleErrors []string `json:"consoleErrors"`
		Requests      []string `json:"requests"`
		FirstHeading  string   `json:"firstHeading"`
		AfterTitle    string   `json:"firstAfterTitle"`
		PageWidth     int      `json:"pageWidth"`
		ViewportWidth int      `json:"viewportWidth"`
		Overflowing   []string `json:"overflowing"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("browser check printed %q: %v", out, err)
	}
	if got.Images != len(pngs) || len(got.Broken) != 0 {
		t.Errorf("%d images in the page for %d plots; broken: %v", got.Images, len(pngs), got.Broken)
	}
	if len(got.ConsoleErrors) != 0 || len(got.Requests) != 0 {
		t.Errorf("console errors %v, outside requests %v", got.ConsoleErrors, got.Requests)
	}
	if got.Tables < 9 || !strings.HasPrefix(got.Title, "pushbench report") {
		t.Errorf("page has %d tables, title %q", got.Tables, got.Title)
	}
	if got.FirstHeading != "what-to-use" || got.AfterTitle != "claims" {
		t.Errorf("the page opens on %q and, after the run's title, %q: want the answer (what-to-use), then the claims", got.FirstHeading, got.AfterTitle)
	}
	if got.ViewportWidth != 1400 || got.PageWidth > got.ViewportWidth || len(got.Overflowing) != 0 {
		t.Errorf("at %d px the page is %d px wide; tables wider than their box: %q", got.ViewportWidth, got.PageWidth, got.Overflowing)
	}
}
