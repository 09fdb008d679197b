package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// The fixture's transports carry their facts, under names that do not
// say what they are ("ev-secure" is ev's TLS variant, "ev-mux" its h2
// one): the section must pair them by Base and Variant alone.
var (
	evFacts      = results.TransportFacts{Push: true, EventSource: true, Order: 30}
	wsFacts      = results.TransportFacts{Push: true, Upgrades: true, Order: 20}
	variantNames = map[string]results.TransportFacts{
		"ev":        evFacts,
		"ev-secure": results.VariantOf(evFacts, "ev", "tls"),
		"ev-mux":    results.VariantOf(evFacts, "ev", "h2"),
		"ws":        wsFacts,
		"ws-secure": results.VariantOf(wsFacts, "ws", "tls"),
	}
)

// vrec is one repetition of transport tr in scenario (kind idle,
// broadcast or churn), its figures filled by fill.
func vrec(scenario, kind, tr string, rep int, fill func(r *results.Record)) results.Record {
	f := variantNames[tr]
	r := results.Record{Scenario: scenario, Kind: kind, Transport: tr, Repetition: rep, Facts: &f,
		Library: "example.org/" + tr + " v1.0.0",
		Params:  results.Params{Clients: 10, Rate: 10, MessageBytes: 100, Network: "loopback"}}
	if f.Upgrades {
		r.Library = "github.com/gorilla/websocket v1.5.3"
	}
	if f.Variant == "tls" || f.Variant == "h2" {
		r.Params.TLS = &results.TLSParams{Version: "1.3", Resumption: true, Cert: "ECDSA P-256", ALPN: "http/1.1"}
	}
	if f.Variant == "h2" {
		r.Params.HTTP2 = &results.HTTP2Params{StreamsPerConn: 5, MaxStreams: 100}
	}
	if kind != "idle" {
		r.Delivery.Expected, r.Delivery.Delivered, r.Delivery.Published = 100, 100, 10
		r.Latency = results.Summary{Count: 100, P50: 1000, P90: 2000, P99: 3000, P999: 3000, Max: 3000}
	}
	fill(&r)
	return r
}

// reps is three repetitions of tr with figure v(rep) set by set.
func reps(scenario, kind, tr string, set func(r *results.Record, rep int)) []results.Record {
	var out []results.Record
	for rep := 1; rep <= 3; rep++ {
		out = append(out, vrec(scenario, kind, tr, rep, func(r *results.Record) { set(r, rep) }))
	}
	return out
}

