package plots_test

import (
	"math"
	"math/rand/v2"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

// transports of the synthetic run; "quic" is one the package does not know.
var synthTransports = []string{"rawtcp", "websocket", "sse", "shortpoll", "quic"}

// baseUs is each transport's typical latency in the synthetic run.
var baseUs = map[string]float64{"rawtcp": 800, "websocket": 900, "sse": 1100, "shortpoll": 400_000, "quic": 1000}

// latencyHist records n latencies around base µs with a long tail, the
// way the harness does (1 µs .. 60 s, 3 digits).
func latencyHist(seed uint64, base float64, n int) *hdrhistogram.Histogram {
	h := hdrhistogram.New(1, 60_000_000, 3)
	r := rand.New(rand.NewPCG(seed, 1))
	for range n {
		v := base * math.Exp(r.NormFloat64()*0.3)
		if r.IntN(100) == 0 {
			v *= 8 // the tail
		}
		h.RecordValue(int64(v))
	}
	return h
}

// rec is a successful record with the histogram's summary.
func rec(sc string, step int, param string, value float64, tr string, rep int, h *hdrhistogram.Histogram) results.Record {
	r := results.Record{
		Schema: results.SchemaVersion, Scenario: sc, Step: step, StepParam: param, StepValue: value,
		Transport: tr, Repetition: rep,
		Params: results.Params{Clients: 100, Rate: 10, Payload: 100, MessageBytes: 160, SLOP99Us: 250_000},
	}
	if h != nil {
		r.LatencyHist = h.Export()
		r.Latency = results.Summarize(h)
		r.Delivery.Delivered = h.TotalCount()
	}
	return r
}

// synthetic is a run of every scenario with gaps and zeros in the places
// that trip plots: a transport missing from fanout's last step, a step
// without deliveries, idle connections that send nothing, an unknown
// transport, and a scenario (churn) whose records all failed.
func synthetic() []results.Record {
	var out []results.Record
	seed := uint64(1)
	h := func(tr string, scale float64, n int) *hdrhistogram.Histogram {
		seed++
		return latencyHist(seed, baseUs[tr]*scale, n)
	}
	for _, tr := range synthTransports {
		for rep := 1; rep <= 2; rep++ { // two repetitions: histograms merge
			out = append(out, rec("latency", 0, "", 0, tr, rep, h(tr, 1, 5000)))
		}
		for step, clients := range []int{10, 100, 1000} {
			var hist *hdrhistogram.Histogram
			switch {
			case tr == "shortpoll" && step == 2:
				continue // not run at this step
			case tr == "sse" && step == 2:
				// connected, delivered nothing: no histogram, p99 of 0
			default:
				hist = h(tr, float64(step+1), 1000)
			}
			r := rec("fanout", step, "clients", float64(clients), tr, 1, hist)
			r.Params.Clients = clients
			out = append(out, r)
		}
		for step, rate := range []float64{100, 1000, 10000} {
			r := rec("throughput", step, "rate", rate, tr, 1, h(tr, 1, 2000))
			r.Params.Rate, r.Params.Clients = rate, 4
			r.Delivery.OfferedPerS = rate * 4
			r.Delivery.DeliveredPerS = math.Min(rate*4, 5000) // every transport saturates at 5000/s
			out = append(out, r)
		}
		idle := rec("idle", 0, "", 0, tr, 1, nil)
		idle.Server.RSSPerConn, idle.Server.HeapPerConn, idle.Loadgen.HeapPerConn = 30_000, 20_000, 12_000
		idle.Wire.BytesPerConnMin = map[string]float64{"rawtcp": 0, "websocket": 40, "sse": 120, "shortpoll": 900_000}[tr]
		out = append(out, idle)
		for step, payload := range []int{16, 1024, 65536} {
			r := rec("payload", step, "payload", float64(payload), tr, 1, h(tr, 1, 300))
			r.Params.Payload, r.Params.MessageBytes = payload, payload+60
			r.Wire.BytesPerMessage = float64(results.MinimumOf(r)) * 1.1
			out = append(out, r)
		}
		burst := h(tr, 1, 3000)
		burst.RecordValues(0, 50) // zero latencies cannot sit on a log axis
		out = append(out, rec("burst", 0, "", 0, tr, 1, burst))
		out = append(out, rec("chat", 0, "", 0, tr, 1, h(tr, 1.5, 600)))
		churn := rec("churn", 0, "", 0, tr, 1, h(tr, 1, 100))
		churn.Error = "failed to connect: refused"
		out = append(out, churn)
	}
	return out
}
