package advise_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/advise"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	mib = 1 << 20
	kib = 1 << 10
)

// idleRecord is an idle step of transport: clients connections, the
// server's RSS before and after, its CPU over a 4 s window.
func idleRecord(transport string, rep, clients int, before, after, cpu float64) results.Record {
	r := results.Record{Scenario: "idle", Kind: "idle", Transport: transport, Repetition: rep,
		Params: results.Params{Clients: clients, Network: "loopback"}}
	r.Server.RSSBytes = int64(after)
	r.Server.RSSPerConn = (after - before) / float64(clients)
	r.Server.CPUSeconds = cpu
	r.Delivery.WindowS = 4
	r.Wire.BytesPerConnMin, r.Wire.BytesIn, r.Wire.BytesOut = 200, 150, 50
	return r
}

// fanoutRecord is a broadcast step to clients at 1 message per second
// with the given p99 (µs) and server CPU over a 2 s window.
func fanoutRecord(transport string, rep, clients int, p99 int64, cpu float64) results.Record {
	r := results.Record{Scenario: "fanout", Kind: "broadcast", StepParam: "clients", StepValue: float64(clients),
		Transport: transport, Repetition: rep,
		Params: results.Params{Clients: clients, Rate: 1, Payload: 64, Network: "loopback"}}
	r.Latency = results.Summary{Count: int64(clients) * 2, P50: p99 / 2, P99: p99}
	r.Delivery.Counts = results.Counts{Expected: int64(clients) * 2, Delivered: int64(clients) * 2}
	r.Delivery.WindowS, r.Delivery.DeliveredPerS = 2, float64(clients)
	r.Server.CPUSeconds = cpu
	r.Wire.BytesPerMessage, r.Wire.BytesIn, r.Wire.BytesOut = 120, 90, 30
	return r
}

func evidence(recs ...results.Record) []advise.Evidence {
	out := make([]advise.Evidence, len(recs))
	for i, r := range recs {
		out[i] = advise.Evidence{Record: r, File: results.RecordFileName(i+1, r)}
	}
	return out
}

func modelsOf(t *testing.T, set advise.Set, transport string) *advise.Models {
	t.Helper()
	for _, m := range set.Models {
		if m.Transport == transport {
			return m
		}
	}
	t.Fatalf("no models for %s among %d", transport, len(set.Models))
	return nil
}

// RSS = 1 MiB + 5 KiB x connections with noise, six repetitions of four
// sizes: the fitted slope's interval holds 5 KiB and is narrow enough to
// exclude 5.5 KiB; the intercept is near 1 MiB.
func TestFitRecoversKnownSlope(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func() float64 { return rng.NormFloat64() * 64 * kib }
	var recs []results.Record
	for rep := 1; rep <= 6; rep++ {
		for _, n := range []int{500, 1000, 2000, 4000} {
			before := 1*mib + noise()
			after := 1*mib + 5*kib*float64(n) + noise()
			recs = append(recs, idleRecord("websocket", rep, n, before, after, 0.01+20e-6*float64(n)))
		}
	}
	m := modelsOf(t, advise.Build(evidence(recs...)), "websocket")
	rss := m.RSS
	if rss == nil || rss.SlopeCI == nil {
		t.Fatalf("rss model %+v: want a fit with an interval", rss)
	}
	if rss.Shape != advise.Linear || rss.Reps != 6 || rss.XMin != 500 || rss.XMax != 4000 {
		t.Errorf("shape %s, %d reps, sizes %g..%g; want linear, 6 reps, 500..4000", rss.Shape, rss.Reps, rss.XMin, rss.XMax)
	}
	if lo, hi := rss.SlopeCI.Lo, rss.SlopeCI.Hi; lo > 5*kib || hi < 5*kib {
		t.Errorf("slope %.0f B/conn, interval [%.0f, %.0f]: does not hold the true 5120", rss.Slope, lo, hi)
	}
	if hi := rss.SlopeCI.Hi; hi >= 5.5*kib || rss.SlopeCI.Lo <= 4.5*kib {
		t.Errorf("interval [%.0f, %.0f] is too wide to tell 5 KiB from 5.5 or 4.5 KiB", rss.SlopeCI.Lo, hi)
	}
	if math.Abs(rss.Intercept-mib) > 64*kib {
		t.Errorf("intercept %.0f B, want about 1 MiB", rss.Intercept)
	}
	if rss.HoldOut == nil || rss.HoldOut.X != 4000 || math.Abs(rss.HoldOut.Error) > 0.05 {
		t.Errorf("hold-out %+v: want the 4000 step predicted within 5%%", rss.HoldOut)
	}
	// 20 µs of CPU per connection over a 4 s window: 5 µs per
	// connection-second, over 0.01 s / 4 s of the process's own.
	if cpu := m.CPUIdle; cpu == nil || math.Abs(cpu.Slope-5e-6) > 1e-12 || math.Abs(cpu.Intercept-0.01/4) > 1e-12 {
		t.Errorf("idle CPU model %+v: want 5 µs per connection-second over 0.0025 cores", cpu)
	}
	if m.KernelPerConn != advise.KernelNotMeasured {
		t.Errorf("kernel per connection %q: records carry none, want %q", m.KernelPerConn, advise.KernelNotMeasured)
	}
}

