package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// idleHeap: reps repetitions of the idle scenario of pushbench's own
// longpoll, sse-lean and websocket, server heap per connection
// heap[transport] + jitter(rep).
func idleHeap(reps int, heap map[string]float64, jitter func(rep int) float64) []results.Record {
	var out []results.Record
	for rep := 1; rep <= reps; rep++ {
		for _, tr := range []string{"longpoll", "sse-lean", "websocket"} {
			out = append(out, implRec(nil, "idle", tr, 0, 1000, rep, func(r *results.Record) {
				r.Server.HeapPerConn = heap[tr] + jitter(rep)
				r.Server.HeapBytes, r.Server.Goroutines, r.Server.GoroutinesPerConn = 8<<20, 2000, 2
			}))
		}
	}
	return out
}

func spread(rep int) float64 { return float64(rep * 100) }

// A tie decides nothing: equal heaps give C7 "not decided", with the
// interval of each side, where a clear difference supports it.
func TestClaimTieNotDecided(t *testing.T) {
	tie := claim(idleHeap(8, map[string]float64{"longpoll": 20_000, "sse-lean": 20_000, "websocket": 20_000}, spread), "C7")
	if tie.Verdict != report.NotDecided || !strings.Contains(tie.Evidence, "medians tie: not decided") ||
		!strings.Contains(tie.Evidence, "longpoll vs sse-lean: 20.4k B heap/conn [20.1k B heap/conn, 20.7k B heap/conn] (n=8) vs 20.4k B heap/conn [20.1k B heap/conn, 20.7k B heap/conn] (n=8), p=1.000") {
		t.Errorf("equal heaps: C7 %s: %s", tie.Verdict, tie.Evidence)
	}
	apart := claim(idleHeap(8, map[string]float64{"longpoll": 30_000, "sse-lean": 20_000, "websocket": 20_000}, spread), "C7")
	if apart.Verdict != report.Supported {
		t.Errorf("long poll's heap half again as large: C7 %s: %s", apart.Verdict, apart.Evidence)
	}
}

// Records whose measurement cannot be trusted are left out of the claims
// and counted by reason; the figure of a saturated repetition does not
// enter the sample.
func TestClaimExcludesUntrusted(t *testing.T) {
	recs := idleHeap(8, map[string]float64{"longpoll": 30_000, "sse-lean": 20_000, "websocket": 20_000}, spread)
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Transport == "longpoll" && r.Repetition == 1:
			r.Loadgen.Saturated, r.Server.HeapPerConn = "load generator at 97% of 1 CPU", 1_000
		case r.Transport == "websocket" && r.Repetition == 2:
			r.Publisher = &results.PublisherUsage{Saturated: "publisher 40ms behind its schedule"}
		case r.Transport == "sse-lean" && r.Repetition == 3:
			r.Delivery.Mismatch = "delivered 9 + lost 0 = 9, expected 10"
		case r.Transport == "sse-lean" && r.Repetition == 4:
			r.Delivery.FailedClients = 2
		case r.Transport == "websocket" && r.Repetition == 5:
			r.Delivery.Lost = 1 // the transport's own result: kept
		}
	}
	c := claim(recs, "C7")
	for _, want := range []string{
		"Records: 24 read, 4 excluded (1 clients lost with their worker, 1 counts do not reconcile, 1 load generator saturated, 1 publisher saturated).",
		"longpoll vs sse-lean: 30.5k B heap/conn [30.2k B heap/conn, 30.8k B heap/conn] (n=7) vs 20.6k B heap/conn [20.1k B heap/conn, 20.8k B heap/conn] (n=6)",
		"longpoll vs websocket: 30.5k B heap/conn [30.2k B heap/conn, 30.8k B heap/conn] (n=7) vs 20.5k B heap/conn [20.1k B heap/conn, 20.8k B heap/conn] (n=7)",
	} {
		if !strings.Contains(c.Evidence, want) {
			t.Errorf("C7 lacks %q: %s", want, c.Evidence)
		}
	}
	if c.Verdict != report.Supported {
		t.Errorf("C7 %s: %s", c.Verdict, c.Evidence)
	}
}

// Holm's correction changes a verdict raw p-values would have called: with
// four repetitions a side, each of C7's two comparisons has p 0.029, below
// 0.05, but corrected together they are 0.057, and C7 is not decided.
func TestHolmChangesAClaim(t *testing.T) {
	c := claim(idleHeap(4, map[string]float64{"longpoll": 30_000, "sse-lean": 20_000, "websocket": 20_000}, spread), "C7")
	if c.Verdict != report.NotDecided || strings.Count(c.Evidence, "p=0.029, Holm p=0.057, not significant") != 2 {
		t.Errorf("C7 on 4 repetitions: %s: %s", c.Verdict, c.Evidence)
	}
	if note := report.Build(idleHeap(4, map[string]float64{"longpoll": 30_000}, spread)).ClaimsNote; !strings.Contains(note, "(2 in this report), corrected together with Holm-Bonferroni at alpha 0.05") {
		t.Errorf("the claims note does not state the family and alpha: %s", note)
	}
}