func variantFixture() []results.Record {
	var recs []results.Record
	// Idle: server heap and load-generator RSS per connection, bytes per
	// connection-minute; TLS costs 1.5x heap and 2.5x loadgen RSS.
	for _, tr := range []string{"ev", "ev-secure", "ws", "ws-secure"} {
		k := 1.0
		if variantNames[tr].Variant == "tls" {
			k = 1.5
		}
		recs = append(recs, reps("v-idle", "idle", tr, func(r *results.Record, rep int) {
			r.Server.HeapPerConn = k * float64(1000+100*(rep-2)) // 900, 1000, 1100: median 1000k
			r.Loadgen.RSSPerConn = 2000
			if k > 1 {
				r.Loadgen.RSSPerConn = 5000
			}
			r.Wire.BytesPerConnMin = 300 * k
		})...)
	}
	// Broadcast: bytes and CPU per message. ws-secure's third repetition
	// lost messages and has a wild figure that must not count.
	for _, tr := range []string{"ev", "ev-secure", "ev-mux", "ws", "ws-secure"} {
		f := variantNames[tr]
		recs = append(recs, reps("v-latency", "broadcast", tr, func(r *results.Record, rep int) {
			r.Wire.BytesPerMessage = 100
			r.Server.CPUPerMessageUs, r.Loadgen.CPUPerMessageUs = 10, 20
			r.Server.HeapPerConn = 4000
			if f.Variant == "tls" {
				r.Wire.BytesPerMessage, r.Server.CPUPerMessageUs, r.Loadgen.CPUPerMessageUs = 120, 13, 30
			}
			if f.Variant == "h2" {
				r.HTTP2 = &results.HTTP2Usage{Conns: 2, StreamsPerConn: 5, HeapPerStream: 3000, HeapPerConn: 15000}
				r.Latency.P99 = 6000
			}
			if tr == "ws-secure" && rep == 2 {
				r.Wire.BytesPerMessage = 140 // median of 120 and 140: 130
			}
			if tr == "ws-secure" && rep == 3 {
				r.Delivery.Lost, r.Delivery.Delivered, r.Delivery.ClientsWithLoss = 5, 95, 1
				r.Wire.BytesPerMessage = 9999
			}
		})...)
	}
	// Slow reader: each form of ev once more, one client of ten losing.
	for _, tr := range []string{"ev", "ev-mux"} {
		recs = append(recs, reps("v-slow", "broadcast", tr, func(r *results.Record, rep int) {
			r.Params.Fault = "10% of the clients take 20ms per message"
			r.Delivery.Lost, r.Delivery.Delivered, r.Delivery.ClientsWithLoss = 3, 97, 1
			r.Latency.P99 = 7000
			if variantNames[tr].Variant == "h2" {
				r.HTTP2 = &results.HTTP2Usage{Conns: 2, StreamsPerConn: 5, HeapPerStream: 3000, HeapPerConn: 15000}
				r.Latency.P99 = 9000
			}
		})...)
	}
	// Handshakes: full ones with resumption off, resumed with it on.
	for _, scen := range []string{"v-hs", "v-hs-full"} {
		for _, tr := range []string{"ws", "ws-secure"} {
			recs = append(recs, reps(scen, "churn", tr, func(r *results.Record, rep int) {
				// The window's CPU: the plaintext record's differs by
				// repetition; TLS adds 700 µs (server) and 1000 µs (load
				// generator) per resumed handshake, 900 and 1100 per full one.
				r.Server.CPUSeconds, r.Loadgen.CPUSeconds = 0.1+0.01*float64(rep), 0.2+0.02*float64(rep)
				if r.Params.TLS == nil {
					return
				}
				r.Params.TLS.Resumption = scen == "v-hs"
				h := &results.TLSHandshakes{ServerCPUPerUs: 1500, LoadgenCPUPerUs: 1800}
				if scen == "v-hs" {
					h.Resumed, h.ResumedTime = int64(10+rep), results.Summary{Count: int64(10 + rep), P50: int64(1200 + 100*rep)}
					r.Server.CPUSeconds += float64(h.Resumed) * 700e-6
					r.Loadgen.CPUSeconds += float64(h.Resumed) * 1000e-6
				} else {
					h.Full, h.FullTime = 20, results.Summary{Count: 20, P50: 2500}
					h.ServerCPUPerUs = 2400
					r.Server.CPUSeconds += 20 * 900e-6
					r.Loadgen.CPUSeconds += 20 * 1100e-6
				}
				r.TLS = h
			})...)
		}
	}
	return recs
}

func variantSection(t *testing.T, rep *report.Report) report.Section {
	t.Helper()
	for _, s := range rep.Sections {
		if s.Scenario == report.VariantSectionName {
			return s
		}
	}
	t.Fatalf("no %s section in %d sections", report.VariantSectionName, len(rep.Sections))
	return report.Section{}
}

// rowsOf is a table's rows as header -> cell, by the cells named in key
// joined with "|".
func rowsOf(t *testing.T, sec report.Section, title string, key ...string) map[string]map[string]string {
	t.Helper()
	for _, tb := range sec.Tables {
		if !strings.HasPrefix(tb.Title, title) {
			continue
		}
		out := map[string]map[string]string{}
		for _, row := range tb.Rows {
			m := map[string]string{}
			for i, h := range tb.Header {
				m[h] = row[i]
			}
			var k []string
			for _, c := range key {
				k = append(k, m[c])
			}
			out[strings.Join(k, "|")] = m
		}
		return out
	}
	t.Fatalf("no table %q", title)
	return nil
}

func TestVariantSectionPlainVsTLS(t *testing.T) {
	sec := variantSection(t, report.Build(variantFixture()))
	rows := rowsOf(t, sec, "Plaintext vs TLS", "scenario", "transport", "figure")
	want := map[string][3]string{ // plain, TLS, TLS/plain
		"v-idle|ev / ev-secure|server heap/conn":       {"1000 B", "1.5 KiB", "1.50x"},
		"v-idle|ev / ev-secure|loadgen RSS/conn":       {"2.0 KiB", "4.9 KiB", "2.50x"},
		"v-idle|ws / ws-secure|B/conn-min":             {"300", "450", "1.50x"},
		"v-latency|ev / ev-secure|B/msg":               {"100", "120", "1.20x"},
		"v-latency|ev / ev-secure|server µs CPU/msg":   {"10.00", "13.00", "1.30x"},
		"v-latency|ev / ev-secure|loadgen µs CPU/msg":  {"20.00", "30.00", "1.50x"},
		"v-latency|ws / ws-secure †|B/msg":             {"100", "130", "1.30x"}, // the lossy repetition's 9999 left out
		"v-latency|ws / ws-secure †|server µs CPU/msg": {"10.00", "13.00", "1.30x"},
	}
	for k, w := range want {
		r, ok := rows[k]
		if !ok {
			t.Errorf("no row %q; rows: %v", k, keys(rows))
			continue
		}
		if got := [3]string{r["plain"], r["TLS"], r["TLS/plain"]}; got != w {
			t.Errorf("%s: got %v, want %v", k, got, w)
		}
	}
	// Per-message figures are not an idle scenario's, memory not a
	// broadcast one's; h2 variants and churn scenarios are not in this table.
	for k := range rows {
		if strings.HasPrefix(k, "v-idle") && strings.HasSuffix(k, "B/msg") || strings.HasPrefix(k, "v-latency") && strings.Contains(k, "heap") ||
			strings.Contains(k, "ev-mux") || strings.HasPrefix(k, "v-hs") {
			t.Errorf("unexpected row %q", k)
		}
	}
}

