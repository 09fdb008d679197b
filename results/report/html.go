package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// htmlPlot is a plot embedded as a data URI so the page needs no other file.
type htmlPlot struct {
	Title string
	Src   template.URL
}

type htmlSection struct {
	Section
	Tables []htmlTable
	Plots  []htmlPlot
}

// htmlTable is a table with its columns of words marked: the one that
// names each row (transport, else the first), whose cells may wrap so
// that a wide table fits, and the words left-aligned.
type htmlTable struct {
	Table
	Name  int
	Words []bool
}

// wordColumns are the columns of words rather than figures.
var wordColumns = []string{"transport", "implementation", "version", "model", "runtime"}

func newHTMLTable(t Table) htmlTable {
	ht := htmlTable{Table: t, Name: max(slices.Index(t.Header, "transport"), 0), Words: make([]bool, len(t.Header))}
	for i, h := range t.Header {
		ht.Words[i] = i == ht.Name || slices.Contains(wordColumns, h)
	}
	return ht
}

// CellClass is the class of column i's cells: name, words, or none.
func (t htmlTable) CellClass(i int) string {
	switch {
	case i == t.Name:
		return "name"
	case i < len(t.Words) && t.Words[i]:
		return "words"
	}
	return ""
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{"verdictClass": verdictClass}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pushbench report {{.R.RunID}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1600px;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555}.q{font-style:italic;color:#333}
.alert{background:#fff0f0;border-left:4px solid #c00;padding:.4em .8em;margin:.3em 0;font-weight:600}
table{border-collapse:collapse;margin:.6em 0;font-size:13px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.2em .4em;text-align:right;white-space:nowrap}
td.name{white-space:normal;min-width:9em}td.words{white-space:normal;min-width:5em}.name,.words{text-align:left}
th{background:#f3f3f3;white-space:normal;vertical-align:bottom;min-width:3em}td:first-child,th:first-child{text-align:left}
.note{color:#555;font-size:.92em}.plot{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}
.supported{color:#05670a;font-weight:600}.contradicted{color:#b00;font-weight:600}.mixed{color:#8a5a00;font-weight:600}.not{color:#777}
.claims td,.claims th{white-space:normal;text-align:left;vertical-align:top}
.scroll{overflow-x:auto;max-width:100%}.scroll:focus{outline:2px solid #0072B2}
</style></head><body>
{{.R.FrontHTML}}
<h1>pushbench report</h1>
<p class="meta">{{.Header}}</p>
<h2 id="claims">Claims</h2>
<p>Each common belief about push transports, judged by this run's numbers; the tables below hold the figures.</p>
{{if .R.ClaimsNote}}<p class="note">{{.R.ClaimsNote}}</p>{{end}}
<div class="scroll" role="region" tabindex="0" aria-label="Claims"><table class="claims"><thead><tr><th>id</th><th>claim</th><th>verdict</th><th>evidence</th><th>rule</th></tr></thead><tbody>
{{range .R.Claims}}<tr><td>{{.ID}}</td><td>{{.Text}}</td><td class="{{verdictClass .Verdict}}">{{.Verdict}}</td><td>{{.Evidence}}</td><td>{{.Rule}}</td></tr>{{end}}
</tbody></table></div>
{{range .Sections}}
<h2 id="{{.Scenario}}">{{.Scenario}}</h2>
{{if .Question}}<p class="q">{{.Question}}</p>{{end}}
{{range .Alerts}}<div class="alert">{{.}}</div>{{end}}
{{range $t := .Tables}}<h3>{{.Title}}</h3>
<div class="scroll" role="region" tabindex="0" aria-label="{{.Title}}"><table><thead><tr>{{range $i, $h := .Header}}<th{{with $t.CellClass $i}} class="{{.}}"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}<td{{with $t.CellClass $i}} class="{{.}}"{{end}}>{{$c}}</td>{{end}}</tr>{{end}}</tbody></table></div>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}{{end}}
{{range .Plots}}<img class="plot" alt="{{.Title}}" title="{{.Title}}" src="{{.Src}}">{{end}}
{{if .Summary}}<ul>{{range .Summary}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
</body></html>
`))

func verdictClass(v string) string {
	switch v {
	case Supported:
		return "supported"
	case Contradicted:
		return "contradicted"
	case Mixed:
		return "mixed"
	}
	return "not"
}

// WriteHTML writes one self-contained page: plots (PNG files under dir)
// are embedded as data URIs, no external resources; its only script is
// the front page's (front.go), which opens the page. The claims come
// next, after the run's header, then the sections; every table sits in
// its own horizontally scrolling box, so a wide one never widens the page.
func (r *Report) WriteHTML(w io.Writer, dir string, plots []PlotRef) error {
	var secs []htmlSection
	for _, s := range r.Sections {
		hs := htmlSection{Section: s}
		for _, t := range s.Tables {
			hs.Tables = append(hs.Tables, newHTMLTable(t))
		}
		for _, p := range plots {
			if p.Scenario != s.Scenario {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, p.PNG))
			if err != nil {
				return fmt.Errorf("failed to embed plot %s: %w", p.PNG, err)
			}
			hs.Plots = append(hs.Plots, htmlPlot{Title: p.Title,
				Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))})
		}
		secs = append(secs, hs)
	}
	return page.Execute(w, struct {
		R        *Report
		Header   string
		Sections []htmlSection
	}{r, r.header(), secs})
}
