package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// c13Rec is a browser record of 10 EventSources: the first open streams
// open at 10 ms, the rest (waiting ones) at 2000 ms; every stream closes
// at 1500 ms, or just after it opened when it opened later.
func c13Rec(transport, proto string, open int) results.Record {
	b := &results.BrowserRun{Protocol: proto, Protocols: []string{proto}, API: "eventsource", Tabs: 1, StreamsPerTab: 10, Connections: 1}
	for i := 1; i <= 10; i++ {
		s := results.BrowserStream{Tab: 1, Stream: i, OpenedMs: 10, FirstMs: 20, ClosedMs: 1500, FirstLatencyUs: 2000, Messages: 10, Opens: 1}
		if i > open {
			s.OpenedMs, s.FirstMs, s.ClosedMs, s.FirstLatencyUs = 2000, 2001, 2002, 1_500_000
		}
		b.Streams = append(b.Streams, s)
	}
	r := results.Record{Scenario: "browser-c13", Kind: "browser", Transport: transport, Repetition: 1, Client: results.ClientBrowser, Browser: b,
		Params: results.Params{Clients: 10, Rate: 20, Network: "loopback"}}
	r.Delivery.Expected, r.Delivery.Delivered, r.Delivery.Published = 100, 100, 10
	r.Latency = results.Summary{Count: 100, P50: 3000, P99: 1_500_000, Max: 1_500_000}
	return r
}

func TestC13FromBrowserRecords(t *testing.T) {
	cases := []struct {
		name    string
		recs    []results.Record
		verdict string
		want    []string
	}{
		{"six then the rest; h2 all at once", []results.Record{c13Rec("sse-lean", "http/1.1", 6), c13Rec("sse-lean+h2", "h2", 10)}, report.Supported,
			[]string{"at most 6 open at once", "streams 7, 8, 9, 10 only after others closed (2.00 s – 2.00 s)", "over h2 (h2): 10 of 10 open at once"}},
		{"HTTP/1.1 opens all ten", []results.Record{c13Rec("sse-lean", "http/1.1", 10), c13Rec("sse-lean+h2", "h2", 10)}, report.Contradicted,
			[]string{"at most 10 open at once"}},
		{"h2 waits too", []results.Record{c13Rec("sse-lean", "http/1.1", 6), c13Rec("sse-lean+h2", "h2", 6)}, report.Mixed,
			[]string{"4 waited"}},
		{"no h2 record", []results.Record{c13Rec("sse-lean", "http/1.1", 6)}, report.NotDecided, []string{"h2 unlimited in 0 of 0"}},
		{"no browser record", latencyRecs(1, map[string]int64{"websocket": 1000, "sse-lean": 1000, "rawtcp": 1000}, alternating), report.NotMeasured,
			[]string{"browser-c13"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := claim(c.recs, "C13")
			if got.Verdict != c.verdict {
				t.Errorf("verdict %q, want %q (%s)", got.Verdict, c.verdict, got.Evidence)
			}
			for _, w := range c.want {
				if !strings.Contains(got.Evidence, w) {
					t.Errorf("evidence %q does not contain %q", got.Evidence, w)
				}
			}
		})
	}
}

// Browser records get a browsers section with one row each, and their
// bytes (not counted at a socket) are never shown as 0 B/msg.
func TestBrowserSection(t *testing.T) {
	rep := report.Build([]results.Record{c13Rec("sse-lean", "http/1.1", 6), c13Rec("sse-lean+h2", "h2", 10)})
	var found bool
	for _, s := range rep.Sections {
		if s.Scenario == report.BrowserSectionName {
			found = true
			if len(s.Tables) != 1 || len(s.Tables[0].Rows) != 2 {
				t.Fatalf("browsers section tables %+v", s.Tables)
			}
			row := strings.Join(s.Tables[0].Rows[0], "|")
			if !strings.Contains(row, "|6|") || !strings.Contains(row, "2.00 s – 2.00 s") {
				t.Errorf("HTTP/1.1 row %q: want 6 open at once and the waiting ones at 2.00 s", row)
			}
		}
		for _, tb := range s.Tables {
			for _, r := range tb.Rows {
				for _, c := range r {
					if c == "0 B" || c == "0 B/msg" {
						t.Errorf("section %s shows %q for a browser record", s.Scenario, c)
					}
				}
			}
		}
	}
	if !found {
		t.Error("no browsers section")
	}
}
