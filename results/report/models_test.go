package report_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
	"github.com/pushbench/pushbench/scenarios"
)

var jetty17 = &results.Implementation{Name: "jetty", Version: "9.4", Model: "thread pool", Runtime: "Java 17", Local: true}

// With several implementations, every scenario table names each row's
// model and runtime right after its transport, and a step's rows are
// grouped by model in scenarios.Models' order.
func TestTablesShowModelAndRuntime(t *testing.T) {
	recs := append(implLatency(jetty17, "sse", [3]int64{9000, 9100, 9200}, 200), threeImplementations()...)
	rep := report.Build(recs)
	for _, sc := range []string{"latency", "idle"} {
		for _, s := range rep.Sections {
			if s.Scenario != sc {
				continue
			}
			tb := s.Tables[0]
			at := slices.Index(tb.Header, "transport")
			if at < 0 || len(tb.Header) < at+3 || tb.Header[at+1] != "model" || tb.Header[at+2] != "runtime" {
				t.Fatalf("%s header %q: want model and runtime after transport", sc, tb.Header)
			}
			last := -1
			for _, row := range tb.Rows {
				rank := slices.Index(scenarios.Models, row[at+1])
				if rank < 0 {
					rank = len(scenarios.Models)
				}
				if rank < last {
					t.Errorf("%s: row %q (%s) after a later model's row", sc, row[at], row[at+1])
				}
				last = rank
			}
		}
	}
	lat := tableRows(t, rep, "latency", "Delivery and latency")
	for label, want := range map[string][2]string{
		"sse":                    {"event loop", "Go"},
		"sse (nchan 1.3.6)":      {"event loop", "C (nginx)"},
		"sse (jetty 9.4)":        {"thread pool", "Java 17"},
		"sse (centrifugo 6.9.1)": {"goroutine per connection", "Go"},
	} {
		if got := [2]string{lat[label]["model"], lat[label]["runtime"]}; got != want {
			t.Errorf("%s: model, runtime %q, want %q", label, got, want)
		}
	}
	// The implementations table: each transport's rows by model too,
	// though jetty's records came first.
	sse := implRows(t, implSection(t, rep), "sse")
	if got := sse[""]["order"]; got != "pushbench,nchan,jetty,centrifugo" {
		t.Errorf("implementations sse rows %s, want event loops, then the thread pool, then the unknown model", got)
	}
	if got := sse["jetty"]["model"] + "|" + sse["jetty"]["runtime"]; got != "thread pool|Java 17" {
		t.Errorf("jetty model|runtime %q", got)
	}
}

// A report of pushbench's records alone has no model column: every row
// would say the same.
func TestOneImplementationHasNoModelColumn(t *testing.T) {
	rep := report.Build(implLatency(nil, "sse", [3]int64{1000, 1100, 1200}, 140))
	for _, s := range rep.Sections {
		for _, tb := range s.Tables {
			if slices.Contains(tb.Header, "model") || slices.Contains(tb.Header, "runtime") {
				t.Errorf("%s %q has a model column with one implementation", s.Scenario, tb.Title)
			}
		}
	}
}

// stacksIdle is an idle ramp of the stacks suite: one repetition per
// step of 1,000, 10,000, 19,000 and 50,000 clients, held up to held
// (RSS per connection rss at each); the step above fails and the rest
// are left unrun, as the harness records them.
func stacksIdle(im *results.Implementation, tr string, held int, rss float64) []results.Record {
	var out []results.Record
	failed := false
	for i, c := range []int{1000, 10000, 19000, 50000} {
		out = append(out, implRec(im, "stacks-idle", tr, i, float64(c), 1, func(r *results.Record) {
			r.Kind, r.StepParam, r.StepValue = "idle", "clients", float64(c)
			r.Server.RSSPerConn, r.Server.CPUPerConnSecUs, r.Server.HeapPerConn = rss, 2, rss/2
			switch {
			case failed:
				r.Error = "not run: an earlier step failed: connect: context deadline exceeded"
			case c > held:
				r.Error, failed = "connect: context deadline exceeded", true
			}
		}))
	}
	return out
}

