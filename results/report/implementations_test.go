package report_test

import (
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

// implIdle: three repetitions of the idle scenario with server RSS per
// connection rss and CPU per connection-second cpu (the middle repetition
// at the figure, the others 10% either side).
func implIdle(im *results.Implementation, tr string, rss, cpu float64) []results.Record {
	var out []results.Record
	for i, f := range []float64{0.9, 1, 1.1} {
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

// implFanout: one repetition per step of 100, 1000, 5000 and 10000
// clients; from the step at failFrom on (0: none) p99 misses the 500 ms
// SLO.
func implFanout(im *results.Implementation, tr string, failFrom float64) []results.Record {
	var out []results.Record
	for i, c := range []float64{100, 1000, 5000, 10000} {
		out = append(out, implRec(im, "fanout", tr, i, c, 1, func(r *results.Record) {
			if failFrom != 0 && c >= failFrom {
				r.Latency.P99, r.Latency.Max = 900_000, 900_000
			}
		}))
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
// capacity in the fanout summary.
func TestImplementationsNotPooled(t *testing.T) {
	rep := report.Build(threeImplementations())
	lat := tableRows(t, rep, "latency", "Delivery and latency")
	if got := lat[""]["order"]; got != "longpoll,longpoll (nchan 1.3.6),sse,sse (nchan 1.3.6),sse (centrifugo 6.9.1),sse-lean,websocket,websocket (nchan 1.3.6),websocket (centrifugo 6.9.1)" {
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
