package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/advise"
)

// frontJS ranks again in the page when the what-if form changes: a
// hand-written port of advise.Rank over the Set embedded as JSON.
//
//go:embed front.js
var frontJS string

// frontPage is the HTML page's opening: which transport the records
// recommend for the run's own workload (advise.Rank), and the data the
// what-if form ranks again from.
type frontPage struct {
	// Assumed says which workload was assumed and how it was derived.
	Assumed string
	// Err is why no ranking was made (no records, a workload Check
	// refuses); the rest is then empty.
	Err    string
	Rows   []frontRow
	Notes  []string
	Models int
	// Data is the JSON the script reads: the Set, the workload, and the
	// Go ranking's order and verdicts to check its own against.
	Data   template.JS
	Script template.JS
}

// frontRow is one ranked transport, its cells formatted.
type frontRow struct {
	// Why are the row's reasons, the constraints that decided and its
	// notes, as one cell.
	Key, Feasible, Why, Servers, Cores, GiB, P99 string
	Records                                      []string
	Class                                        string
}

// frontWorkload is the workload as front.js reads it: rates per second
// and the SLO in microseconds, so nothing is lost to formatting.
type frontWorkload struct {
	Clients    int     `json:"clients"`
	Rate       float64 `json:"rate"`
	Fanout     int     `json:"fanout"`
	Payload    int     `json:"payload"`
	Tabs       int     `json:"tabs"`
	TLS        bool    `json:"tls"`
	Proxy      string  `json:"proxy"`
	ProxyTuned bool    `json:"proxy_tuned"`
	ClientMsgs float64 `json:"client_msgs"`
	SLOus      float64 `json:"slo_us"`
	Resume     bool    `json:"resume"`
	Cores      float64 `json:"cores_per_server"`
	CPUTarget  float64 `json:"cpu_target"`
}

// frontRanked is one row of the Go ranking as the script checks it.
type frontRanked struct {
	Key      string `json:"key"`
	Feasible string `json:"feasible"`
	Servers  int    `json:"servers"`
}

// runWorkload is the workload a run measured: its largest broadcast (the
// most clients among usable load-generator broadcast records) at that
// record's rate and payload, on the run's network, plaintext, not
// browsers, with advise's defaults for the SLO and the servers. It says
// how it was derived; ok is false without such a record.
func runWorkload(recs []results.Record) (advise.Workload, string, bool) {
	w := advise.DefaultWorkload()
	best := -1
	for i, r := range recs {
		if r.Client != results.ClientLoadgen || r.Kind != "broadcast" || r.Interrupted || r.Disqualified() != "" || r.Params.Rate <= 0 {
			continue
		}
		if best < 0 || r.Params.Clients > recs[best].Params.Clients {
			best = i
		}
	}
	if best < 0 {
		return w, "", false
	}
	r := recs[best]
	w.Clients, w.Rate, w.Payload = r.Params.Clients, advise.Rate(r.Params.Rate), r.Params.Payload
	how := fmt.Sprintf("%d clients (the most any usable broadcast step measured: %s step %d, %s), %s published to all of them, %d B payload (that step's)",
		w.Clients, r.Scenario, r.Step, r.Transport, w.Rate, w.Payload)
	if proxy, form, ok := strings.Cut(r.Params.Network, "-"); ok && (proxy == "nginx" || proxy == "haproxy") {
		w.Proxy, w.ProxyTuned = proxy, form == "tuned"
		how += ", behind " + r.Params.Network + " (the run's network)"
	}
	how += fmt.Sprintf("; assumed, not measured: plaintext, not browsers, SLO p99 %s, %g cores per server at %.0f%% (advise's defaults)",
		time.Duration(w.SLOP99), w.CoresPerServer, w.CPUTarget*100)
	return w, how, true
}

