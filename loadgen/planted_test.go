package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/sselean"
	"github.com/pushbench/pushbench/transports/wire"
)

// TestPlantedStreamThroughARealClient runs the real sse-lean client against
// a server that skips seq 15 and sends 999, which was never published:
// the window must count the hole as lost and 999 as unexpected, and the
// counts must still reconcile.
func TestPlantedStreamThroughARealClient(t *testing.T) {
	srv := plantedSSE(11, 12, 13, 14, 999, 16, 17, 18, 19, 20)
	defer srv.Close()
	tr, err := transports.Lookup("sse-lean")
	if err != nil {
		t.Fatal(err)
	}
	g := New(Config{Transport: tr, Options: transports.ClientOptions{BaseURL: srv.URL}, Since: 10})
	defer g.Close()
	g.StartWindow(10, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Add(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, func() bool { return g.Delivered() == 9 }, func() error { return fmt.Errorf("%d delivered", g.Delivered()) }); err != nil {
		t.Fatal(err)
	}
	w := g.Window(10) // seqs 11..20 were "published"
	want := results.Counts{Expected: 10, Delivered: 9, Lost: 1, ClientsWithLoss: 1, Unexpected: 1, Holes: 1}
	if w.Counts != want {
		t.Errorf("counts\n got %+v\nwant %+v", w.Counts, want)
	}
	if err := w.Counts.Reconcile(); err != nil {
		t.Error(err)
	}
}

// plantedSSE serves one SSE stream of the given seqs, then holds it open.
func plantedSSE(seqs ...int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, seq := range seqs {
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", seq, wire.AppendMessageJSON(nil, seq, time.Now().UnixNano(), "x"))
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
}

// TestReactorCountsAsGoroutines runs the same planted stream through both
// client modes: the counts must be the same, and right.
func TestReactorCountsAsGoroutines(t *testing.T) {
	srv := plantedSSE(11, 12, 13, 14, 999, 16, 17, 18, 19, 20, 12)
	defer srv.Close()
	tr, err := transports.Lookup("sse-lean")
	if err != nil {
		t.Fatal(err)
	}
	const clients = 5
	counts := map[string]results.Counts{}
	for _, mode := range []string{ModeGoroutine, ModeReactor} {
		g := New(Config{Transport: tr, Options: transports.ClientOptions{BaseURL: srv.URL}, Since: 10, ClientMode: mode})
		g.StartWindow(10, 100)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := g.Add(ctx, clients); err != nil {
			t.Fatal(err)
		}
		// 9 in range, one duplicate (12 again) after them.
		if err := poll(ctx, func() bool { w := g.Window(10); return w.Delivered == clients*9 && w.Duplicates == clients },
			func() error { return fmt.Errorf("%s: %d delivered", mode, g.Delivered()) }); err != nil {
			t.Fatal(err)
		}
		cancel()
		if got, _ := g.ClientMode(); got != mode {
			t.Errorf("ran in %q, asked for %q", got, mode)
		}
		counts[mode] = g.Window(10).Counts
		g.Close()
	}
	want := results.Counts{Expected: clients * 10, Delivered: clients * 9, Lost: clients, ClientsWithLoss: clients,
		Unexpected: clients, Holes: clients, Duplicates: clients}
	for mode, got := range counts {
		if got != want {
			t.Errorf("%s counts\n got %+v\nwant %+v", mode, got, want)
		}
	}
}