// The implementations table reads the stacks suite's idle ramp as the
// idle scenario: per-connection costs at the largest step each server
// held, and how many that was, with the step it failed at.
func TestIdleHeldFromTheStacksRamp(t *testing.T) {
	php := &results.Implementation{Name: "php-fpm", Version: "8.2", Model: "process per connection", Runtime: "PHP 8.2", Local: true}
	recs := append(stacksIdle(nil, "sse", 50000, 20_000), stacksIdle(php, "sse", 1000, 2<<20)...)
	recs = append(recs, stacksIdle(jetty17, "sse", 500, 1<<20)...)
	sse := implRows(t, implSection(t, report.Build(recs)), "sse")
	for impl, want := range map[string]map[string]string{
		"pushbench": {"idle conns held": "50k+ (largest step tried)", "server RSS/idle conn": "19.5 KiB"},
		"php-fpm":   {"idle conns held": "1000 (10k failed)", "server RSS/idle conn": "2.0 MiB", "model": "process per connection"},
		"jetty":     {"idle conns held": "none (1000 failed)", "server RSS/idle conn": "excluded"},
	} {
		for col, v := range want {
			if got := sse[impl][col]; got != v {
				t.Errorf("%s %s = %q, want %q", impl, col, got, v)
			}
		}
	}
}

// C9 per implementation reads an idle ramp at the largest step each
// transport held, not at the step that failed: a server whose SSE and
// WebSocket both held 10,000 and failed at 19,000 is compared, with the
// WebSocket side heavier on memory (one repetition: not decided, but
// measured).
func TestC9ReadsARampAtTheStepItHeld(t *testing.T) {
	node := &results.Implementation{Name: "node-x", Version: "1", Model: "event loop", Runtime: "Node.js", Local: true}
	recs := append(stacksIdle(node, "sse", 10000, 20_000), stacksIdle(node, "websocket", 10000, 30_000)...)
	recs = append(recs, threeImplementations()...)
	for _, c := range report.Build(recs).Claims {
		if c.ID != "C9/impl" {
			continue
		}
		if !strings.Contains(c.Evidence, "node-x 1: RSS/conn websocket vs sse: mean 29.3 KiB") || strings.Contains(c.Evidence, "node-x 1 not measured") {
			t.Errorf("node-x's ramp was not read at the step it held: %s", c.Evidence)
		}
		return
	}
	t.Error("no C9/impl claim")
}

// stacksRamp is a stacks-idle ramp of reps repetitions: each step up to
// held holds; the step above fails in the repetitions failing says (the
// others hold it too), and the steps after it are not run.
func stacksRamp(im *results.Implementation, tr string, held, reps int, failing func(rep int) bool) []results.Record {
	var out []results.Record
	for rep := 1; rep <= reps; rep++ {
		failed := false
		for i, c := range []int{1000, 19000, 50000} {
			out = append(out, implRec(im, "stacks-idle", tr, i, float64(c), rep, func(r *results.Record) {
				r.Kind, r.StepParam, r.StepValue = "idle", "clients", float64(c)
				r.Server.RSSPerConn, r.Server.CPUPerConnSecUs = 10_000*(1+float64(rep)/100), 2*(1+float64(rep)/100)
				switch {
				case failed:
					r.Error = "not run: an earlier step failed"
				case c > held && failing(rep):
					r.Error, failed = "connect: 5 of 19000 clients connected", true
				}
			}))
		}
	}
	return out
}

func always(int) bool { return true }

