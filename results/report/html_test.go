package report_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results/report"
)

// pageOutline is what the structure test reads from report.html: the
// section headings in order, the tables, and the tables not inside their
// own scrolling box (a div of class scroll around the table alone).
type pageOutline struct {
	headings       []string // h2 ids
	tables         int
	tablesByClaims int // tables before the first section's heading
	unboxed        int
}

var (
	headingTag = regexp.MustCompile(`<h2 id="([^"]*)"`)
	tableTag   = regexp.MustCompile(`<table[ >]`)
	boxedTable = regexp.MustCompile(`<div class="scroll"[^>]*><table[ >][\s\S]*?</table></div>`)
)

func outline(page string) pageOutline {
	var o pageOutline
	for _, m := range headingTag.FindAllStringSubmatch(page, -1) {
		o.headings = append(o.headings, m[1])
	}
	o.tables = len(tableTag.FindAllStringIndex(page, -1))
	o.unboxed = o.tables - len(boxedTable.FindAllStringIndex(page, -1))
	if hs := headingTag.FindAllStringIndex(page, 3); len(hs) >= 2 {
		o.tablesByClaims = len(tableTag.FindAllStringIndex(page[hs[0][0]:hs[1][0]], -1))
	}
	return o
}

// report.html opens on the claims, right after the run's header and
// before every section's tables; every table scrolls inside its own box
// so a wide one never widens the page; the files are readable by a web
// server in front of the folder (0644).
func TestHTMLPageStructureAndMode(t *testing.T) {
	dir := t.TempDir()
	rep, err := report.Render(dir, threeImplementations(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	o := outline(string(b))
	if len(o.headings) != len(rep.Sections)+2 || o.headings[0] != "what-to-use" || o.headings[1] != "claims" {
		t.Fatalf("h2 headings %q: want the answer, the claims, then the %d sections", o.headings, len(rep.Sections))
	}
	for i, s := range rep.Sections {
		if o.headings[i+2] != s.Scenario {
			t.Errorf("heading %d is %q, want section %q", i+2, o.headings[i+2], s.Scenario)
		}
	}
	if o.tablesByClaims != 1 {
		t.Errorf("%d tables between the claims heading and the first section, want the claims table alone", o.tablesByClaims)
	}
	if o.tables < 4 || o.unboxed != 0 {
		t.Errorf("%d tables, %d of them outside a div.scroll", o.tables, o.unboxed)
	}
	for _, name := range []string{"report.html", "report.md", "bench.txt", "results.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, st.Mode().Perm())
		}
	}
}

// report.md, like the page, puts the claims before the sections.
func TestMarkdownClaimsFirst(t *testing.T) {
	var b strings.Builder
	if err := report.Build(threeImplementations()).WriteMarkdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	claims, first := strings.Index(md, "\n## Claims\n"), strings.Index(md, "\n## latency\n")
	if claims < 0 || first < 0 || claims > first {
		t.Errorf("claims at %d, first section at %d: want the claims first", claims, first)
	}
}