// A saturated load generator's figures never stand: the row stays, marked,
// with no figure.
func TestVariantSectionLeavesOutDisqualified(t *testing.T) {
	recs := variantFixture()
	for i := range recs {
		if recs[i].Scenario == "v-idle" && recs[i].Transport == "ev-secure" {
			recs[i].Loadgen.Saturated = "load generator at 99% of 1 CPU"
		}
	}
	rows := rowsOf(t, variantSection(t, report.Build(recs)), "Plaintext vs TLS", "scenario", "transport", "figure")
	r, ok := rows["v-idle|ev / ev-secure ‡|server heap/conn"]
	if !ok {
		t.Fatalf("no marked row; rows: %v", keys(rows))
	}
	if r["plain"] != "1000 B" || r["TLS"] != "-" || r["TLS/plain"] != "-" {
		t.Errorf("saturated TLS figures shown: %v", r)
	}
}

func TestVariantSectionHandshakes(t *testing.T) {
	rows := rowsOf(t, variantSection(t, report.Build(variantFixture())), "TLS handshakes", "scenario", "transport")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the two TLS churn groups: %v", len(rows), keys(rows))
	}
	res, full := rows["v-hs|ws-secure"], rows["v-hs-full|ws-secure"]
	if res["resumption"] != "on" || res["resumed"] != "36" || res["resumed p50"] != "1.4ms" || res["full"] != "0" || res["full p50"] != "-" {
		t.Errorf("resumed row: %v", res)
	}
	if full["resumption"] != "off" || full["full"] != "60" || full["full p50"] != "2.5ms" || full["server µs CPU/handshake"] != "2400" || full["loadgen µs CPU/handshake"] != "1800" {
		t.Errorf("full row: %v", full)
	}
	// What TLS added, paired with the plaintext record of the same
	// repetition: not the window's CPU / handshakes (1500, 2400 above).
	if res["server: extra vs plaintext"] != "700" || res["loadgen: extra vs plaintext"] != "1000" {
		t.Errorf("resumed row's extra CPU: server %q, loadgen %q; want 700 and 1000", res["server: extra vs plaintext"], res["loadgen: extra vs plaintext"])
	}
	if full["server: extra vs plaintext"] != "900" || full["loadgen: extra vs plaintext"] != "1100" {
		t.Errorf("full row's extra CPU: server %q, loadgen %q; want 900 and 1100", full["server: extra vs plaintext"], full["loadgen: extra vs plaintext"])
	}
}

func TestVariantSectionHTTP2(t *testing.T) {
	// A reset fault of the plain transport alone (named to sort first) is
	// not the slow-stream scenario.
	recs := append(variantFixture(), reps("a-reset", "broadcast", "ev", func(r *results.Record, rep int) {
		r.Params.Fault = "reset every 2s"
		r.Latency.P99 = 50000
	})...)
	rows := rowsOf(t, variantSection(t, report.Build(recs)), "HTTP/1.1 vs HTTP/2", "scenario", "transport")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want ev's three forms in v-latency (ws has no h2 variant): %v", len(rows), keys(rows))
	}
	h1, h2 := rows["v-latency|ev"], rows["v-latency|ev-mux"]
	if h1["variant"] != "h1" || h1["connections"] != "10" || h1["streams/conn"] != "1" || h1["server heap/stream"] != "3.9 KiB" || h1["p99"] != "3ms" {
		t.Errorf("h1 row: %v", h1)
	}
	if h2["variant"] != "h2" || h2["connections"] != "2" || h2["streams/conn"] != "5" || h2["server heap/stream"] != "2.9 KiB" ||
		h2["server heap/conn"] != "14.6 KiB" || h2["p99"] != "6ms" {
		t.Errorf("h2 row: %v", h2)
	}
	// The slow-reader scenario's p99 and loss, though its records lost
	// messages (its fault's outcome), per form.
	if h1["slow-stream scenario"] != "v-slow" || h1["its p99"] != "7ms" || h1["clients with loss"] != "3 of 30" {
		t.Errorf("h1 slow stream: %v", h1)
	}
	if h2["its p99"] != "9ms" || h2["clients with loss"] != "3 of 30" {
		t.Errorf("h2 slow stream: %v", h2)
	}
	// A second scenario citing the same slow-stream groups.
	for _, r := range variantFixture() {
		if r.Scenario == "v-latency" && r.Facts.Family(r.Transport) == "ev" {
			r.Scenario = "v-latency2"
			recs = append(recs, r)
		}
	}
	sec := variantSection(t, report.Build(recs))
	for _, tb := range sec.Tables {
		if strings.HasPrefix(tb.Title, "HTTP/1.1") && strings.Count(tb.Note, "ev-mux (3 messages lost)") != 1 {
			t.Errorf("the slow-stream group should be marked once in the note: %s", tb.Note)
		}
	}
	if tls := rows["v-latency|ev-secure"]; tls["its p99"] != "-" {
		t.Errorf("ev-secure has no slow-stream record, got %v", tls)
	}
}

