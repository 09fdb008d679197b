package harness

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// TestWindowNamesEveryWorkerThatGaveNone: two workers that both answer
// /report with an error. The window is an error (nothing was measured, so
// it is no record of zero deliveries), and it names each worker with its
// own cause; before, only the first failure was kept and the other worker
// was reported as "<nil>".
func TestWindowNamesEveryWorkerThatGaveNone(t *testing.T) {
	var f fleet
	for _, name := range []string{"worker-a", "worker-b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, name+" is out of memory", http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		f.members = append(f.members, &member{remote: loadgen.NewRemote(name, srv.URL, controlplane.Client{}), clients: 5})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fw, err := f.Window(ctx, 10, time.Second, 0)
	if err == nil {
		t.Fatalf("no worker gave its window, yet no error: %+v", fw)
	}
	msg := err.Error()
	for _, want := range []string{"no load-generator worker gave its window", "worker-a is out of memory", "worker-b is out of memory", "its 5 clients"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "<nil>") {
		t.Errorf("error %q names a worker's cause as <nil>", msg)
	}
	if fw.FailedClients != 10 {
		t.Errorf("failed clients %d, want both workers' 10", fw.FailedClients)
	}
}

// TestRemoteWorkersAreJudgedAgainstTheirOwnCores: ten remote workers at
// 30% of their own 4 cores are not saturated (they were once read as 600%
// of the coordinator's 2); two local workers sharing one core, each busy
// half the window, are.
func TestRemoteWorkersAreJudgedAgainstTheirOwnCores(t *testing.T) {
	window := 10 * time.Second
	var reps []loadgen.Report
	var remote []bool
	for range 10 {
		reps = append(reps, loadgen.Report{Clients: 100, Self: results.Resources{CPUSeconds: 0.3 * 4 * 10, Cores: 4}})
		remote = append(remote, true)
	}
	s := sumResources(reps, remote, window, 2)
	if s.Saturated != "" || s.Cores != 40 || math.Abs(s.CPUUtilization-0.3) > 1e-9 {
		t.Errorf("remote: saturated %q, %v cores, utilisation %v; want none, 40, 0.3", s.Saturated, s.Cores, s.CPUUtilization)
	}
	local := []loadgen.Report{
		{Clients: 100, Self: results.Resources{CPUSeconds: 5, Cores: 1}},
		{Clients: 100, Self: results.Resources{CPUSeconds: 4.5, Cores: 1}},
	}
	s = sumResources(local, []bool{false, false}, window, 1)
	if s.Saturated == "" || s.Cores != 1 {
		t.Errorf("local: saturated %q on %v cores; want saturated on the 1 they share", s.Saturated, s.Cores)
	}
}

// TestConnectStallsWhereTheServerStopsAccepting: a worker whose clients
// stop at 5 of 10 while failing gives up after connectStall without one
// more, naming the count; one whose clients keep failing but keep
// connecting is still waited for.
func TestConnectStallsWhereTheServerStopsAccepting(t *testing.T) {
	defer func(d time.Duration) { connectStall = d }(connectStall)
	connectStall = 300 * time.Millisecond
	fake := func(connected func() int64) *fleet {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"clients":10,"connected":%d,"errors":["3x SSE answered 502 Bad Gateway"]}`, connected())
		}))
		t.Cleanup(srv.Close)
		return &fleet{members: []*member{{remote: loadgen.NewRemote("w", srv.URL, controlplane.Client{}), clients: 10}}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := fake(func() int64 { return 5 }).WaitConnected(ctx, 10)
	if err == nil || !strings.Contains(err.Error(), "connect stalled: 5 of 10 clients connected and none more in 300ms") {
		t.Fatalf("a connect stuck at 5 of 10: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the stall was found only at the context's deadline")
	}
	var polls atomic.Int64
	growing := func() int64 { return min(10, polls.Add(1)/4) } // one more client every 4 polls (80 ms)
	if err := fake(growing).WaitConnected(ctx, 10); err != nil {
		t.Fatalf("a connect that kept growing through errors failed: %v", err)
	}
}
