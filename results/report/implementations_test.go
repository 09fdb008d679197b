package report_test

import (
	"bytes"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
	"github.com/pushbench/pushbench/transports"
)

// The implementations of the fixture: pushbench's own (records that name
// none), and two targets on this machine.
var (
	nchan      = &results.Implementation{Name: "nchan", Version: "1.3.6", Model: "event loop", Runtime: "C (nginx)", Local: true}
	centrifugo = &results.Implementation{Name: "centrifugo", Version: "6.9.1", Model: "goroutine per connection", Runtime: "Go", Local: true}
)

// implRec is one repetition of transport tr in scenario on implementation
// im (nil: pushbench's own), built as the harness builds a record: the
// transport's facts, its step and parameters, delivery counts that
// reconcile; fill sets the figures.
func implRec(im *results.Implementation, scenario, tr string, step int, clients float64, rep int, fill func(r *results.Record)) results.Record {
	kind := "broadcast"
	if scenario == "idle" {
		kind = "idle"
	}
	r := results.Record{Scenario: scenario, Kind: kind, Transport: tr, Step: step, Repetition: rep, Implementation: im,
		Params: results.Params{Clients: int(clients), Rate: 10, Payload: 64, MessageBytes: 110, SLOP99Us: 500_000, Network: "loopback"}}
	if scenario == "fanout" {
		r.StepParam, r.StepValue = "clients", clients
	}
	if t, err := transports.Lookup(tr); err == nil {
		r.Facts = t.Facts(r.Params.MessageBytes, false)
	}
	if kind != "idle" {
		r.Delivery.Published = 10
		r.Delivery.Expected, r.Delivery.Delivered = 10*int64(clients), 10*int64(clients)
		r.Latency = results.Summary{Count: r.Delivery.Delivered, P50: 1000, P90: 2000, P99: 3000, P999: 3000, Max: 3000}
		r.Wire.BytesPerMessage = 150
	}
	if im != nil && im.Name != "pushbench" {
		r.Publisher = &results.PublisherUsage{Requests: 10}
	}
	fill(&r)
	return r
}

// implLatency: three repetitions of the latency scenario with p99s p99s
// (p50 half of each) and bytes per message bpm.
func implLatency(im *results.Implementation, tr string, p99s [3]int64, bpm float64) []results.Record {
	var out []results.Record
	for i, p99 := range p99s {
		out = append(out, implRec(im, "latency", tr, 0, 100, i+1, func(r *results.Record) {
			r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Latency.Max = p99/2, p99, p99, p99
			r.Wire.BytesPerMessage = bpm
		}))
	}
	return out
}

// implIdle: eight repetitions of the idle scenario with server RSS per
// connection rss and CPU per connection-second cpu (their median at the
// figure, the others up to 10% either side).
func implIdle(im *results.Implementation, tr string, rss, cpu float64) []results.Record {
	var out []results.Record
	// Eight repetitions: enough for Mann-Whitney's test to find the
	// difference the claims rest on significant (p 1.6e-4) after the
	// Holm correction over every comparison the report's claims make.
	for i, f := range []float64{0.9, 0.93, 0.96, 0.99, 1.01, 1.04, 1.07, 1.1} {
		out = append(out, implRec(im, "idle", tr, 0, 1000, i+1, func(r *results.Record) {
			r.Server.RSSPerConn, r.Server.CPUPerConnSecUs = rss*f, cpu*f
			r.Server.HeapPerConn = rss * f / 2
			if im == nil {
				r.Server.HeapBytes, r.Server.Goroutines, r.Server.GoroutinesPerConn = 8<<20, 2000, 2
			}
		}))
	}
	return out
}

