package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// latencyRecs are reps repetitions of the latency scenario for each
// transport, with p99 = base[transport] + the repetition's jitter (µs).
func latencyRecs(reps int, base map[string]int64, jitter func(rep int) int64) []results.Record {
	var out []results.Record
	for rep := 1; rep <= reps; rep++ {
		for _, tr := range []string{"websocket", "sse-lean", "rawtcp"} {
			p99 := base[tr] + jitter(rep)
			r := results.Record{Scenario: "latency", Kind: "broadcast", Transport: tr, Repetition: rep,
				Params: results.Params{Clients: 10, Rate: 10, SLOP99Us: 100_000, Network: "loopback"}}
			r.Delivery.Expected, r.Delivery.Delivered, r.Delivery.Published = 100, 100, 10
			r.Latency = results.Summary{Count: 100, P50: p99 / 2, P90: p99 * 9 / 10, P99: p99, P999: p99, Max: p99}
			r.Wire.BytesPerMessage = 100
			out = append(out, r)
		}
	}
	return out
}

func summaryLine(t *testing.T, recs []results.Record, metric string) string {
	t.Helper()
	for _, s := range report.Build(recs).Sections {
		for _, l := range s.Summary {
			if strings.HasPrefix(l, metric+" (") {
				return l
			}
		}
	}
	t.Fatalf("no summary line for %s", metric)
	return ""
}

func alternating(rep int) int64 { return int64(rep%2) * 30 } // 0 or 30 µs

// A winner is named only when the difference is significant over the
// repetitions: clearly separated with 5 repetitions each, it is; the same
// separation with 3 (smallest p = 0.10) or 1 repetition is not; and
// overlapping samples never are.
func TestWinnerOnlyWhenSignificant(t *testing.T) {
	apart := map[string]int64{"websocket": 1000, "sse-lean": 2000, "rawtcp": 3000}
	close := map[string]int64{"websocket": 1000, "sse-lean": 1010, "rawtcp": 1020}
	cases := []struct {
		name     string
		reps     int
		base     map[string]int64
		wantBest bool
	}{
		{"5 reps, apart", 5, apart, true},
		{"6 reps, apart", 6, apart, true},
		{"3 reps, apart", 3, apart, false},
		{"1 rep, apart", 1, apart, false},
		{"6 reps, overlapping", 6, close, false},
	}
	for _, c := range cases {
		line := summaryLine(t, latencyRecs(c.reps, c.base, alternating), "p99")
		named := strings.Contains(line, "best websocket")
		if named != c.wantBest {
			t.Errorf("%s: winner named = %v, want %v:\n%s", c.name, named, c.wantBest, line)
		}
		if !c.wantBest && !strings.Contains(line, "no winner") {
			t.Errorf("%s: says neither a winner nor that there is none:\n%s", c.name, line)
		}
		if c.reps >= 6 && !strings.Contains(line, "[") {
			t.Errorf("%s: 6 repetitions but no interval shown:\n%s", c.name, line)
		}
	}
}

// A disqualified transport (lossy, saturated, mismatched) is never best,
// however good its numbers, and the summary says why it was left out.
func TestDisqualifiedNeverBest(t *testing.T) {
	base := map[string]int64{"websocket": 1000, "sse-lean": 2000, "rawtcp": 3000}
	for name, spoil := range map[string]func(*results.Record){
		"lossy":      func(r *results.Record) { r.Delivery.Lost, r.Delivery.Delivered = 1, 99 },
		"saturated":  func(r *results.Record) { r.Loadgen.Saturated = "load generator at 97% of 1 CPU" },
		"mismatch":   func(r *results.Record) { r.Delivery.Mismatch = "delivered 99 + lost 0 = 99, expected 100" },
		"unexpected": func(r *results.Record) { r.Delivery.Unexpected = 1 },
	} {
		recs := latencyRecs(5, base, alternating)
		spoil(&recs[0]) // websocket, repetition 1
		line := summaryLine(t, recs, "p99")
		if strings.Contains(line, "best websocket") {
			t.Errorf("%s websocket named best:\n%s", name, line)
		}
		if !strings.Contains(line, "best sse-lean") {
			t.Errorf("%s: the next qualifying transport, sse-lean, should win:\n%s", name, line)
		}
		if !strings.Contains(line, "left out (cannot win): websocket") {
			t.Errorf("%s: the summary does not say websocket was left out:\n%s", name, line)
		}
	}
}

