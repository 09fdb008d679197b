package target_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/target"
)

// A draining short poll asks again at once after an answer with a
// message: against a server that answers one message per poll, five
// queued messages arrive within one interval. The interval here is an
// hour, so a client that waited it between polls would see one message.
func TestShortPollDrain(t *testing.T) {
	var polls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := polls.Add(1)
		if n > 5 {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, message(int(n)))
	}))
	defer ts.Close()
	ep := scenarios.Endpoint{Framing: "shortpoll", URL: ts.URL + "/poll", Empty: []int{304}, Drain: true}
	d := &countingDial{}
	opts := testOptions(d)
	opts.PollInterval = time.Hour
	c, err := target.NewClient(ep, scenarios.TemplateVars{Base: ts.URL}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := runAsync(ctx, c, -1, rec)
	rec.waitFor(t, "five messages and an empty answer", func() bool { return len(rec.seqs) == 5 && rec.empties == 1 })
	cancel()
	if err := result(t, errc); err != nil {
		t.Fatal(err)
	}
	if got := rec.snapshot(); !slices.Equal(got, seqRange(1, 5)) || polls.Load() != 6 {
		t.Errorf("seqs %v in %d polls, want 1-5 in 6 (the last empty)", got, polls.Load())
	}
}