// implFanout: eight repetitions per step of 100, 1000, 5000 and 10000
// clients; from the step at failFrom on (0: none) p99 misses the 500 ms
// SLO.
func implFanout(im *results.Implementation, tr string, failFrom float64) []results.Record {
	var out []results.Record
	for i, c := range []float64{100, 1000, 5000, 10000} {
		for rep := 1; rep <= 8; rep++ {
			out = append(out, implRec(im, "fanout", tr, i, c, rep, func(r *results.Record) {
				if failFrom != 0 && c >= failFrom {
					r.Latency.P99, r.Latency.Max = 900_000, 900_000
				}
			}))
		}
	}
	return out
}

// threeImplementations: pushbench (sse, sse-lean, websocket, longpoll),
// nchan (sse, websocket, longpoll) and centrifugo (sse, websocket).
// WebSocket is heavier than SSE at idle in pushbench only; in fanout SSE
// stops below WebSocket in pushbench, above it in nchan; centrifugo ran no
// fanout.
func threeImplementations() []results.Record {
	var recs []results.Record
	add := func(rs ...[]results.Record) {
		for _, r := range rs {
			recs = append(recs, r...)
		}
	}
	add(implLatency(nil, "sse", [3]int64{1000, 1100, 1200}, 140),
		implLatency(nil, "sse-lean", [3]int64{900, 950, 1000}, 120),
		implLatency(nil, "websocket", [3]int64{800, 850, 900}, 100),
		implLatency(nil, "longpoll", [3]int64{2000, 2100, 2200}, 400),
		implIdle(nil, "sse", 20_000, 3),
		implIdle(nil, "sse-lean", 18_000, 2.5),
		implIdle(nil, "websocket", 30_000, 4),
		implIdle(nil, "longpoll", 25_000, 6),
		implFanout(nil, "sse", 10000),
		implFanout(nil, "sse-lean", 10000),
		implFanout(nil, "websocket", 0),
		implFanout(nil, "longpoll", 1000))
	add(implLatency(nchan, "sse", [3]int64{5000, 5100, 5200}, 180),
		implLatency(nchan, "websocket", [3]int64{4000, 4100, 4200}, 90),
		implLatency(nchan, "longpoll", [3]int64{7000, 7100, 7200}, 500),
		implIdle(nchan, "sse", 12_000, 2),
		implIdle(nchan, "websocket", 8_000, 1.5),
		implIdle(nchan, "longpoll", 9_000, 1),
		implFanout(nchan, "sse", 0),
		implFanout(nchan, "websocket", 5000),
		implFanout(nchan, "longpoll", 100))
	add(implLatency(centrifugo, "sse", [3]int64{3000, 3100, 3200}, 230),
		implLatency(centrifugo, "websocket", [3]int64{2500, 2600, 2700}, 120),
		implIdle(centrifugo, "sse", 16_000, 5),
		implIdle(centrifugo, "websocket", 16_000*0.75, 4))
	return recs
}

func implSection(t *testing.T, rep *report.Report) report.Section {
	t.Helper()
	for _, s := range rep.Sections {
		if s.Scenario == "implementations" {
			return s
		}
	}
	t.Fatal("no implementations section")
	return report.Section{}
}

// implRows are the rows of the section's table for transport tr, by
// implementation name; rows[""]["order"] is their order.
func implRows(t *testing.T, sec report.Section, tr string) map[string]map[string]string {
	t.Helper()
	if len(sec.Tables) != 1 {
		t.Fatalf("%d tables in the implementations section, want 1", len(sec.Tables))
	}
	tb := sec.Tables[0]
	rows := map[string]map[string]string{}
	var order []string
	for _, row := range tb.Rows {
		m := map[string]string{}
		for i, h := range tb.Header {
			m[h] = row[i]
		}
		if m["transport"] != tr {
			continue
		}
		rows[m["implementation"]] = m
		order = append(order, m["implementation"])
	}
	if len(order) == 0 {
		t.Fatalf("no %s row in the implementations section", tr)
	}
	rows[""] = map[string]string{"order": strings.Join(order, ",")}
	return rows
}

