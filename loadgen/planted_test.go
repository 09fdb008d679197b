package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	want := results.Counts{Expected: 10, Delivered: 9, Lost: 1, ClientsWithLoss: 1, Unexpected: 1, Holes: 1, Raw: 10}
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

// TestCorruptBinaryPayloadIsACountedError: a binary message whose base64
// is bad is not delivered: the real client's connection ends, the error is
// counted under its reason, and the message is lost, not passed.
func TestCorruptBinaryPayloadIsACountedError(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if served.Add(1) == 1 {
			for seq := int64(11); seq <= 13; seq++ {
				fmt.Fprintf(w, "id: %d\ndata: %s\n\n", seq, wire.AppendBinaryJSON(nil, seq, time.Now().UnixNano(), []byte{0xff, 0, 1}))
			}
			fmt.Fprintf(w, "id: 14\ndata: {\"seq\":14,\"sent\":%d,\"size\":3,\"base64\":\"/w*B\"}\n\n", time.Now().UnixNano())
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
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
	errCount := func() (n int) {
		for msg, c := range g.Errors() {
			if strings.Contains(msg, "bad base64") {
				n += c
			}
		}
		return n
	}
	if err := poll(ctx, func() bool { return errCount() == 1 && served.Load() >= 2 }, func() error { return fmt.Errorf("errors %v, %d requests", g.Errors(), served.Load()) }); err != nil {
		t.Fatal(err)
	}
	w := g.Window(4) // seqs 11..14 were "published"
	if w.Delivered != 3 || w.Lost != 1 {
		t.Errorf("delivered %d, lost %d; want 3 and the corrupt one lost", w.Delivered, w.Lost)
	}
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
		Unexpected: clients, Holes: clients, Duplicates: clients, Raw: clients * 11}
	for mode, got := range counts {
		if got != want {
			t.Errorf("%s counts\n got %+v\nwant %+v", mode, got, want)
		}
	}
}