// The hold-out fits without the largest size and compares its prediction
// there with what was measured there.
func TestHoldOutError(t *testing.T) {
	var ps []advise.Point
	for rep := 1; rep <= 2; rep++ {
		for _, x := range []float64{1, 2, 3} {
			ps = append(ps, advise.Point{X: x, Y: 10 + 2*x, Rep: rep})
		}
		ps = append(ps, advise.Point{X: 4, Y: 30, Rep: rep}) // the line says 18
	}
	f, ok := advise.FitPoints(advise.Linear, advise.Ratio, ps)
	if !ok || f.HoldOut == nil {
		t.Fatalf("fit %+v: want a hold-out", f)
	}
	h := f.HoldOut
	if h.X != 4 || math.Abs(h.Predicted-18) > 1e-9 || h.Measured != 30 || math.Abs(h.Error-(18-30)/30.0) > 1e-12 {
		t.Errorf("hold-out %+v: want 18 predicted at 4, 30 measured, error -0.4", h)
	}
	// Both repetitions are the same: a zero-width interval around the fit
	// on all four points.
	// (sum of (x-2.5)(y-18) = 28) / (sum of (x-2.5)^2 = 5) = 5.6.
	if f.SlopeCI == nil || f.SlopeCI.Lo != f.SlopeCI.Hi || math.Abs(f.Slope-5.6) > 1e-9 {
		t.Errorf("slope %g, interval %+v: want 5.6 exactly (least squares over 1..4)", f.Slope, f.SlopeCI)
	}

	one, ok := advise.FitPoints(advise.Linear, advise.Ratio, []advise.Point{{X: 100, Y: 50, Rep: 1}})
	if !ok || one.HoldOut != nil || one.NotValidated == "" || one.Shape != advise.Ratio || one.Slope != 0.5 {
		t.Errorf("one size: %+v; want a ratio 0.5, not validated with the reason", one)
	}
}

// A prediction more than 4x past the largest size fitted says so.
func TestFarPrediction(t *testing.T) {
	f, _ := advise.FitPoints(advise.Linear, advise.Ratio, []advise.Point{{X: 10, Y: 1, Rep: 1}, {X: 20, Y: 2, Rep: 1}})
	if p := f.Predict(80); p.Far() || p.Beyond != 4 {
		t.Errorf("at 4x: %+v, want Beyond 4 and not far", p)
	}
	if p := f.Predict(81); !p.Far() {
		t.Errorf("at 4.05x: %+v, want far", p)
	}
	if p := f.Predict(15); p.Beyond != 0 || math.Abs(p.Value-1.5) > 1e-12 {
		t.Errorf("inside the range: %+v, want 1.5 and no Beyond", p)
	}
}

// browserSet: websocket and sse measured alike at three sizes, two
// repetitions, idle and fanout, plus the rawtcp floor with p99 1 ms.
func browserSet() []advise.Evidence {
	var recs []results.Record
	for rep := 1; rep <= 2; rep++ {
		for _, tr := range []string{"websocket", "sse-lean", "rawtcp"} {
			for _, n := range []int{100, 1000, 2000} {
				recs = append(recs, idleRecord(tr, rep, n, 20*mib, 20*mib+30*kib*float64(n), 0.004+4e-6*float64(n)))
				recs = append(recs, fanoutRecord(tr, rep, n, 1000+int64(n)*10+int64(rep), 0.002+2e-6*float64(n)))
			}
		}
	}
	return evidence(recs...)
}

func rowOf(t *testing.T, a advise.Advice, transport string) advise.Row {
	t.Helper()
	for _, r := range a.Rows {
		if r.Key.Transport == transport {
			return r
		}
	}
	t.Fatalf("no row for %s", transport)
	return advise.Row{}
}