const rfc8441 = "WebSocket over HTTP/2 (RFC 8441) is not in gorilla/websocket: not measured."

// The sentence comes from the facts: an Upgrades transport without an h2
// variant record gets it, one with such a record does not.
func TestVariantSectionRFC8441Sentence(t *testing.T) {
	sec := variantSection(t, report.Build(variantFixture()))
	if strings.Join(sec.Summary, "\n") != rfc8441 {
		t.Errorf("summary %q, want %q", sec.Summary, rfc8441)
	}
	f := results.VariantOf(wsFacts, "ws", "h2")
	withH2 := append(variantFixture(), results.Record{Scenario: "v-latency", Kind: "broadcast", Transport: "ws-mux", Repetition: 1, Facts: &f,
		Params: results.Params{Clients: 10}})
	if s := variantSection(t, report.Build(withH2)); len(s.Summary) != 0 {
		t.Errorf("ws has an h2 record, yet: %q", s.Summary)
	}
}

// Without variant records there is no section, and the section adds
// nothing to the others.
func TestVariantSectionAbsentWithoutVariants(t *testing.T) {
	all := variantFixture()
	var plain []results.Record
	for _, r := range all {
		if r.Facts.Plain() {
			plain = append(plain, r)
		}
	}
	rep := report.Build(plain)
	for _, s := range rep.Sections {
		if s.Scenario == report.VariantSectionName {
			t.Fatalf("variant section without variants: %v", s.Tables)
		}
	}
	for _, s := range report.Build([]results.Record{c13Rec("sse-lean+h2", "h2", 10)}).Sections {
		if s.Scenario == report.VariantSectionName {
			t.Errorf("variant section from a browser-measured record alone: %v", s.Tables)
		}
	}
	if len(report.Build(all).Sections) != len(rep.Sections)+1+countScenarios(all)-countScenarios(plain) {
		t.Errorf("the section changed the other sections' count")
	}
}

func countScenarios(recs []results.Record) int {
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Scenario] = true
	}
	return len(seen)
}

func keys(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Real records of the deploy run (trimmed of their histograms): websocket
// beside websocket+tls idle, sse beside sse+h2 in h2-streams. Their facts
// come from the JSON, as a report of a finished run reads them.
func TestVariantSectionFromRealRecords(t *testing.T) {
	recs, err := results.Load("testdata/variants")
	if err != nil {
		t.Fatal(err)
	}
	sec := variantSection(t, report.Build(recs))
	tls := rowsOf(t, sec, "Plaintext vs TLS", "scenario", "transport", "figure")
	heap := tls["tls-idle|websocket / websocket+tls|server heap/conn"]
	// Medians of the three repetitions: 22880 B and 33645 B.
	if heap["plain"] != "22.3 KiB" || heap["TLS"] != "32.9 KiB" || heap["TLS/plain"] != "1.47x" {
		t.Errorf("websocket heap row %v (rows %v)", heap, keys(tls))
	}
	h2 := rowsOf(t, sec, "HTTP/1.1 vs HTTP/2", "scenario", "transport")["h2-streams|sse+h2"]
	if h2["connections"] != "2" || h2["streams/conn"] != "100" || h2["server heap/stream"] != "23.5 KiB" || h2["p99"] != "11.4ms" {
		t.Errorf("sse+h2 row %v", h2)
	}
	if strings.Join(sec.Summary, "\n") != rfc8441 {
		t.Errorf("summary %q, want %q", sec.Summary, rfc8441)
	}
}
