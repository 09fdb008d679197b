package report

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
)

func pxRec(network, scenario, transport string, p50, p99 int64, err string) results.Record {
	r := results.Record{Scenario: scenario, Transport: transport, Kind: "broadcast", Error: err}
	r.Params.Network, r.Params.Clients = network, 10
	if err == "" {
		r.Latency.P50, r.Latency.P99, r.Latency.Count = p50, p99, 100
		r.Delivery.Expected, r.Delivery.Delivered = 100, 100
	}
	return r
}

func findRow(t *testing.T, tb Table, network, transport string) map[string]string {
	t.Helper()
	for _, row := range tb.Rows {
		if row[0] == network && row[1] == transport {
			m := map[string]string{}
			for i, h := range tb.Header {
				m[h] = row[i]
			}
			return m
		}
	}
	t.Fatalf("no row for %s %s in %v", network, transport, tb.Rows)
	return nil
}

func TestProxyTableAgainstTheDirectPath(t *testing.T) {
	tuned := pxRec("nginx-tuned", "latency", "sse", 1500, 4000, "")
	tuned.Proxy = &results.ProxyUsage{Kind: "nginx", Form: "tuned", Fix: "proxy_buffering off", RSSPerConn: 2048, CPUPerMsgUs: 12.5}
	tuned.Delivery.Drops, tuned.Delivery.Reconnects = 2, 2
	held := pxRec("haproxy-stock", "latency", "websocket", 100900, 200000, "")
	lossy := pxRec("haproxy-stock", "latency", "sse", 1200, 9000, "")
	lossy.Delivery.Lost, lossy.Delivery.Delivered = 5, 95
	recs := []results.Record{
		pxRec("loopback", "latency", "sse", 1000, 3000, ""),
		pxRec("loopback", "latency", "websocket", 900, 2000, ""),
		tuned, lossy, held,
		pxRec("nginx-stock", "latency", "websocket", 0, 0, `upgrade refused by proxy: nginx stock answered "HTTP/1.1 400 Bad Request"; the nginx stock config forwards no Upgrade header (fix: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade) (config x)`),
	}
	sec, ok := proxySection(recs)
	if !ok || len(sec.Tables) != 1 {
		t.Fatalf("section %v, ok %v", sec, ok)
	}
	tb := sec.Tables[0]
	if r := findRow(t, tb, "haproxy-stock", "websocket"); r["works"] != "yes, held back: p50 +100ms" {
		t.Errorf("a proxy adding 100 ms to the median: works %q", r["works"])
	}
	if len(tb.Rows) != 4 {
		t.Errorf("%d rows, want one per proxied (network, transport): %v", len(tb.Rows), tb.Rows)
	}
	r := findRow(t, tb, "nginx-tuned", "sse")
	if r["works"] != "yes" || r["p50 (+ vs direct)"] != "1.5ms (+500µs)" || r["p99 (+ vs direct)"] != "4ms (+1ms)" ||
		r["p99-p50 (direct)"] != "2.5ms (2ms)" || r["cuts/reconn"] != "2/2" || r["proxy RSS/conn"] != "2.0 KiB" || r["proxy CPU µs/msg"] != "12.5" || r["fix"] != "proxy_buffering off" {
		t.Errorf("nginx-tuned sse row %v", r)
	}
	r = findRow(t, tb, "nginx-stock", "websocket")
	if r["works"] != "no: upgrade refused by proxy: nginx stock answered \"HTTP/1.1 400 Bad Request\"" || r["fix"] != "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade" {
		t.Errorf("nginx-stock websocket row %v", r)
	}
	if r = findRow(t, tb, "haproxy-stock", "sse"); r["works"] != "partly: 5 lost" || r["p50 (+ vs direct)"] != "1.2ms (+200µs)" {
		t.Errorf("haproxy-stock sse row %v", r)
	}
	if got := strings.Join(sec.Summary, " "); !strings.Contains(got, "nginx-stock, latency scenario: works for none; works but holds messages back for none; fails for websocket (no: upgrade refused by proxy") ||
		!strings.Contains(got, "haproxy-stock, latency scenario: works for none; works but holds messages back for websocket (p50 +100ms); fails for sse (partly: 5 lost)") {
		t.Errorf("summary %q", got)
	}
	if _, ok := proxySection(recs[:2]); ok {
		t.Error("a proxies section for loopback records only")
	}
	// Without a loopback record the table says so instead of a difference.
	if r := findRow(t, mustSection(t, recs[2:3]).Tables[0], "nginx-tuned", "sse"); r["p50 (+ vs direct)"] != "1.5ms (no direct)" {
		t.Errorf("no baseline: %v", r)
	}
}