// Eight tabs per user over HTTP/1.1: SSE is ruled out by the browser's
// six connections per origin, WebSocket is not, raw TCP never runs in a
// browser; with two tabs SSE is feasible again.
func TestRankBrowserSixConnections(t *testing.T) {
	set := advise.Build(browserSet())
	w := advise.DefaultWorkload()
	w.Clients, w.Tabs, w.Rate, w.SLOP99 = 1250, 8, 1, advise.Duration(time.Second)
	a, err := advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	sse, ws, raw := rowOf(t, a, "sse-lean"), rowOf(t, a, "websocket"), rowOf(t, a, "rawtcp")
	if sse.Feasible != advise.Infeasible || !strings.Contains(strings.Join(sse.Why, " "), "6 connections per origin") {
		t.Errorf("sse-lean with 8 tabs: %s %q; want infeasible by the six-connection limit", sse.Feasible, sse.Why)
	}
	if ws.Feasible != advise.Feasible || ws.Servers < 1 || ws.P99 == nil {
		t.Errorf("websocket with 8 tabs: %s, %d servers, p99 %v; want feasible and sized", ws.Feasible, ws.Servers, ws.P99)
	}
	if raw.Feasible != advise.Infeasible {
		t.Errorf("rawtcp in browsers: %s, want infeasible", raw.Feasible)
	}
	if a.Rows[0].Key.Transport != "websocket" {
		t.Errorf("first row %s, want websocket, the only feasible one", a.Rows[0].Key.Transport)
	}
	if len(ws.Records) == 0 || !strings.HasSuffix(ws.Records[0], ".json") {
		t.Errorf("websocket row cites %q, want its record files", ws.Records)
	}

	w.Tabs = 2
	a, err = advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, a, "sse-lean"); r.Feasible != advise.Feasible {
		t.Errorf("sse-lean with 2 tabs: %s %q, want feasible", r.Feasible, r.Why)
	}
}

// Servers follow the p99 model: p99 = 1 ms + 10 µs per client, so an SLO
// of 21 ms allows 2,000 clients per broadcast per server (upper end of a
// narrow interval, so a little less), and 10,000 users need 6 servers.
func TestRankServersFromP99(t *testing.T) {
	set := advise.Build(browserSet())
	w := advise.DefaultWorkload()
	w.Clients, w.Rate, w.SLOP99 = 10000, 1, advise.Duration(21*time.Millisecond)
	a, err := advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	ws := rowOf(t, a, "websocket")
	if ws.Servers != 6 {
		t.Errorf("websocket: %d servers, want 6 (2,000 clients per server at most, just under); decided %q", ws.Servers, ws.Decided)
	}
	if ws.P99 == nil || ws.P99.Upper() > 21000 {
		t.Errorf("predicted p99 %+v above the SLO of 21 ms", ws.P99)
	}
	if ws.RSSGiB == nil || ws.KernelGiB != advise.KernelNotMeasured {
		t.Errorf("memory %+v kernel %q: want RSS predicted and the kernel not measured", ws.RSSGiB, ws.KernelGiB)
	}
	want := (6*20*mib + 30*kib*10000.0) / (1 << 30)
	if math.Abs(ws.RSSGiB.Value-want) > want*0.01 {
		t.Errorf("RSS %.4f GiB, want %.4f (6 x 20 MiB + 30 KiB x 10,000)", ws.RSSGiB.Value, want)
	}
}

