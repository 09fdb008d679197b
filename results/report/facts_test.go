package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
	"github.com/pushbench/pushbench/transports"
)

// A transport pushbench's report code has never heard of, registered here
// with its own facts, and a variant of it that says nothing of its style.
var (
	fakeQuic = transports.Transport{Name: "fakequic", Library: "test", Push: true, Order: 25, Variants: []string{"tls"},
		Style:          transports.Style{Color: "#AA3377", Glyph: "plus"},
		FramingMinimum: func(size int) int { return size + 3 }}
)

func init() {
	transports.Register(fakeQuic)
}

// factsRec is one record of scenario on transport, with p99 and bytes per
// message; the registered fakes carry the facts the harness would give
// them, the built-in transports none (as in records of older runs).
func factsRec(scenario, transport string, step int, p99 int64, bpm float64) results.Record {
	r := results.Record{Scenario: scenario, Kind: "broadcast", Transport: transport, Step: step, Repetition: 1,
		Params: results.Params{Clients: 10, Rate: 10, Payload: 100, MessageBytes: 160, SLOP99Us: 100_000, Network: "loopback"}}
	if scenario == "payload" {
		r.StepParam, r.StepValue = "payload", 100
	}
	r.Delivery.Expected, r.Delivery.Delivered, r.Delivery.Published = 100, 100, 10
	r.Latency = results.Summary{Count: 100, P50: p99 / 2, P90: p99, P99: p99, P999: p99, Max: p99}
	r.Wire.BytesPerMessage = bpm
	if tr, err := transports.Lookup(transport); err == nil {
		r.Facts = tr.Facts(r.Params.MessageBytes, false)
	}
	return r
}

func tableRows(t *testing.T, rep *report.Report, scenario, title string) map[string]map[string]string {
	t.Helper()
	for _, s := range rep.Sections {
		if s.Scenario != scenario {
			continue
		}
		for _, tb := range s.Tables {
			if !strings.HasPrefix(tb.Title, title) {
				continue
			}
			rows := map[string]map[string]string{}
			var order []string
			for _, row := range tb.Rows {
				m := map[string]string{}
				for i, h := range tb.Header {
					m[h] = row[i]
				}
				rows[m["transport"]] = m
				order = append(order, m["transport"])
			}
			rows[""] = map[string]string{"order": strings.Join(order, ",")}
			return rows
		}
	}
	t.Fatalf("no table %q in %s", title, scenario)
	return nil
}

// A new transport and its variant enter the report through their facts
// alone: in order (by Order, the variant beside its base, the floor last),
// with the floor's ratio and their framing minimum.
func TestFakeTransportByItsFacts(t *testing.T) {
	var recs []results.Record
	for _, tr := range []string{"websocket", "fakequic", "fakequic+tls", "sse-lean", "rawtcp"} {
		p99 := map[string]int64{"rawtcp": 1000, "websocket": 1200, "fakequic": 1500, "fakequic+tls": 1800, "sse-lean": 1300}[tr]
		recs = append(recs, factsRec("latency", tr, 0, p99, 100), factsRec("payload", tr, 0, p99, 200))
	}
	rep := report.Build(recs)
	rows := tableRows(t, rep, "latency", "")
	if got, want := rows[""]["order"], "sse-lean,fakequic,fakequic+tls,websocket,rawtcp"; got != want {
		t.Errorf("latency table order %s, want %s", got, want)
	}
	if got := rows["fakequic"]["p99 vs floor"]; !strings.HasPrefix(got, "1.50") {
		t.Errorf("fakequic p99 vs floor %q, want 1.50 (1500/1000)", got)
	}
	if got := rows["fakequic+tls"]["p99 vs floor"]; !strings.HasPrefix(got, "1.80") {
		t.Errorf("fakequic+tls p99 vs floor %q, want 1.80", got)
	}
	pay := tableRows(t, rep, "payload", "Bytes on the wire")
	if got := pay["fakequic"]["protocol minimum"]; got != "163" {
		t.Errorf("fakequic protocol minimum %s, want 163 (its own framing: 160 + 3)", got)
	}
	if got := pay["fakequic+tls"]["protocol minimum"]; got != "163" {
		t.Errorf("fakequic+tls protocol minimum %s, want its base's 163", got)
	}
	if got := pay["websocket"]["protocol minimum"]; got != "164" {
		t.Errorf("websocket (no facts recorded) protocol minimum %s, want the built-in 164 (160 + a 4-byte header)", got)
	}
	var p99 string
	for _, s := range rep.Sections {
		for _, l := range s.Summary {
			if s.Scenario == "latency" && strings.HasPrefix(l, "p99 (") {
				p99 = l
			}
		}
	}
	if !strings.Contains(p99, "vs rawtcp: ") || !strings.Contains(p99, "fakequic 1.50") {
		t.Errorf("the p99 summary does not give fakequic's ratio to the floor: %s", p99)
	}
}