// buildFront ranks the run's own workload on the models fitted from recs.
// Records are cited as the run's files under dir/records/ when present,
// else as results.json#N (as advise.Load names them).
func buildFront(dir string, recs []results.Record) frontPage {
	fp := frontPage{Script: template.JS(frontJS)}
	ev := make([]advise.Evidence, len(recs))
	for i, r := range recs {
		f := filepath.ToSlash(filepath.Join("records", results.RecordFileName(i+1, r)))
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			f = "results.json#" + strconv.Itoa(i+1)
		}
		ev[i] = advise.Evidence{Record: r, File: f}
	}
	set := advise.Build(ev)
	fp.Models = len(set.Models)
	w, how, ok := runWorkload(recs)
	fp.Assumed = how
	if !ok {
		fp.Err = "no usable broadcast record: no workload to derive, no ranking"
	}
	var a advise.Advice
	if fp.Err == "" {
		var err error
		if a, err = advise.Rank(w, set); err != nil {
			fp.Err = "the run's workload cannot be ranked: " + err.Error()
		}
	}
	ranked := []frontRanked{}
	for _, r := range a.Rows {
		fp.Rows = append(fp.Rows, formatRow(r))
		ranked = append(ranked, frontRanked{r.Key.String(), r.Feasible, r.Servers})
	}
	fp.Notes = a.Notes
	data := struct {
		Set      advise.Set    `json:"set"`
		Workload frontWorkload `json:"workload"`
		Ranked   []frontRanked `json:"ranked"`
	}{set, toFront(w), ranked}
	var b bytes.Buffer
	enc := json.NewEncoder(&b) // escapes <, > and &: safe inside <script>
	if err := enc.Encode(data); err != nil {
		fp.Err = "the models cannot be embedded: " + err.Error()
		b.Reset()
		b.WriteString("null")
	}
	fp.Data = template.JS(b.String())
	return fp
}

func toFront(w advise.Workload) frontWorkload {
	return frontWorkload{Clients: w.Clients, Rate: float64(w.Rate), Fanout: w.Fanout, Payload: w.Payload, Tabs: w.Tabs,
		TLS: w.TLS, Proxy: w.Proxy, ProxyTuned: w.ProxyTuned, ClientMsgs: float64(w.ClientMsgs),
		SLOus: float64(time.Duration(w.SLOP99).Microseconds()), Resume: w.Resume, Cores: w.CoresPerServer, CPUTarget: w.CPUTarget}
}

// formatRow writes a Row's cells as front.js writes them.
func formatRow(r advise.Row) frontRow {
	why := append(append(append([]string(nil), r.Why...), r.Decided...), r.Notes...)
	fr := frontRow{Key: r.Key.String(), Feasible: r.Feasible, Why: strings.Join(why, "; "),
		Servers: "-", Cores: "-", GiB: notMeasured, P99: notMeasured,
		Records: r.Records, Class: map[string]string{advise.Feasible: "supported", advise.Infeasible: "contradicted"}[r.Feasible]}
	if fr.Class == "" {
		fr.Class = "mixed"
	}
	if r.Servers > 0 {
		fr.Servers, fr.Cores = strconv.Itoa(r.Servers), strconv.FormatFloat(r.Cores, 'f', -1, 64)
	}
	if r.Feasible == advise.Infeasible {
		fr.GiB, fr.P99 = "-", "-"
	}
	if r.RSSGiB != nil {
		fr.GiB = predText(*r.RSSGiB, gibText)
	}
	if r.P99 != nil {
		fr.P99 = predText(*r.P99, usText)
	}
	return fr
}

// predText is a prediction and its interval: "1.2ms [0.9ms, 1.5ms]".
func predText(p advise.Prediction, f func(float64) string) string {
	s := f(p.Value)
	if p.CI != nil {
		s += " [" + f(p.CI.Lo) + ", " + f(p.CI.Hi) + "]"
	}
	return s
}

