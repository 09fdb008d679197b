package poll_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	_ "github.com/pushbench/pushbench/transports/poll"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAnswersAndBadInput(t *testing.T) {
	for _, name := range []string{"shortpoll", "longpoll"} {
		t.Run(name, func(t *testing.T) {
			hs, log, srv := testrec.Serve(t, name, transports.ServerOptions{MaxBatch: 2, HoldTimeout: 50 * time.Millisecond})
			for i := 1; i <= 3; i++ {
				log.Append(int64(i), "m")
			}
			code, h, body := get(t, hs.URL)
			if code != 200 || body != "[]" || h.Get(transports.HeadHeader) != "3" {
				t.Errorf("no cursor: %d %q head %q, want an empty answer naming head 3", code, body, h.Get(transports.HeadHeader))
			}
			code, _, body = get(t, hs.URL+"?since=0")
			if code != 200 || body != `[{"seq":1,"sent":1,"payload":"m"},{"seq":2,"sent":2,"payload":"m"}]` {
				t.Errorf("since=0 (batch of 2): %d %s", code, body)
			}
			for q, want := range map[string]string{"since=x": "since must be a non-negative integer", "since=-2": "non-negative", "since=9": "ahead of the newest message 3"} {
				code, _, body := get(t, hs.URL+"?"+q)
				if code != http.StatusBadRequest || !strings.Contains(body, want) {
					t.Errorf("%s: %d %q, want 400 with %q", q, code, body, want)
				}
			}
			if srv.Stats().Rejected != 3 {
				t.Errorf("rejected = %d", srv.Stats().Rejected)
			}
			// At the head: short poll answers empty at once; long poll after its hold.
			start := time.Now()
			code, _, body = get(t, hs.URL+"?since=3")
			if code != 200 || body != "[]" {
				t.Errorf("at head: %d %q", code, body)
			}
			if held := time.Since(start); name == "longpoll" && held < 50*time.Millisecond {
				t.Errorf("long poll answered after %v, before its 50ms hold", held)
			}
			if srv.Stats().EmptyAnswers < 1 {
				t.Error("empty answers not counted")
			}
		})
	}
}

func TestLongPollAnswersWhenAMessageArrives(t *testing.T) {
	hs, log, srv := testrec.Serve(t, "longpoll", transports.ServerOptions{HoldTimeout: time.Minute})
	done := make(chan string, 1)
	go func() {
		_, _, body := get(t, hs.URL+"?since=0")
		done <- body
	}()
	// Publish once the request is being held (the server counts it open):
	// a check of the server's state, bounded, not a sleep.
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().Open == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request was never held")
		}
		time.Sleep(time.Millisecond)
	}
	log.Append(9, "late")
	select {
	case body := <-done:
		if body != `[{"seq":1,"sent":9,"payload":"late"}]` {
			t.Errorf("held answer %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held request did not answer when a message arrived")
	}
}

func TestClientPollsAtItsInterval(t *testing.T) {
	hs, log, srv := testrec.Serve(t, "shortpoll", transports.ServerOptions{})
	tr, _ := transports.Lookup("shortpoll")
	c, err := tr.NewClient(transports.ClientOptions{BaseURL: hs.URL, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	log.Append(1, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := &countReceiver{want: 5, done: make(chan struct{})}
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx, 0, r) }()
	select {
	case <-r.done:
	case <-ctx.Done():
		t.Fatal("client did not poll")
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	if r.msgs != 1 || srv.Stats().EmptyAnswers < 4 {
		t.Errorf("messages %d, empty answers %d: want 1 and at least 4", r.msgs, srv.Stats().EmptyAnswers)
	}
}

type countReceiver struct {
	msgs, polls, want int
	done              chan struct{}
}

func (r *countReceiver) Connected()                     {}
func (r *countReceiver) Message(seq, sent int64, n int) { r.msgs++ }
func (r *countReceiver) Gap(first, last int64)          {}
func (r *countReceiver) Empty()                         {}
func (r *countReceiver) Polled() {
	r.polls++
	if r.polls == r.want {
		close(r.done)
	}
}

// TestLongPollOutwaitsItsHold: a held request whose hold is longer than
// the client's handshake timeout is still waited for (the hold is the
// point), so an idle long-poll client makes no error and no reconnect.
// Found at scale: every idle long-poll client gave up after 10 s, the
// default handshake timeout, against the server's 30 s hold.
func TestLongPollOutwaitsItsHold(t *testing.T) {
	hs, _, _ := testrec.Serve(t, "longpoll", transports.ServerOptions{HoldTimeout: 600 * time.Millisecond})
	tr, _ := transports.Lookup("longpoll")
	c, err := tr.NewClient(transports.ClientOptions{BaseURL: hs.URL, Timeout: 200 * time.Millisecond, ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	rec := &emptyCounter{}
	err = c.Run(ctx, 0, rec)
	if err != nil {
		t.Errorf("idle long poll through two holds ended with %v, want none (the client must outwait the hold)", err)
	}
	if rec.empties < 2 {
		t.Errorf("%d empty answers in 1.5 s of 600 ms holds, want 2", rec.empties)
	}
}

type emptyCounter struct{ empties int }

func (e *emptyCounter) Connected()                     {}
func (e *emptyCounter) Message(seq, sent int64, n int) {}
func (e *emptyCounter) Gap(first, last int64)          {}
func (e *emptyCounter) Empty()                         { e.empties++ }