// Workloads that make no sense fail with their reason.
func TestRankRefusesNonsense(t *testing.T) {
	set := advise.Build(browserSet())
	floor, _ := advise.Floor(set.Models)
	if floor != 2001 {
		t.Fatalf("floor p99 %g, want 2001 µs (rawtcp's lowest, at 100 clients, rep 1)", floor)
	}
	cases := []struct {
		edit func(*advise.Workload)
		want string
	}{
		{func(w *advise.Workload) { w.Rate = -1 }, "negative"},
		{func(w *advise.Workload) { w.SLOP99 = advise.Duration(time.Millisecond) }, "below the raw-TCP floor"},
		{func(w *advise.Workload) { w.Clients = 0 }, "clients 0"},
		{func(w *advise.Workload) { w.Rate = 0 }, "nothing is pushed"},
		{func(w *advise.Workload) { w.Proxy = "traefik" }, "want nginx or haproxy"},
	}
	for _, c := range cases {
		w := advise.DefaultWorkload()
		w.Clients, w.Rate = 100, 1
		c.edit(&w)
		if _, err := advise.Rank(w, set); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("workload %+v: error %v, want one saying %q", w, err, c.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"10/s": 10, "1/min": 1.0 / 60, "2/h": 2.0 / 3600, "3": 3, "-1/s": -1} {
		got, err := advise.ParseRate(in)
		if err != nil || math.Abs(float64(got)-want) > 1e-12 {
			t.Errorf("ParseRate(%q) = %v, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x/s", "1/week"} {
		if _, err := advise.ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted", in)
		}
	}
}

// A YAML workload sets what it names, keeps the defaults otherwise, and
// refuses keys it does not know.
func TestParseWorkload(t *testing.T) {
	w := advise.DefaultWorkload()
	err := advise.ParseWorkload([]byte("clients: 200000\nrate: 1/min\npayload: 512\ntls: true\nproxy: nginx\nslo_p99: 250ms\nprices:\n  core_hour: 0.04\n"), &w)
	if err != nil {
		t.Fatal(err)
	}
	if w.Clients != 200000 || math.Abs(float64(w.Rate)-1.0/60) > 1e-12 || w.Payload != 512 || !w.TLS || w.Network() != "nginx-stock" ||
		time.Duration(w.SLOP99) != 250*time.Millisecond || w.Prices.CoreHour != 0.04 || w.CoresPerServer != 4 {
		t.Errorf("parsed %+v", w)
	}
	if err := advise.ParseWorkload([]byte("clients: 1\nclinets: 2\n"), &w); err == nil || !strings.Contains(err.Error(), "clinets") {
		t.Errorf("unknown key: %v", err)
	}
}

// The JSON form carries the models with their repetitions' fits, so a
// page can recompute the ranking; it decodes back to the same ranking.
func TestJSONRoundTrip(t *testing.T) {
	set := advise.Build(browserSet())
	w := advise.DefaultWorkload()
	w.Clients, w.Rate = 5000, 1
	a, err := advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (advise.Output{Advice: a, Models: set, Evidence: []string{"x"}}).Write(&buf, advise.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back advise.Output
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	b, err := advise.Rank(back.Advice.Workload, back.Models)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rowSummary(a)) != fmt.Sprint(rowSummary(b)) {
		t.Errorf("ranking from the JSON models differs:\n%v\n%v", rowSummary(a), rowSummary(b))
	}
}

func rowSummary(a advise.Advice) []string {
	var out []string
	for _, r := range a.Rows {
		p := 0.0
		if r.P99 != nil {
			p = r.P99.Value
		}
		out = append(out, fmt.Sprintf("%s %s %d %.6g", r.Key, r.Feasible, r.Servers, p))
	}
	return out
}

// Behind a stock nginx: records through it where every WebSocket step
// failed make WebSocket infeasible with the proxy's reason, over TLS too
// (its +tls variant has no records through the proxy); SSE, which
// delivered through it, is sized on its records there.
func TestRankStockProxyBreaksWebSocket(t *testing.T) {
	ev := browserSet()
	var recs []results.Record
	for rep := 1; rep <= 2; rep++ {
		for _, n := range []int{100, 1000} {
			ws := fanoutRecord("websocket", rep, n, 0, 0)
			ws.Error = "upgrade refused: 400 (fix: proxy_set_header Upgrade)"
			sse := fanoutRecord("sse-lean", rep, n, 5000+int64(n), 0.002+2e-6*float64(n))
			idle := idleRecord("sse-lean", rep, n, 20*mib, 20*mib+40*kib*float64(n), 0.004+5e-6*float64(n))
			for _, r := range []*results.Record{&ws, &sse, &idle} {
				r.Params.Network = "nginx-stock"
				recs = append(recs, *r)
			}
		}
		tlsRec := fanoutRecord("websocket+tls", rep, 100, 1500, 0.01)
		recs = append(recs, tlsRec)
	}
	for i, r := range recs {
		ev = append(ev, advise.Evidence{Record: r, File: fmt.Sprintf("proxy/%03d.json", i+1)})
	}
	set := advise.Build(ev)
	w := advise.DefaultWorkload()
	w.Clients, w.Rate, w.Proxy = 1000, 1, "nginx"
	a, err := advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, a, "websocket"); r.Feasible != advise.Infeasible || !strings.Contains(strings.Join(r.Why, " "), "upgrade refused") {
		t.Errorf("websocket behind stock nginx: %s %q; want infeasible with the proxy's reason", r.Feasible, r.Why)
	}
	sse := rowOf(t, a, "sse-lean")
	if sse.Key.Network != "nginx-stock" || sse.Feasible != advise.Feasible {
		t.Errorf("sse-lean: %s via %s %q; want feasible on its nginx-stock records", sse.Feasible, sse.Key.Network, sse.Why)
	}
	// TLS ends at the proxy: the same plaintext rows, and a note.
	w.TLS = true
	if a, err = advise.Rank(w, set); err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, a, "websocket"); r.Feasible != advise.Infeasible || !strings.Contains(strings.Join(a.Notes, " "), "TLS ends at nginx") {
		t.Errorf("websocket behind stock nginx over TLS: %s %q, notes %q; want infeasible and TLS ending at the proxy noted", r.Feasible, r.Why, a.Notes)
	}
	// A failure through the proxy is cited by its reason up to the first
	// ";" and the fix it names.
	set.Models = append(set.Models, &advise.Models{Key: advise.Key{Transport: "websocket", Family: "websocket", Implementation: "pushbench", Network: "haproxy-stock"},
		Failures: []advise.Failure{{Scenario: "latency", Kind: "broadcast", X: 20, Reason: "error: refused; more (fix: a tunnel timeout)", File: "h.json"}}})
	w.Proxy = "haproxy"
	w.TLS = false
	if a, err = advise.Rank(w, set); err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, a, "websocket"); r.Feasible != advise.Infeasible || !strings.Contains(strings.Join(r.Why, " "), "error: refused (fix: a tunnel timeout)") {
		t.Errorf("websocket behind stock haproxy: %s %q; want infeasible with the short reason and its fix", r.Feasible, r.Why)
	}
}