// The floor is whatever the facts say: a record set whose floor is a new
// transport takes every ratio against it.
func TestFloorFromFacts(t *testing.T) {
	var recs []results.Record
	for _, tr := range []string{"websocket", "fakefloor"} {
		r := factsRec("latency", tr, 0, map[string]int64{"websocket": 1200, "fakefloor": 400}[tr], 100)
		if tr == "fakefloor" {
			r.Facts = &results.TransportFacts{Push: true, Floor: true, Order: 5}
		}
		recs = append(recs, r)
	}
	rows := tableRows(t, report.Build(recs), "latency", "")
	if got := rows["websocket"]["p99 vs floor"]; !strings.HasPrefix(got, "3.00") {
		t.Errorf("websocket p99 vs floor %q, want 3.00 (1200/400 against fakefloor)", got)
	}
	if got := rows[""]["order"]; got != "websocket,fakefloor" {
		t.Errorf("order %s, want the floor last", got)
	}
}

// Claims compare like with like: with sse+h2 records beside the plaintext
// ones, every claim judges the plaintext HTTP/1.1 records and names no
// variant, whatever the variant's numbers; the tables still show it,
// beside its base.
func TestClaimsKeepToPlaintextRecords(t *testing.T) {
	idle := func(tr string, heap float64, facts *results.TransportFacts) results.Record {
		r := factsRec("idle", tr, 0, 1000, 100)
		r.Server.HeapPerConn, r.Server.CPUPerConnSecUs = heap, heap/10_000
		r.Facts = facts
		return r
	}
	h2 := &results.TransportFacts{Base: "sse", Variant: "h2", Push: true, EventSource: true, Order: 40}
	plain := []results.Record{idle("websocket", 25_000, nil), idle("sse", 31_000, nil), idle("sse-lean", 29_000, nil)}
	withH2 := append(append([]results.Record(nil), plain...), idle("sse+h2", 1_000, h2))
	withH2 = append(withH2, fanoutRecs(map[string]float64{"sse": 1000, "sse-lean": 1000, "websocket": 5000})...)
	h2fan := results.Record{Scenario: "fanout", Kind: "broadcast", Transport: "sse+h2", Step: 2, StepParam: "clients", StepValue: 5000, Repetition: 1,
		Params: results.Params{Clients: 5000, Rate: 1, SLOP99Us: 500_000, Network: "loopback"}, Facts: h2}
	h2fan.Delivery.Expected, h2fan.Delivery.Delivered = 10, 10
	h2fan.Latency = results.Summary{Count: 10, P50: 1000, P99: 1000, Max: 1000}
	withH2 = append(withH2, h2fan)
	plainOnly := append(append([]results.Record(nil), plain...), fanoutRecs(map[string]float64{"sse": 1000, "sse-lean": 1000, "websocket": 5000})...)

	a, b := report.Build(plainOnly).Claims, report.Build(withH2).Claims
	for i := range a {
		if strings.Contains(b[i].Evidence, "sse+h2") {
			t.Errorf("%s names the h2 variant: %s", b[i].ID, b[i].Evidence)
		}
		if a[i] != b[i] {
			t.Errorf("%s changed with sse+h2 records present:\nplain: %s: %s\nwith:  %s: %s", a[i].ID, a[i].Verdict, a[i].Evidence, b[i].Verdict, b[i].Evidence)
		}
	}
	if c9 := claim(withH2, "C9"); c9.Verdict == report.NotMeasured {
		t.Errorf("C9 not judged: %s", c9.Evidence)
	}
	if c8 := claim(withH2, "C8"); c8.Verdict != report.Supported {
		t.Errorf("C8 = %s (%s), want supported from the plaintext records", c8.Verdict, c8.Evidence)
	}
	if got := tableRows(t, report.Build(withH2), "idle", "")[""]["order"]; got != "sse,sse+h2,sse-lean,websocket" {
		t.Errorf("idle table order %s, want the variant beside its base", got)
	}
}