func mustSection(t *testing.T, recs []results.Record) Section {
	t.Helper()
	s, ok := proxySection(recs)
	if !ok {
		t.Fatal("no section")
	}
	return s
}

// C12 through a real proxy: cut without heartbeats, kept with them, over
// every repetition (8), with the heartbeats and the idle timeout the
// records ran with; a transport the proxy refused is named, not judged.
func TestC12WithARealProxy(t *testing.T) {
	var recs []results.Record
	for _, tr := range []string{"sse", "websocket"} {
		a := pxRec("nginx-tuned", "fault-idle-close", tr, 1000, 2000, "")
		a.Params.Fault, a.Params.Heartbeat = "nginx (tuned) closes connections idle for 3s", "20s"
		a.Proxy = &results.ProxyUsage{Kind: "nginx", Form: "tuned", IdleS: 3}
		a.Delivery.Drops = 4
		b := pxRec("nginx-tuned", "fault-idle-close-heartbeat", tr, 1000, 2000, "")
		b.Params.Heartbeat = "1500ms"
		b.Proxy = a.Proxy
		recs = append(recs, a, b)
	}
	recs = append(recs, pxRec("nginx-stock", "fault-idle-close", "websocket", 0, 0, "upgrade refused by proxy: x"))
	var reps []results.Record
	for rep := 1; rep <= 8; rep++ {
		for _, r := range recs {
			r.Repetition = rep
			if rep == 1 && r.Params.Network == "nginx-tuned" && r.Transport == "sse" && r.Scenario == "fault-idle-close" {
				r.Delivery.Drops = 5 // repetition 1 differs: the claim reads every repetition
			}
			reps = append(reps, r)
		}
	}
	rep := Build(reps)
	var c12 Claim
	for _, c := range rep.Claims {
		if c.ID == "C12" {
			c12 = c
		}
	}
	for _, want := range []string{
		"on nginx-tuned (nginx (tuned) closes connections idle for 3s, server heartbeat 20s, with a 1500ms heartbeat, proxy idle timeout 3s): supported: ",
		"sse disconnects per repetition without vs with heartbeats: 4 [4, 4] (n=8) vs 0 [0, 0] (n=8)",
		"websocket disconnects per repetition without vs with heartbeats: 4 [4, 4] (n=8) vs 0 [0, 0] (n=8)",
		"on nginx-stock; websocket did not run both scenarios through it",
		"Records: 40 read, 8 excluded (8 error).",
	} {
		if !strings.Contains(c12.Evidence, want) {
			t.Errorf("C12 evidence lacks %q: %s", want, c12.Evidence)
		}
	}
	if c12.Verdict != Supported || strings.Contains(c12.Evidence, "1 s heartbeat") {
		t.Errorf("C12 %s: %s", c12.Verdict, c12.Evidence)
	}
	var summary string
	for _, s := range rep.Sections {
		if s.Scenario == ProxySectionName {
			summary = strings.Join(s.Summary, "\n")
		}
	}
	if !strings.Contains(summary, "C12 through nginx-tuned (nginx (tuned) closes connections idle for 3s, server heartbeat 20s, with a 1500ms heartbeat, proxy idle timeout 3s): disconnects per repetition without / with heartbeats: sse 5 4 4 4 4 4 4 4 / 0 0 0 0 0 0 0 0") {
		t.Errorf("the proxies section's C12 line does not give every repetition and the recorded settings:\n%s", summary)
	}
	found := false
	for _, s := range rep.Sections {
		found = found || s.Scenario == ProxySectionName
	}
	if !found {
		t.Error("no proxies section in the report")
	}
}