// Two runs' first repetitions are two repetitions, not one.
func TestRepetitionsOfPooledRuns(t *testing.T) {
	var recs []results.Record
	for _, run := range []string{"a", "b"} {
		for _, n := range []int{100, 200} {
			r := idleRecord("sse-lean", 1, n, mib, mib+4*kib*float64(n), 0.01)
			r.RunID = run
			recs = append(recs, r)
		}
	}
	if m := modelsOf(t, advise.Build(evidence(recs...)), "sse-lean"); m.RSS == nil || m.RSS.Reps != 2 || m.RSS.SlopeCI == nil {
		t.Errorf("rss %+v: want 2 repetitions with an interval", m.RSS)
	}
}

// A repetition measured at one size is left out of a line the others fit,
// and out of its hold-out.
func TestOneSizeRepetitionLeftOut(t *testing.T) {
	var ps []advise.Point
	for rep := 1; rep <= 2; rep++ {
		for _, x := range []float64{1, 2, 3} {
			ps = append(ps, advise.Point{X: x, Y: 5 + x, Rep: rep})
		}
	}
	ps = append(ps, advise.Point{X: 3, Y: 100, Rep: 3}, advise.Point{X: 10, Y: 1, Rep: 4})
	f, ok := advise.FitPoints(advise.Linear, advise.Ratio, ps)
	if !ok || f.Shape != advise.Linear || f.Reps != 2 || f.LeftOut != 2 || f.XMax != 3 || f.Slope != 1 || f.Intercept != 5 {
		t.Fatalf("fit %+v: want the line 5 + x from repetitions 1 and 2, two left out", f)
	}
	if h := f.HoldOut; h == nil || h.Measured != 8 || h.Error != 0 {
		t.Errorf("hold-out %+v: want 8 measured at 3 (repetition 3's 100 left out) and no error", h)
	}
}

// A piecewise fit joins the sizes' means, continues its last segment past
// the largest size, stays flat below the smallest, and is held out like a
// line.
func TestPiecewise(t *testing.T) {
	ps := []advise.Point{{X: 1, Y: 1, Rep: 1}, {X: 2, Y: 2, Rep: 1}, {X: 3, Y: 4, Rep: 1}, {X: 3, Y: 6, Rep: 1}}
	f, ok := advise.FitPoints(advise.Piecewise, advise.Mean, ps)
	if !ok || f.Shape != advise.Piecewise {
		t.Fatalf("fit %+v", f)
	}
	for x, want := range map[float64]float64{0: 1, 1.5: 1.5, 2.5: 3.5, 4: 8} {
		if got := f.Predict(x).Value; math.Abs(got-want) > 1e-12 {
			t.Errorf("at %g: %g, want %g", x, got, want)
		}
	}
	if h := f.HoldOut; h == nil || h.Predicted != 3 || h.Measured != 5 || math.Abs(h.Error+0.4) > 1e-12 {
		t.Errorf("hold-out %+v: want 3 predicted at 3 (the line through 1 and 2), 5 measured, error -0.4", h)
	}
}