// gibText writes GiB with three or four decimals below 1, as front.js's
// gibText does: the ranking orders equal servers by memory, which two
// decimals would hide.
func gibText(v float64) string {
	switch a := math.Abs(v); {
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// usText writes microseconds as front.js's usText does.
func usText(us float64) string {
	switch a := math.Abs(us); {
	case a >= 1e6:
		return strconv.FormatFloat(us/1e6, 'f', 2, 64) + "s"
	case a >= 1e3:
		return strconv.FormatFloat(us/1e3, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(us, 'f', 0, 64) + "µs"
}

var frontTemplate = template.Must(template.New("front").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<style>.advice th{text-align:left}.advice td.why{font-size:.85em;min-width:28em}</style>
<section id="advice">
<h2 id="what-to-use" style="margin-top:.5em">What should we use?</h2>
<p class="note">Each transport this run measured, sized by <code>pushbench advise</code>'s models (docs/ADVISE.md) for the workload below and ranked: feasible first, then by servers, then by memory. No prices are in a report, so no money is shown: servers, cores and memory are. Intervals are 95% over the repetitions; a model that was not measured shows "not measured".</p>
<p><b>Workload assumed:</b> {{.Assumed}}.</p>
{{if .Err}}<div class="alert">{{.Err}}</div>{{else}}
<div class="scroll"><table id="advice-table" class="claims advice"><thead><tr><th>#</th><th>transport</th><th>feasible</th><th>servers</th><th>cores</th><th>GiB RSS [95% CI]</th><th>p99 predicted [95% CI]</th><th>why, and what decided</th><th>records</th></tr></thead>
<tbody id="advice-rows">{{range $i, $r := .Rows}}<tr data-key="{{.Key}}" data-feasible="{{.Feasible}}" data-servers="{{.Servers}}"><td>{{$i | inc}}</td><td>{{.Key}}</td><td class="{{.Class}}">{{.Feasible}}</td><td>{{.Servers}}</td><td>{{.Cores}}</td><td>{{.GiB}}</td><td>{{.P99}}</td><td class="why">{{.Why}}</td><td><details><summary>{{len .Records}}</summary>{{range .Records}}<code>{{.}}</code><br>{{end}}</details></td></tr>{{end}}</tbody></table></div>
<p id="advice-status" class="note"></p>{{end}}
<form id="whatif" onsubmit="return false" style="background:#f7f7f7;border:1px solid #ddd;padding:.6em .8em">
<b>What if?</b> Change the workload: the table above is ranked again in this page from the {{.Models}} model sets embedded in it (no network).<br>
<label>clients <input name="clients" type="number" min="1" step="1" style="width:8em"></label>
<label>messages/s <input name="rate" type="number" min="0" step="any" style="width:6em"></label>
<label>payload B <input name="payload" type="number" min="0" step="1" style="width:6em"></label>
<label>tabs per user <input name="tabs" type="number" min="0" step="1" style="width:4em" title="0: not browsers"></label>
<label>SLO p99 ms <input name="slo" type="number" min="0" step="any" style="width:6em"></label>
<label><input name="tls" type="checkbox"> TLS</label>
<label>proxy <select name="proxy"><option value="">none</option><option value="nginx">nginx</option><option value="haproxy">haproxy</option></select></label>
<label><input name="tuned" type="checkbox"> proxy tuned</label>
<button type="button" id="whatif-reset">the run's workload</button>
</form>
{{if .Notes}}<ul class="note">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>
<script type="application/json" id="front-data">{{.Data}}</script>
<script>{{.Script}}</script>
`))

// FrontHTML is the page's opening section (front.go): the ranking for the
// run's own workload and the what-if form.
// Empty when Render did not build it.
func (r *Report) FrontHTML() (template.HTML, error) {
	if r.front.Script == "" {
		return "", nil
	}
	var b bytes.Buffer
	if err := frontTemplate.Execute(&b, r.front); err != nil {
		return "", fmt.Errorf("failed to render the front page: %w", err)
	}
	return template.HTML(b.String()), nil
}