func claimOf(t *testing.T, rep *report.Report, id string) report.Claim {
	t.Helper()
	for _, c := range rep.Claims {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no claim %s", id)
	return report.Claim{}
}

// The section sets each transport beside itself across implementations,
// with each implementation's medians, and C9 holds in pushbench alone.
func TestImplementationSectionRowsAndC9(t *testing.T) {
	rep := report.Build(threeImplementations())
	sec := implSection(t, rep)
	sse := implRows(t, sec, "sse")
	if got := sse[""]["order"]; got != "pushbench,nchan,centrifugo" {
		t.Errorf("sse rows %s, want pushbench's own first, then in order of appearance", got)
	}
	for impl, want := range map[string]map[string]string{
		"pushbench":  {"version": "-", "model": "event loop", "runtime": "Go", "p50": "550µs", "p99": "1.1ms", "B/msg": "140", "server RSS/idle conn": "19.5 KiB", "server µs CPU/conn-s": "3.00", "largest fanout within SLO": "5000"},
		"nchan":      {"version": "1.3.6", "model": "event loop", "runtime": "C (nginx)", "p50": "2.55ms", "p99": "5.1ms", "B/msg": "180", "server RSS/idle conn": "11.7 KiB", "server µs CPU/conn-s": "2.00", "largest fanout within SLO": "10k+ (largest step tried)"},
		"centrifugo": {"version": "6.9.1", "model": "goroutine per connection", "runtime": "Go", "p99": "3.1ms", "B/msg": "230", "server RSS/idle conn": "15.6 KiB", "server µs CPU/conn-s": "5.00", "largest fanout within SLO": "not run"},
	} {
		for col, v := range want {
			if got := sse[impl][col]; got != v {
				t.Errorf("sse %s %s = %q, want %q", impl, col, got, v)
			}
		}
	}
	lp := implRows(t, sec, "longpoll")
	if got := lp["nchan"]["largest fanout within SLO"]; got != "none within SLO" {
		t.Errorf("nchan longpoll fanout %q, want none within SLO (it missed the SLO from the first step)", got)
	}
	if got := lp["pushbench"]["largest fanout within SLO"]; got != "100" {
		t.Errorf("pushbench longpoll fanout %q, want 100", got)
	}
	if !strings.Contains(strings.Join(sec.Summary, "\n"), "measured by one implementation only: sse-lean (pushbench)") {
		t.Errorf("the summary does not name sse-lean as measured by one implementation:\n%s", strings.Join(sec.Summary, "\n"))
	}

	c9 := claimOf(t, rep, "C9/impl")
	if c9.Verdict != report.Mixed {
		t.Errorf("C9 across implementations = %s, want mixed (yes in pushbench, no in nchan and centrifugo): %s", c9.Verdict, c9.Evidence)
	}
	for _, want := range []string{
		"WebSocket heavier than SSE in 1 of 3 implementations that measured it: pushbench yes, nchan 1.3.6 no, centrifugo 6.9.1 no.",
		"pushbench: RSS/conn websocket vs sse: mean 29.3 KiB vs 19.5 KiB (29.3 KiB [26.4 KiB, 31.3 KiB] (n=8) vs 19.5 KiB [17.6 KiB, 20.9 KiB] (n=8)), Welch t p=",
		"RSS/conn websocket vs sse-lean: mean 29.3 KiB vs 17.6 KiB (29.3 KiB [26.4 KiB, 31.3 KiB] (n=8) vs 17.6 KiB [15.8 KiB, 18.8 KiB] (n=8)), Welch t p=",
		"nchan 1.3.6: RSS/conn websocket vs sse: mean 7.8 KiB vs 11.7 KiB (7.8 KiB [7.0 KiB, 8.4 KiB] (n=8) vs 11.7 KiB [10.5 KiB, 12.5 KiB] (n=8)), Welch t p=",
		"CPU/conn-s websocket vs sse: mean 1.50 µs vs 2.00 µs (1.50 µs [1.35 µs, 1.60 µs] (n=8) vs 2.00 µs [1.80 µs, 2.14 µs] (n=8)), Welch t p=",
	} {
		if !strings.Contains(c9.Evidence, want) {
			t.Errorf("C9 across implementations lacks %q:\n%s", want, c9.Evidence)
		}
	}
	c8 := claimOf(t, rep, "C8/impl")
	if c8.Verdict != report.Mixed || !strings.Contains(c8.Evidence, "SSE stops below WebSocket in 1 of 2 implementations that measured it: pushbench yes, nchan 1.3.6 no, centrifugo 6.9.1 not measured.") {
		t.Errorf("C8 across implementations = %s: %s", c8.Verdict, c8.Evidence)
	}
}

// With every implementation agreeing, the line across them takes their
// verdict; a pair of equal medians is not decided.
func TestAcrossVerdicts(t *testing.T) {
	agree := func(rss [2]float64) []results.Record {
		var recs []results.Record
		for _, im := range []*results.Implementation{nil, nchan} {
			recs = append(recs, implIdle(im, "sse", rss[0], 2)...)
			recs = append(recs, implIdle(im, "websocket", rss[1], 3)...)
		}
		return recs
	}
	if c := claimOf(t, report.Build(agree([2]float64{10_000, 20_000})), "C9/impl"); c.Verdict != report.Supported {
		t.Errorf("WebSocket heavier in both: C9/impl = %s, want supported: %s", c.Verdict, c.Evidence)
	}
	// pushbench's sse-lean is missing here: pushbench's SSE is sse alone.
	if c := claimOf(t, report.Build(agree([2]float64{20_000, 20_000})), "C9/impl"); c.Verdict != report.NotDecided {
		t.Errorf("equal RSS in both: C9/impl = %s, want not decided: %s", c.Verdict, c.Evidence)
	}
}

// remoteCentrifugo is the fixture with centrifugo running elsewhere: its
// records have no server figures, as a run against a remote target
// records them.
func remoteCentrifugo() []results.Record {
	remote := *centrifugo
	remote.Local = false
	recs := threeImplementations()
	for i := range recs {
		if recs[i].Implementation == centrifugo {
			recs[i].Implementation = &remote
			recs[i].Server = results.Resources{}
		}
	}
	return recs
}

// A target that runs elsewhere has no server memory or CPU: "not
// measured" in the section, never 0, and C9 is not judged on it.
func TestRemoteTargetNotMeasured(t *testing.T) {
	rep := report.Build(remoteCentrifugo())
	sse := implRows(t, implSection(t, rep), "sse")
	for _, col := range []string{"server RSS/idle conn", "server µs CPU/conn-s"} {
		if got := sse["centrifugo"][col]; got != "not measured" {
			t.Errorf("remote centrifugo %s = %q, want not measured", col, got)
		}
	}
	if got := sse["centrifugo"]["p99"]; got != "3.1ms" {
		t.Errorf("remote centrifugo p99 %q, want 3.1ms: latency is measured at the clients", got)
	}
	c9 := claimOf(t, rep, "C9/impl")
	if !strings.Contains(c9.Evidence, "in 1 of 2 implementations that measured it") ||
		!strings.Contains(c9.Evidence, "centrifugo 6.9.1: the server runs elsewhere: its memory and CPU are not measured") {
		t.Errorf("C9/impl judged a remote target's absent figures: %s", c9.Evidence)
	}
}

// The scenario tables say "not measured" for a remote target's server
// figures, never 0, and "-" for the heap and goroutines a local target
// does not report.
func TestRemoteTargetTablesNotMeasured(t *testing.T) {
	rep := report.Build(remoteCentrifugo())
	idle := tableRows(t, rep, "idle", "Cost of an idle connection")
	row := idle["sse (centrifugo 6.9.1)"]
	if row == nil {
		t.Fatalf("no idle row for sse (centrifugo 6.9.1): %v", idle[""])
	}
	for _, col := range []string{"server RSS/conn", "server heap/conn", "goroutines/conn", "server µs CPU/conn-s"} {
		if row[col] != "not measured" {
			t.Errorf("idle table: remote centrifugo %s = %q, want not measured", col, row[col])
		}
	}
	for _, col := range []string{"server heap/conn", "goroutines/conn"} {
		if got := idle["sse (nchan 1.3.6)"][col]; got != "-" {
			t.Errorf("idle table: nchan recorded no %s, got %q, want -", col, got)
		}
	}
	if got := idle["sse (nchan 1.3.6)"]["server RSS/conn"]; got != "11.7 KiB" {
		t.Errorf("idle table: nchan's RSS/conn %q, want 11.7 KiB", got)
	}
	lat := tableRows(t, rep, "latency", "Delivery and latency")
	if got := lat["sse (centrifugo 6.9.1)"]["server µs/msg"]; got != "not measured" {
		t.Errorf("latency table: remote centrifugo server µs/msg %q, want not measured", got)
	}
}

// Records of two implementations of one transport are never one group:
// each has its own row and median in the scenario tables, and its own
// capacity in the fanout summary. Rows are grouped by server model:
// centrifugo's (a model of its own here) come after the event loops'.
func TestImplementationsNotPooled(t *testing.T) {
	rep := report.Build(threeImplementations())
	lat := tableRows(t, rep, "latency", "Delivery and latency")
	if got := lat[""]["order"]; got != "longpoll,longpoll (nchan 1.3.6),sse,sse (nchan 1.3.6),sse-lean,websocket,websocket (nchan 1.3.6),sse (centrifugo 6.9.1),websocket (centrifugo 6.9.1)" {
		t.Errorf("latency rows %s", got)
	}
	// Pooled, sse's nine repetitions would have a p99 median of 3.1ms and
	// their delivered figure would read 9000/9000.
	for label, want := range map[string]string{"sse": "1.1ms", "sse (nchan 1.3.6)": "5.1ms", "sse (centrifugo 6.9.1)": "3.1ms"} {
		if got := lat[label]["p99"]; got != want {
			t.Errorf("%s p99 %q, want %q", label, got, want)
		}
		if got := lat[label]["delivered"]; got != "3000/3000" {
			t.Errorf("%s delivered %q, want its own three repetitions' 3000/3000", label, got)
		}
	}
	// The claims are judged on pushbench's records alone, and say so:
	// nchan's lighter WebSocket does not enter C9.
	for _, c := range rep.Claims {
		if c.ID != "C9" {
			continue
		}
		if !strings.HasPrefix(c.Evidence, "On pushbench's records only: ") || strings.Contains(c.Evidence, "nchan") || c.Verdict != report.Supported {
			t.Errorf("C9 is not judged on pushbench's records alone: %s: %s", c.Verdict, c.Evidence)
		}
	}
	var fanout []string
	for _, s := range rep.Sections {
		if s.Scenario == "fanout" {
			fanout = s.Summary
		}
	}
	joined := strings.Join(fanout, "\n")
	for _, want := range []string{"  sse: 5000\n", "  sse (nchan 1.3.6): 10k (the largest step tried", "  websocket (nchan 1.3.6): 1000\n"} {
		if !strings.Contains(joined+"\n", want) {
			t.Errorf("fanout summary lacks %q:\n%s", want, joined)
		}
	}
}

// Disqualified records are left out of the section's figures and counted:
// a saturated publisher's repetition no longer moves nchan's median, and
// a fanout step whose load generator saturated is no limit.
func TestImplementationSectionExcludes(t *testing.T) {
	recs := threeImplementations()
	for i := range recs {
		r := &recs[i]
		if r.Implementation == nchan && r.Transport == "sse" && r.Scenario == "latency" && r.Repetition == 3 {
			r.Latency.P99 = 90_000
			r.Publisher.Saturated = "publisher 40ms behind its schedule"
		}
		if r.Implementation == nchan && r.Transport == "websocket" && r.Scenario == "fanout" && r.StepValue >= 5000 && r.Repetition == 1 {
			r.Loadgen.Saturated = "load generator at 99% of 1 CPU"
		}
	}
	rep := report.Build(recs)
	sec := implSection(t, rep)
	sse := implRows(t, sec, "sse")
	if got := sse["nchan"]["p99"]; got != "5.05ms" {
		t.Errorf("nchan sse p99 %q, want 5.05ms, the median of the two qualifying repetitions (5.00, 5.10)", got)
	}
	ws := implRows(t, sec, "websocket")
	if got := ws["nchan"]["largest fanout within SLO"]; got != "1000+ (5000, 10k excluded)" {
		t.Errorf("nchan websocket fanout %q, want 1000+ (5000, 10k excluded): a saturated step is no limit", got)
	}
	alerts := strings.Join(sec.Alerts, "\n")
	for _, want := range []string{
		"EXCLUDED latency sse (nchan 1.3.6) (repetition 3): publisher saturated (publisher 40ms behind its schedule)",
		"EXCLUDED fanout websocket (nchan 1.3.6) at clients=5000 (repetition 1): load generator saturated",
	} {
		if !strings.Contains(alerts, want) {
			t.Errorf("alerts lack %q:\n%s", want, alerts)
		}
	}
	if n := strings.Count(alerts, "EXCLUDED"); n != 3 {
		t.Errorf("%d records excluded, want 3:\n%s", n, alerts)
	}
	var notes []string
	for _, tb := range sec.Tables {
		notes = append(notes, tb.Note)
	}
	if !strings.Contains(strings.Join(notes, " "), "Left out: 3 of 323 records") {
		t.Errorf("the section does not say how many records it left out: %s", strings.Join(notes, " "))
	}
	// nchan's websocket limit is open now: C8 is not decided for nchan.
	c8 := claimOf(t, rep, "C8/impl")
	if !strings.Contains(c8.Evidence, "nchan 1.3.6 not decided") {
		t.Errorf("C8/impl took a saturated step as nchan's limit: %s", c8.Evidence)
	}
}

// A report of pushbench's own records has no implementations section, no
// claim across implementations, and names no implementation in its
// tables.
func TestPushbenchOnlyHasNoImplementationSection(t *testing.T) {
	var recs []results.Record
	for _, r := range threeImplementations() {
		if r.Implementation == nil {
			recs = append(recs, r)
		}
	}
	rep := report.Build(recs)
	for _, s := range rep.Sections {
		if s.Scenario == "implementations" {
			t.Error("an implementations section with one implementation")
		}
	}
	for _, c := range rep.Claims {
		if strings.Contains(c.ID, "/impl") || strings.HasPrefix(c.Evidence, "On ") {
			t.Errorf("claim %s speaks of implementations: %s", c.ID, c.Evidence)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "(pushbench") || strings.Contains(text.String(), "implementations") {
		t.Errorf("a pushbench-only report names implementations:\n%s", text.String())
	}
	// The same transport of one target, alone, is not a second
	// implementation either.
	var only []results.Record
	for _, r := range threeImplementations() {
		if r.Implementation == nchan {
			only = append(only, r)
		}
	}
	for _, s := range report.Build(only).Sections {
		if s.Scenario == "implementations" {
			t.Error("an implementations section for nchan's records alone")
		}
	}
}

// The section is in the terminal output, report.md and report.html.
func TestImplementationSectionRendered(t *testing.T) {
	rep := report.Build(threeImplementations())
	var text, md, page bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&page, t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	for format, out := range map[string][]string{
		"text":     {text.String(), "== implementations: "},
		"markdown": {md.String(), "## implementations\n"},
		"html":     {html.UnescapeString(page.String()), `<h2 id="implementations">`},
	} {
		for _, want := range []string{out[1], "none within SLO", "10k+ (largest step tried)", "sse (nchan 1.3.6)", "C9/impl", "pushbench yes, nchan 1.3.6 no, centrifugo 6.9.1 no"} {
			if !strings.Contains(out[0], want) {
				t.Errorf("%s output lacks %q", format, want)
			}
		}
	}
}

// The plots never pool two implementations of a transport into one line:
// another implementation's records become a series of their own with a
// dash of its own; pushbench's keep their names. Every series is coloured
// by its server's model: a shade of the model's hue family, one shade per
// transport family, so one model's implementations share a transport's
// shade and two models never share a colour; the floor stays black.
func TestPlotViewSeparatesImplementations(t *testing.T) {
	recs := append(threeImplementations(), implLatency(jetty, "sse", [3]int64{9000, 9100, 9200}, 200)...)
	recs = append(recs, implLatency(nil, "rawtcp", [3]int64{500, 550, 600}, 90)...)
	view := report.PlotView(recs)
	series := map[string]string{}  // series -> implementation
	colours := map[string]string{} // series -> colour
	for i, r := range view {
		im := results.ImplementationOf(recs[i])
		if prev, ok := series[r.Transport]; ok && prev != im.Name {
			t.Fatalf("series %q holds %s and %s records", r.Transport, prev, im.Name)
		}
		series[r.Transport] = im.Name
		orig, _ := results.FactsOf(recs[i])
		got, _ := results.FactsOf(r)
		colours[r.Transport] = got.Style.Color
		if im.Name == "pushbench" && r.Transport != recs[i].Transport {
			t.Errorf("pushbench's %s renamed %q", recs[i].Transport, r.Transport)
		}
		if im.Name != "pushbench" && len(got.Style.Dashes) == 0 {
			t.Errorf("%s: no dash of its own", r.Transport)
		}
		if orig.Floor {
			if got.Style.Color != orig.Style.Color {
				t.Errorf("the floor %s recoloured %s", r.Transport, got.Style.Color)
			}
			continue
		}
		family, ok := report.ModelShades[im.Model]
		if !ok {
			family = report.OtherShades
		}
		if !slices.Contains(family, got.Style.Color) {
			t.Errorf("%s (%s): colour %s not of its model's hue family %v", r.Transport, im.Model, got.Style.Color, family)
		}
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"sse", "sse · nchan", true},               // one model, one transport family
		{"sse", "websocket", false},                // one implementation, two transports
		{"sse", "sse · jetty", false},              // event loop vs thread pool
		{"sse · nchan", "sse · centrifugo", false}, // event loop vs a model of its own
	} {
		if (colours[c.a] == colours[c.b]) != c.same {
			t.Errorf("%s %s, %s %s: same colour should be %v", c.a, colours[c.a], c.b, colours[c.b], c.same)
		}
	}
	if len(report.PlotView(recs[:1])) != 1 {
		t.Error("a single record changed count")
	}
}

// C9 per implementation compares per-connection means with Welch's
// t-test: three idle repetitions a side decide a difference large against
// their spread (a rank test's smallest p there is 0.10), while one
// repetition a side gives the test no spread to judge by and decides
// nothing, however far apart the figures.
func TestC9PerImplementationNeedsRepetitions(t *testing.T) {
	upTo := func(n int) []results.Record {
		var recs []results.Record
		for _, r := range threeImplementations() {
			if r.Scenario != "idle" || r.Repetition <= n {
				recs = append(recs, r)
			}
		}
		return recs
	}
	if c9 := claimOf(t, report.Build(upTo(3)), "C9/impl"); c9.Verdict != report.Mixed || !strings.Contains(c9.Evidence, "(n=3, no interval)), Welch t p=") {
		t.Errorf("C9/impl on 3 repetitions = %s, want mixed (pushbench yes, nchan and centrifugo no): %s", c9.Verdict, c9.Evidence)
	}
	if c9 := claimOf(t, report.Build(upTo(1)), "C9/impl"); c9.Verdict != report.NotDecided || !strings.Contains(c9.Evidence, "Welch t p=1.000") {
		t.Errorf("C9/impl on 1 repetition = %s, want not decided with p=1: %s", c9.Verdict, c9.Evidence)
	}
}
