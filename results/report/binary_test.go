package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// payloadRecs are the payload steps of a text (payload) or binary
// (payload-binary) scenario, one record per (payload, transport), with
// bytes per message bpm(transport, payload) and fixed CPU figures.
func payloadRecs(binary bool, bpm func(tr string, payload int) float64) []results.Record {
	scen := "payload"
	if binary {
		scen = "payload-binary"
	}
	var out []results.Record
	for step, p := range []int{16, 65536} {
		for _, tr := range []string{"sse", "sse-lean", "websocket", "rawtcp"} {
			r := results.Record{Scenario: scen, Kind: "broadcast", Step: step, StepParam: "payload", StepValue: float64(p), Transport: tr, Repetition: 1,
				Params: results.Params{Clients: 10, Rate: 20, Payload: p, Binary: binary, MessageBytes: p + 50, SLOP99Us: 500_000, Network: "loopback"}}
			r.Delivery.Expected, r.Delivery.Delivered, r.Delivery.Published = 200, 200, 20
			r.Latency = results.Summary{Count: 200, P50: 1000, P90: 1000, P99: 1000, P999: 1000, Max: 1000}
			r.Wire.BytesPerMessage = bpm(tr, p)
			r.Server.CPUPerMessageUs, r.Loadgen.CPUPerMessageUs = 10, 20
			if binary {
				r.Server.CPUPerMessageUs, r.Loadgen.CPUPerMessageUs = 11, 33
			}
			out = append(out, r)
		}
	}
	return out
}

// TestBinaryTableSetsBinaryBesideText: the binary-vs-text section pairs
// each binary record with the text one of the same transport and payload,
// and shows bytes, their ratio and CPU per message from the records.
func TestBinaryTableSetsBinaryBesideText(t *testing.T) {
	text := payloadRecs(false, func(tr string, p int) float64 { return float64(p + 60) })
	bin := payloadRecs(true, func(tr string, p int) float64 {
		if strings.HasPrefix(tr, "sse") {
			return float64(p*4/3 + 70)
		}
		return float64(p + 30)
	})
	rep := report.Build(append(text, bin...))
	var tab *report.Table
	for i, s := range rep.Sections {
		if s.Scenario == "binary-vs-text" {
			tab = &rep.Sections[i].Tables[0]
		}
	}
	if tab == nil {
		t.Fatal("no binary-vs-text section")
	}
	if len(tab.Rows) != 8 {
		t.Fatalf("%d rows, want 2 payloads x 4 transports: %v", len(tab.Rows), tab.Rows)
	}
	want := map[string][]string{
		"64.0 KiB sse":       {"65596", "87451", "1.33x", "10.00", "11.00", "20.00", "33.00"},
		"64.0 KiB websocket": {"65596", "65566", "1.00x", "10.00", "11.00", "20.00", "33.00"},
		"16 B rawtcp":        {"76", "46", "0.61x", "10.00", "11.00", "20.00", "33.00"},
	}
	for _, row := range tab.Rows {
		if w, ok := want[row[0]+" "+row[1]]; ok {
			if got := strings.Join(row[2:], " "); got != strings.Join(w, " ") {
				t.Errorf("%s %s: %s, want %s", row[0], row[1], got, strings.Join(w, " "))
			}
			delete(want, row[0]+" "+row[1])
		}
	}
	if len(want) > 0 {
		t.Errorf("rows missing: %v", want)
	}
	if got := report.Build(text); len(got.Sections) != 1 {
		t.Errorf("a run without binary records has %d sections, want the payload one alone", len(got.Sections))
	}
}

// TestC11FromBinaryRecords: C11 is supported when both SSE transports send
// at least 1.2x WebSocket's bytes for a binary payload at the largest
// payload, contradicted when neither does, and not measured without
// binary records.
func TestC11FromBinaryRecords(t *testing.T) {
	base64ed := payloadRecs(true, func(tr string, p int) float64 {
		if strings.HasPrefix(tr, "sse") {
			return float64(p*4/3 + 70)
		}
		return float64(p + 30)
	})
	c := claim(repeated(base64ed, 8), "C11")
	if c.Verdict != report.Supported || !strings.Contains(c.Evidence, "sse vs 1.2x websocket: 87.5k B/msg [87.5k B/msg, 87.5k B/msg] (n=8) vs 1.2x 65.6k B/msg") || !strings.Contains(c.Evidence, "64.0 KiB payload") {
		t.Errorf("base64 over SSE: %s: %s", c.Verdict, c.Evidence)
	}
	same := payloadRecs(true, func(tr string, p int) float64 { return float64(p + 30) })
	if c := claim(repeated(same, 8), "C11"); c.Verdict != report.Contradicted {
		t.Errorf("SSE as cheap as WebSocket: %s: %s", c.Verdict, c.Evidence)
	}
	half := payloadRecs(true, func(tr string, p int) float64 {
		if tr == "sse" {
			return float64(p * 2)
		}
		return float64(p + 30)
	})
	if c := claim(repeated(half, 8), "C11"); c.Verdict != report.Mixed {
		t.Errorf("one SSE transport dearer: %s: %s", c.Verdict, c.Evidence)
	}
	text := payloadRecs(false, func(tr string, p int) float64 { return float64(p) })
	if c := claim(text, "C11"); c.Verdict != report.NotMeasured {
		t.Errorf("text only: %s: %s", c.Verdict, c.Evidence)
	}
}
