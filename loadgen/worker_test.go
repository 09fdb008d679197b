package loadgen

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// TestMergeIsExact: two workers' histograms, shipped in the V2 encoding and
// merged, equal one histogram fed every sample: same count, same value at
// every quantile.
func TestMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	one, a, b := newHist(), newHist(), newHist()
	for i := 0; i < 20000; i++ {
		v := int64(rng.ExpFloat64()*2000) + 1
		_ = one.RecordValue(v)
		if i%3 == 0 {
			_ = a.RecordValue(v)
		} else {
			_ = b.RecordValue(v)
		}
	}
	var reps []Report
	for i, h := range []*hdrhistogram.Histogram{a, b} {
		r, err := Window{Latency: h, Connect: newHist(), Reconnect: newHist(), Counts: results.Counts{Delivered: h.TotalCount()}, Clients: 1}.Encode()
		if err != nil {
			t.Fatal(i, err)
		}
		reps = append(reps, r)
	}
	w, err := Merge(reps)
	if err != nil {
		t.Fatal(err)
	}
	if w.Latency.TotalCount() != one.TotalCount() || w.Delivered != one.TotalCount() || w.Clients != 2 {
		t.Fatalf("merged count %d, delivered %d, clients %d; want %d, %d, 2", w.Latency.TotalCount(), w.Delivered, w.Clients, one.TotalCount(), one.TotalCount())
	}
	for _, q := range []float64{1, 50, 90, 99, 99.9, 99.99, 100} {
		if got, want := w.Latency.ValueAtQuantile(q), one.ValueAtQuantile(q); got != want {
			t.Errorf("p%v: merged %d, one histogram %d", q, got, want)
		}
	}
	bad := reps[0]
	bad.Latency = bad.Latency[:len(bad.Latency)/2]
	if _, err := Merge([]Report{bad}); err == nil {
		t.Error("a truncated histogram merged without an error")
	}
}

// TestWorkerOverHTTP drives a Worker through Remote, as the coordinator
// does, against a server that plants a hole (15) and an unexpected seq
// (999): the report counts both, and its histogram holds every delivery.
func TestWorkerOverHTTP(t *testing.T) {
	srv := plantedSSE(11, 12, 13, 14, 999, 16, 17, 18, 19, 20)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	wk := NewWorker(ctx)
	api := httptest.NewServer(wk.Handler())
	defer api.Close()
	defer wk.Close()
	rem := NewRemote("worker under test", api.URL, controlplane.Client{})
	if err := rem.Start(ctx, Spec{Transport: "sse-lean", BaseURL: srv.URL, Since: 10, FirstClient: 3 * PortsPerSource}); err != nil {
		t.Fatal(err)
	}
	if err := rem.StartWindow(ctx, 10, 100, time.Now().Add(10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := rem.Add(ctx, 2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for {
		st, err := rem.Status(ctx, 20)
		if err != nil {
			t.Fatal(err)
		}
		if st.Delivered == 18 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("delivered %d of 18", st.Delivered)
		case <-time.After(10 * time.Millisecond):
		}
	}
	rep, err := rem.Report(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := results.Counts{Expected: 20, Delivered: 18, Lost: 2, ClientsWithLoss: 2, Unexpected: 2, Holes: 2, Raw: 20}
	if rep.Counts != want {
		t.Errorf("counts\n got %+v\nwant %+v", rep.Counts, want)
	}
	w, err := Merge([]Report{rep})
	if err != nil {
		t.Fatal(err)
	}
	if w.Latency.TotalCount() != 18 || rep.Self.CPUSeconds <= 0 || rep.PID == 0 {
		t.Errorf("latency samples %d (want 18), worker cpu %v s, pid %d", w.Latency.TotalCount(), rep.Self.CPUSeconds, rep.PID)
	}
	if err := rem.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rem.Status(ctx, -1); err == nil {
		t.Error("status after close: no error, want 'no generator'")
	}
}

// TestCallerDeadlineIsNotTheWorkersFault: a call cut short by the caller's
// own deadline is not marked unreachable; one that outlives its own limit is.
func TestCallerDeadlineIsNotTheWorkersFault(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release) // before Close, which waits for the handlers
	rem := NewRemote("slow worker", hang.URL, controlplane.Client{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := rem.Status(ctx, -1); err == nil || errors.Is(err, ErrUnreachable) {
		t.Errorf("caller's deadline: %v, want an error that is not ErrUnreachable", err)
	}
	if err := rem.Add(context.Background(), 1, 50*time.Millisecond); !errors.Is(err, ErrUnreachable) {
		t.Errorf("own limit passed: %v, want ErrUnreachable", err)
	}
}