// A saturated load generator is an alert with the fix, and a marker with a
// footnote in the table, in text, markdown and HTML.
func TestSaturatedMarkedEverywhere(t *testing.T) {
	recs := latencyRecs(1, map[string]int64{"websocket": 1000, "sse-lean": 2000, "rawtcp": 3000}, func(int) int64 { return 0 })
	recs[1].Loadgen.Saturated = "load generator at 97% of 1 CPU"
	recs[1].Loadgen.CPUUtilization, recs[1].Loadgen.Cores = 0.97, 1
	recs[1].Delivery.Late, recs[1].Delivery.ClampedSamples, recs[1].Delivery.UnderRange = 4, 2, 3
	recs[1].Notes = []string{"not every client caught up within 2s of the last publish"}
	recs[2].Interrupted = true
	rep := report.Build(recs)
	var text, md, html bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&html, t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	for format, out := range map[string]string{"text": text.String(), "markdown": md.String(), "html": html.String()} {
		for _, want := range []string{
			"load generator saturated: this figure measures pushbench, not the transport",
			"fewer clients per load-generator process, more CPUs, or the lean client",
			"sse-lean ‡", "‡ load generator saturated", "97% of 1 ‡",
			"4 arrived late", "2 latencies above 60 s", "3 latencies below 1 µs",
			"not every client caught up within 2s",
			"INTERRUPTED rawtcp", "1 interrupted",
		} {
			if format == "markdown" {
				want = strings.NewReplacer("*", `\*`, "_", `\_`).Replace(want)
			}
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
}

// fanoutRecs: websocket, sse and sse-lean at 100, 1000, 5000 clients, 8
// repetitions each; limit[t] is the first step whose p99 misses the 500 ms
// SLO (0: none).
func fanoutRecs(limit map[string]float64) []results.Record {
	return repeated(fanoutOnce(limit), 8)
}

// fanoutOnce is fanoutRecs' first repetition.
func fanoutOnce(limit map[string]float64) []results.Record {
	var out []results.Record
	for i, clients := range []float64{100, 1000, 5000} {
		for _, tr := range []string{"sse", "sse-lean", "websocket"} {
			p99 := int64(1000)
			if l := limit[tr]; l != 0 && clients >= l {
				p99 = 900_000
			}
			r := results.Record{Scenario: "fanout", Kind: "broadcast", Transport: tr, Step: i, StepParam: "clients", StepValue: clients, Repetition: 1,
				Params: results.Params{Clients: int(clients), Rate: 1, SLOP99Us: 500_000, Network: "loopback"}}
			r.Delivery.Expected, r.Delivery.Delivered = 10, 10
			r.Latency = results.Summary{Count: 10, P50: p99, P99: p99, Max: p99}
			out = append(out, r)
		}
	}
	return out
}

// repeated is recs measured n times: each record as repetitions 1..n, the
// figures unchanged (enough repetitions for the claims' tests to decide).
func repeated(recs []results.Record, n int) []results.Record {
	var out []results.Record
	for rep := 1; rep <= n; rep++ {
		for _, r := range recs {
			r.Repetition = rep
			out = append(out, r)
		}
	}
	return out
}

func claim(recs []results.Record, id string) report.Claim {
	for _, c := range report.Build(recs).Claims {
		if c.ID == id {
			return c
		}
	}
	return report.Claim{}
}

// C8 is "not decided" while a transport compared has not reached its
// limit or two limits tie, and flips with the limits once they are
// reached (8 repetitions a step, so the p99s compared are significant).
func TestC8NotDecidedWithoutALimit(t *testing.T) {
	cases := []struct {
		limit map[string]float64
		want  string
	}{
		{map[string]float64{}, report.NotDecided},                                                // everyone passed every step
		{map[string]float64{"sse": 1000, "sse-lean": 1000}, report.NotDecided},                   // websocket's limit not reached: SSE below it, but is it "does not scale as far"? yes: decided below
		{map[string]float64{"sse": 1000, "sse-lean": 1000, "websocket": 5000}, report.Supported}, // both SSE below WebSocket
		{map[string]float64{"sse": 5000, "sse-lean": 5000, "websocket": 1000}, report.Contradicted},
		{map[string]float64{"sse": 1000, "websocket": 5000}, report.Mixed},                        // sse stopped below websocket, sse-lean above it
		{map[string]float64{"sse": 1000, "sse-lean": 5000, "websocket": 5000}, report.NotDecided}, // sse-lean and websocket stopped at one step: a tie
	}
	// The second case is in fact decided: SSE stopped at 100 clients while
	// WebSocket passed 5000, so SSE's limit is known to be below.
	cases[1].want = report.Supported
	for _, c := range cases {
		got := claim(fanoutRecs(c.limit), "C8")
		if got.Verdict != c.want {
			t.Errorf("limits %v: C8 = %s, want %s (%s)", c.limit, got.Verdict, c.want, got.Evidence)
		}
	}
	// A saturated step is never a capacity limit: it is named as left out.
	recs := fanoutRecs(map[string]float64{"sse": 1000, "sse-lean": 1000, "websocket": 5000})
	for i := range recs {
		if recs[i].Transport == "sse" && recs[i].StepValue == 1000 {
			recs[i].Loadgen.Saturated = "load generator at 99% of 1 CPU"
		}
	}
	var text bytes.Buffer
	report.Build(recs).WriteText(&text)
	if !strings.Contains(text.String(), "left out, never a limit: at clients=1000: load generator saturated") {
		t.Errorf("the saturated step is not named as left out of the capacity limits:\n%s", text.String())
	}
}

// Claim texts come from the records: the heartbeat interval, the reconnect
// policy and the network are read, never written in.
func TestClaimTextsFromRecords(t *testing.T) {
	var recs []results.Record
	for _, sc := range []string{"fault-idle-close", "fault-idle-close-heartbeat"} {
		for _, tr := range []string{"sse", "websocket"} {
			r := results.Record{Scenario: sc, Kind: "broadcast", Transport: tr, Repetition: 1,
				Params: results.Params{Clients: 5, Rate: 1, Network: "loopback", Fault: "idle-close after 3s", Heartbeat: "15s"}}
			if sc == "fault-idle-close" {
				r.Delivery.Drops = 3
			} else {
				r.Params.Heartbeat = "750ms"
			}
			recs = append(recs, r)
		}
	}
	c12 := claim(repeated(recs, 8), "C12")
	if !strings.Contains(c12.Evidence, "with a 750ms heartbeat") || !strings.Contains(c12.Evidence, "server heartbeat 15s") {
		t.Errorf("C12 evidence does not come from the records' heartbeats: %s", c12.Evidence)
	}
	if c12.Verdict != report.Supported {
		t.Errorf("C12 = %s, want supported (cut without, kept with)", c12.Verdict)
	}
	// C14 and C10 say a scenario did not run because no record of it is
	// present; with a fault-reset record they use its numbers and policy.
	if c := claim(recs, "C14"); !strings.Contains(c.Evidence, "no fault-scenario record") {
		t.Errorf("C14 without fault-reset: %s", c.Evidence)
	}
	for _, tr := range []string{"sse", "sse-lean"} {
		r := results.Record{Scenario: "fault-reset", Kind: "broadcast", Transport: tr, Repetition: 1,
			Params: results.Params{Clients: 5, Rate: 1, Network: "loopback", Fault: "reset every 2s",
				Reconnect: &results.ReconnectPolicy{Delay: "100ms", Backoff: tr == "sse", Max: "5s", HonoursRetry: tr == "sse-lean", ServerRetry: map[bool]string{true: "1s"}[tr == "sse-lean"]}}}
		r.Reconnect = results.Summary{Count: 3, P50: 120_000, Max: 300_000}
		r.Delivery.Drops = 3
		recs = append(recs, r)
	}
	c14 := claim(recs, "C14")
	for _, want := range []string{"fault-reset sse: reconnect p50 120ms (waits 100ms, doubling per consecutive failure up to 5s)", "fault-reset sse-lean: reconnect p50 120ms (waits 100ms, or the server's retry: (1s) once one arrived)"} {
		if !strings.Contains(c14.Evidence, want) {
			t.Errorf("C14 lacks %q: %s", want, c14.Evidence)
		}
	}
	var text bytes.Buffer
	report.Build(recs).WriteText(&text)
	if strings.Contains(text.String(), "waits 100 ms before reconnecting") {
		t.Error("the fault table still carries the fixed reconnect sentence")
	}
	if !strings.Contains(text.String(), "sse-lean: waits 100ms, or the server's retry: (1s) once one arrived") {
		t.Errorf("the fault table does not describe sse-lean's recorded policy:\n%s", text.String())
	}
}

// A fanout step whose load generator saturated is no capacity limit in
// C8 either: WebSocket's limit is open above its last trusted step, so a
// tie there with SSE's is not decided.
func TestC8SaturatedStepIsNoLimit(t *testing.T) {
	recs := fanoutRecs(map[string]float64{"sse": 5000, "sse-lean": 5000})
	for i := range recs {
		if recs[i].Transport == "websocket" && recs[i].StepValue == 5000 {
			recs[i].Loadgen.Saturated = "load generator at 99% of 1 CPU"
		}
	}
	if c := claim(recs, "C8"); c.Verdict != report.NotDecided {
		t.Errorf("C8 = %s with WebSocket's 5000 step saturated, want not decided (its limit is at least 1000, SSE's is 1000): %s", c.Verdict, c.Evidence)
	}
}