// C6 is never contradicted by records that could not show it: loopback
// records without a fault leave it not decided; a fault scenario without
// loss contradicts it, one with loss supports it.
func TestC6NeedsAFault(t *testing.T) {
	var recs []results.Record
	for rep := 1; rep <= 3; rep++ {
		recs = append(recs, implRec(nil, "latency", "longpoll", 0, 10, rep, func(*results.Record) {}))
	}
	if c := claim(recs, "C6"); c.Verdict != report.NotDecided || !strings.Contains(c.Evidence, "no fault scenario in these records") {
		t.Errorf("fault-free long poll: C6 %s: %s", c.Verdict, c.Evidence)
	}
	fault := implRec(nil, "fault-reset", "longpoll", 0, 10, 1, func(r *results.Record) { r.Params.Fault = "reset every 2s" })
	if c := claim(append(recs, fault), "C6"); c.Verdict != report.Contradicted || !strings.Contains(c.Evidence, "under the faults of fault-reset") {
		t.Errorf("fault-reset without loss: C6 %s: %s", c.Verdict, c.Evidence)
	}
	fault.Delivery.Lost, fault.Delivery.Delivered = 1, fault.Delivery.Delivered-1
	if c := claim(append(recs, fault), "C6"); c.Verdict != report.Supported {
		t.Errorf("fault-reset with a lost message: C6 %s: %s", c.Verdict, c.Evidence)
	}
}

var (
	springMVC = &results.Implementation{Name: "spring-mvc", Version: "4.3", Model: "thread pool", Runtime: "Java", Local: true}
	jetty     = &results.Implementation{Name: "jetty", Version: "9.4.50", Model: "thread pool", Runtime: "Java", Local: true}
	phpFPM    = &results.Implementation{Name: "php-fpm", Version: "8.2", Model: "process per connection", Runtime: "PHP", Local: true}
)

// C8 and C9 per model pool the implementations of one model: Spring MVC
// serves SSE only and Jetty WebSocket only, so neither decides C8 or C9
// alone, but the thread-pool model does, with each transport's figures; a
// model with SSE alone is judged against every WebSocket server measured.
func TestClaimsPerModel(t *testing.T) {
	var recs []results.Record
	add := func(rs ...[]results.Record) {
		for _, r := range rs {
			recs = append(recs, r...)
		}
	}
	for rep := 1; rep <= 3; rep++ {
		recs = append(recs, implRec(springMVC, "latency", "sse", 0, 100, rep, func(r *results.Record) { r.Server.CPUPerMessageUs = 12.5 }))
	}
	add(implFanout(springMVC, "sse", 5000), implIdle(springMVC, "sse", 40_000, 5),
		implFanout(jetty, "websocket", 0), implIdle(jetty, "websocket", 20_000, 2),
		implFanout(phpFPM, "sse", 1000))
	rep := report.Build(recs)
	c8 := claimOf(t, rep, "C8/thread-pool")
	for _, want := range []string{
		"true for a thread pool server: sse (spring-mvc 4.3) held 1000 idle connections (largest step tried), server 12.50 µs CPU/msg (n=3), stopped at 1000 clients, p99 left the SLO (500ms) at 5000 (p99 900ms)",
		"websocket (jetty 9.4.50) held 1000 idle connections (largest step tried), latency not run, within the SLO up to 10k clients",
		"per implementation: spring-mvc 4.3 not measured, jetty 9.4.50 not measured.",
		"p99 at clients=5000, sse (spring-mvc 4.3) (left the SLO) vs websocket (jetty 9.4.50): 900ms",
	} {
		if !strings.Contains(c8.Evidence, want) {
			t.Errorf("C8/thread-pool lacks %q: %s", want, c8.Evidence)
		}
	}
	if c8.Verdict != report.Supported {
		t.Errorf("C8/thread-pool %s, want supported: %s", c8.Verdict, c8.Evidence)
	}
	if c := claimOf(t, rep, "C8/impl"); c.Verdict != report.NotMeasured {
		t.Errorf("C8/impl %s: no implementation has both transports: %s", c.Verdict, c.Evidence)
	}
	c9 := claimOf(t, rep, "C9/thread-pool")
	if c9.Verdict != report.Contradicted || !strings.HasPrefix(c9.Evidence, "not true for a thread pool server: ") ||
		!strings.Contains(c9.Evidence, "RSS/conn websocket (jetty 9.4.50) vs sse (spring-mvc 4.3): mean 19.5 KiB vs 39.1 KiB") ||
		!strings.Contains(c9.Evidence, "memory, 1 pair: 1 contradicts it; CPU, 1 pair: 1 contradicts it.") {
		t.Errorf("C9/thread-pool %s, want contradicted (Jetty's WebSocket lighter than Spring's SSE): %s", c9.Verdict, c9.Evidence)
	}
	// A model without WebSocket is judged against every WebSocket server
	// measured: php-fpm's SSE left the SLO at 1000 where Jetty's
	// WebSocket held 10k.
	php := claimOf(t, rep, "C8/process-per-connection")
	if php.Verdict != report.Supported || !strings.HasPrefix(php.Evidence, "true for a process per connection server: sse (php-fpm 8.2) idle not run, latency not run, stopped at 100 clients, p99 left the SLO (500ms) at 1000 (p99 900ms)") ||
		!strings.Contains(php.Evidence, "p99 at clients=1000, sse (php-fpm 8.2) (left the SLO) vs websocket (jetty 9.4.50)") {
		t.Errorf("C8/process-per-connection %s: %s", php.Verdict, php.Evidence)
	}
}