// C8 per model pairs an SSE server with a WebSocket server on its own
// runtime and orders them by the idle step each held in every repetition:
// SSE that fails a step WebSocket held supports the claim; both holding
// the same steps, idle and fanout, contradict it over the steps measured;
// a failure in only some repetitions decides nothing.
func TestC8PerModelOrdersIdleRampsOnOneRuntime(t *testing.T) {
	im := func(name, model, runtime string) *results.Implementation {
		return &results.Implementation{Name: name, Version: "1", Model: model, Runtime: runtime, Local: true}
	}
	nodeSSE, nodeWS := im("node-sse", "event loop", "Node.js"), im("node-ws", "event loop", "Node.js")
	goSrv := im("go-srv", "event loop", "Go")
	phpSSE, javaSSE, javaWS := im("php", "process per connection", "PHP"), im("java-sse", "thread pool", "JVM"), im("java-ws", "thread pool", "JVM")
	var recs []results.Record
	for _, rs := range [][]results.Record{
		stacksRamp(nodeSSE, "sse", 19000, 3, always), stacksRamp(nodeWS, "websocket", 19000, 3, always),
		stacksRamp(goSrv, "sse", 1000, 3, always), stacksRamp(goSrv, "websocket", 19000, 3, always),
		implFanout(nodeSSE, "sse", 0), implFanout(nodeWS, "websocket", 0),
		implFanout(goSrv, "sse", 0), implFanout(goSrv, "websocket", 0),
		stacksRamp(phpSSE, "sse", 0, 3, always),
		stacksRamp(javaSSE, "sse", 1000, 3, func(rep int) bool { return rep == 2 }), stacksRamp(javaWS, "websocket", 19000, 3, always),
	} {
		recs = append(recs, rs...)
	}
	rep := report.Build(recs)

	// Event loop: Go's SSE failed 19,000 where Go's WebSocket held it
	// (supports); Node's held as far on both (contradicts): mixed. Node's
	// SSE is never set against Go's WebSocket.
	ev := claimOf(t, rep, "C8/event-loop")
	for _, want := range []string{
		"2 pairs: 1 supports it, 1 contradicts it. ",
		"sse (go-srv 1) held 1000 idle connections, failed at 19k in 3 of 3 repetitions",
		"websocket (go-srv 1) held 19k idle connections, failed at 50k in 3 of 3 repetitions (error: connect: 5 of 19000 clients connected): SSE stopped below WebSocket",
		"fanout sse (node-sse 1) 10k+ (largest step tried, limit not reached), websocket (node-ws 1) 10k+ (largest step tried, limit not reached): SSE scaled as far as WebSocket over the steps measured",
	} {
		if !strings.Contains(ev.Evidence, want) {
			t.Errorf("C8/event-loop lacks %q: %s", want, ev.Evidence)
		}
	}
	if strings.Contains(ev.Evidence, "sse (node-sse 1) held 19k idle connections; websocket (go-srv 1)") {
		t.Errorf("C8/event-loop set Node's SSE against Go's WebSocket: %s", ev.Evidence)
	}
	if ev.Verdict != report.Mixed {
		t.Errorf("C8/event-loop %s, want mixed: %s", ev.Verdict, ev.Evidence)
	}
	// Process per connection, without WebSocket: against every WebSocket
	// server measured; PHP's SSE held no step.
	if c := claimOf(t, rep, "C8/process-per-connection"); c.Verdict != report.Supported ||
		!strings.Contains(c.Evidence, "sse (php 1) held no idle step, failed at 1000 in 3 of 3 repetitions (error: connect: 5 of 19000 clients connected)") {
		t.Errorf("C8/process-per-connection %s, want supported: %s", c.Verdict, c.Evidence)
	}
	// Thread pool: Java's SSE failed 19,000 in one repetition of three and
	// held it in two: the idle ramp cannot order the pair.
	if c := claimOf(t, rep, "C8/thread-pool"); c.Verdict != report.NotDecided || !strings.Contains(c.Evidence, "the idle steps cannot order") && !strings.Contains(c.Evidence, "fanout") {
		t.Errorf("C8/thread-pool %s, want not decided: %s", c.Verdict, c.Evidence)
	}
}