// Without idle records the CPU per connection is not measured: the row is
// "unknown" and says so, never sized on 0 µs.
func TestRankNotMeasuredIsUnknown(t *testing.T) {
	var recs []results.Record
	for rep := 1; rep <= 2; rep++ {
		for _, n := range []int{100, 1000} {
			recs = append(recs, fanoutRecord("websocket", rep, n, 1000+int64(n), 0.002+2e-6*float64(n)))
		}
	}
	w := advise.DefaultWorkload()
	w.Clients, w.Rate = 500, 1
	a, err := advise.Rank(w, advise.Build(evidence(recs...)))
	if err != nil {
		t.Fatal(err)
	}
	r := rowOf(t, a, "websocket")
	if r.Feasible != advise.Unknown || !strings.Contains(strings.Join(r.Why, " "), "CPU per idle connection not measured") || r.RSSGiB != nil {
		t.Errorf("row %s %q, RSS %v: want unknown, the idle CPU named not measured, no RSS", r.Feasible, r.Why, r.RSSGiB)
	}
	if d := strings.Join(r.Decided, " "); !strings.Contains(d, "not measured per connection-second") {
		t.Errorf("decided %q: want the CPU line to say the idle figure was not measured", d)
	}
}

// A piecewise fit whose last segment falls continues flat past it.
func TestPiecewiseDoesNotFallPastTheLargestSize(t *testing.T) {
	f, _ := advise.FitPoints(advise.Piecewise, advise.Mean, []advise.Point{{X: 10, Y: 100, Rep: 1}, {X: 30, Y: 20, Rep: 1}})
	if got := f.Predict(60).Value; got != 20 {
		t.Errorf("at 60: %g, want 20 (flat past a falling segment, not -100)", got)
	}
}

// Managed-service prices add a row priced per connection-minute and per
// message, never called feasible: it was not measured.
func TestRankManagedRow(t *testing.T) {
	w := advise.DefaultWorkload()
	w.Clients, w.Rate = 1000, 1
	w.Prices.ManagedConnMinuteMillion, w.Prices.ManagedMessageMillion = 0.25, 1
	a, err := advise.Rank(w, advise.Build(browserSet()))
	if err != nil {
		t.Fatal(err)
	}
	r := rowOf(t, a, "managed websocket")
	// 1,000 connections x 730 h x 60 min, and 1,000 deliveries/s x 730 h x 3,600 s.
	want := 1000*730*60/1e6*0.25 + 1000*730*3600/1e6*1
	if r.CostMonth == nil || math.Abs(*r.CostMonth-want) > 1e-6 || r.Feasible != advise.Unknown {
		t.Errorf("managed row %+v: want cost %.2f and feasibility unknown", r, want)
	}
}

// The kernel's memory per connection comes from the idle records' Slab
// growth: its median, shown as an upper bound for the servers' sockets.
func TestKernelMemoryFromSlabGrowth(t *testing.T) {
	var recs []results.Record
	for rep := 1; rep <= 3; rep++ {
		for _, c := range []int{1000, 2000} {
			r := idleRecord("websocket", rep, c, 20*mib, 20*mib+30*kib*float64(c), 0.1)
			r.Server.KernelSlabPerConn = 4*kib + float64(rep) // 4 KiB and a little
			recs = append(recs, r)
		}
		recs = append(recs, fanoutRecord("websocket", rep, 1000, 5000, 0.2))
	}
	set := advise.Build(evidence(recs...))
	m := modelsOf(t, set, "websocket")
	if m.KernelPerConnBytes != 4*kib+2 || !strings.HasPrefix(m.KernelPerConn, "at most 4.0 KiB") {
		t.Errorf("kernel per connection %v (%q), want the median 4 KiB + 2", m.KernelPerConnBytes, m.KernelPerConn)
	}
	w := advise.DefaultWorkload()
	w.Clients, w.Rate = 100000, 1
	a, err := advise.Rank(w, set)
	if err != nil {
		t.Fatal(err)
	}
	// 100,000 connections x (4 KiB + 2) over all servers.
	if got, want := rowOf(t, a, "websocket").KernelGiB, fmt.Sprintf("<= %.2f", (4*kib+2)*100000.0/(1<<30)); got != want {
		t.Errorf("kernel GiB %q, want %q", got, want)
	}
}
