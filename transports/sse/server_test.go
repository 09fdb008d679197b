package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sse"
)

func TestRegistered(t *testing.T) {
	tr, err := transports.Lookup("sse")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != "/sse" || !tr.Push || tr.IsolatesSlowConsumers || !strings.Contains(tr.Library, "r3labs/sse/v2 v2.10.0") {
		t.Errorf("registration = %+v", tr)
	}
}

func TestBadCursorIsRejectedBeforeTheLibrary(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{}).start()
	e.publish(5, 8)
	cases := []struct {
		name, header, query, reason string
	}{
		{"non-numeric header", "abc", "", "Last-Event-ID must be a non-negative integer"},
		{"negative header", "-1", "", "Last-Event-ID must be a non-negative integer"},
		{"non-numeric since", "", "since=x", "since must be a non-negative integer"},
		{"header ahead", "6", "", "ahead of the newest message 5"},
		{"since ahead", "", "since=99", "ahead of the newest message 5"},
		{"header wins over since", "7", "since=1", "cursor 7 is ahead"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.hs.URL+"/sse?"+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.header != "" {
				req.Header.Set("Last-Event-ID", tc.header)
			}
			resp, err := e.hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.reason) {
				t.Errorf("got %d %q, want 400 with %q", resp.StatusCode, body, tc.reason)
			}
		})
	}
	if s := e.srv.Stats(); s.Rejected != int64(len(cases)) || s.Accepted != 0 {
		t.Errorf("stats = %+v, want %d rejected and none accepted", s, len(cases))
	}
	// The client reports the status and the reason.
	err := e.client(t).Run(context.Background(), 9, newRecorder())
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "ahead") {
		t.Errorf("Run with a future cursor: %v, want a 400 naming the reason", err)
	}
}

func TestResumeGivesExactlyTheMessagesAfterTheCursor(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e.publish(10, 8)
	for _, since := range []int64{0, 4, 10} {
		rec := newRecorder()
		rctx, stop := context.WithCancel(ctx)
		done := run(rctx, e.client(t), since, rec)
		rec.WaitFor(ctx, t, "replay", func(r *recorder) bool { return r.Connects == 1 && len(r.Seqs) >= int(10-since) })
		head := e.log.Head()
		e.publish(3, 8) // live after the replay
		rec.WaitFor(ctx, t, "live", func(r *recorder) bool { return len(r.Seqs) >= int(head+3-since) })
		stop()
		if err := <-done; err != nil {
			t.Errorf("since %d: Run = %v after cancel, want nil", since, err)
		}
		checkRun(t, fmt.Sprintf("since %d", since), rec.Seqs, since+1, head+3)
	}
}

func TestSinceQueryResumes(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{}).start()
	e.publish(6, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := get(ctx, t, e.hs.URL+"/sse?since=4", nil)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	want := []string{"retry: 1000", "", "id: 5", "data: " + string(entryJSON(e, 5)), "", "id: 6"}
	for i, w := range want {
		line := readLine(t, br)
		if line != w {
			t.Fatalf("line %d = %q, want %q", i, line, w)
		}
	}
}

func TestStreamStartsWithRetryAndHeaders(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{Retry: 1500 * time.Millisecond, CORSOrigin: "*"}).start()
	e.publish(3, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := get(ctx, t, e.hs.URL+"/sse", nil)
	defer resp.Body.Close()
	for k, v := range map[string]string{
		"Content-Type":                "text/event-stream",
		"Access-Control-Allow-Origin": "*",
		transports.HeadHeader:         "3",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	br := bufio.NewReader(resp.Body)
	if l1, l2 := readLine(t, br), readLine(t, br); l1 != "retry: 1500" || l2 != "" {
		t.Errorf("stream starts %q %q, want the retry line", l1, l2)
	}
}

func TestHeartbeatCommentArrives(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{Heartbeat: 20 * time.Millisecond}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := get(ctx, t, e.hs.URL+"/sse", nil)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		if line := readLine(t, br); line == ": hb" {
			break
		}
	}
	if line := readLine(t, br); line != "" {
		t.Errorf("heartbeat not terminated: %q", line)
	}
}

// The replay and the library's live events overlap when a client connects
// while the library is still fanning out earlier publishes: those events
// are both in the replay and in the new subscriber's channel. Each client
// connects while a burst is being published; the filter must drop the
// overlap without losing anything.
func TestReplayAndLiveOverlapHaveNoDuplicatesOrGaps(t *testing.T) {
	e := newEnv(t, 1<<16, transports.ServerOptions{QueueLen: 1 << 16}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e.publish(100, 16)

	const clients, burst = 12, 300
	type sub struct {
		rec   *recorder
		since int64
		stop  context.CancelFunc
		done  <-chan error
	}
	subs := make([]sub, clients)
	for i := range subs {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // publish concurrently with the connect
			defer wg.Done()
			e.publish(burst, 16)
		}()
		since := int64(-1)
		if i%2 == 0 {
			since = e.log.Head() - int64(i*3) // resume: the replay overlaps live
		}
		rec := newRecorder()
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		subs[i] = sub{rec, since, stop, run(rctx, e.client(t), since, rec)}
		rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects == 1 })
		wg.Wait()
	}
	e.publish(10, 16) // every client, also the last from-now one, gets these
	final := e.log.Head()
	for i, s := range subs {
		s.rec.WaitFor(ctx, t, "the final message", func(r *recorder) bool {
			return len(r.Seqs) > 0 && r.Seqs[len(r.Seqs)-1] >= final
		})
		s.stop()
		if err := <-s.done; err != nil {
			t.Errorf("client %d: %v", i, err)
		}
		s.rec.Mu.Lock()
		from := s.since + 1
		if s.since < 0 {
			from = s.rec.Seqs[0]
		}
		checkRun(t, fmt.Sprintf("client %d (since %d)", i, s.since), s.rec.Seqs, from, final)
		if len(s.rec.Gaps) != 0 {
			t.Errorf("client %d: gaps %v", i, s.rec.Gaps)
		}
		s.rec.Mu.Unlock()
	}
	if s := e.srv.Stats(); s.SlowDisconnects != 0 || s.Accepted != clients {
		t.Errorf("stats = %+v", s)
	}
}

func TestCursorOlderThanRingGetsGap(t *testing.T) {
	e := newEnv(t, 10, transports.ServerOptions{}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.publish(50, 8) // the ring keeps 41..50
	rec := newRecorder()
	rctx, stop := context.WithCancel(ctx)
	done := run(rctx, e.client(t), 5, rec)
	rec.WaitFor(ctx, t, "gap and messages", func(r *recorder) bool { return len(r.Seqs) >= 10 })
	stop()
	<-done
	if len(rec.Gaps) != 1 || rec.Gaps[0].First != 6 || rec.Gaps[0].Last != 40 {
		t.Errorf("gaps = %v, want [{6 40}]", rec.Gaps)
	}
	checkRun(t, "after the gap", rec.Seqs, 41, 50)
	if s := e.srv.Stats(); s.GapsSent != 1 || s.MessagesSent != 10 {
		t.Errorf("stats = %+v", s)
	}
}

// TestResumeFarBehindCatchesUp: what was in the log when a stream started
// is replay, not queue, so a cursor six queue bounds behind is served in
// full rather than cut as slow on every reconnect.
func TestResumeFarBehindCatchesUp(t *testing.T) {
	e := newEnv(t, 1000, transports.ServerOptions{QueueLen: 16}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.publish(100, 8)
	rec := newRecorder()
	rctx, stop := context.WithCancel(ctx)
	done := run(rctx, e.client(t), 0, rec)
	rec.WaitFor(ctx, t, "the replay", func(r *recorder) bool { return len(r.Seqs) >= 100 })
	stop()
	<-done
	checkRun(t, "replayed", rec.Seqs, 1, 100)
	if s := e.srv.Stats(); s.SlowDisconnects != 0 || s.MessagesSent != 100 {
		t.Errorf("stats = %+v, want no slow disconnect and 100 sent", s)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{}).start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var dones []<-chan error
	for i := 0; i < 3; i++ {
		rec := newRecorder()
		dones = append(dones, run(ctx, e.client(t), -1, rec))
		rec.WaitFor(ctx, t, "connected", func(r *recorder) bool { return r.Connects == 1 })
	}
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	for i, d := range dones {
		if err := <-d; err == nil || !strings.Contains(err.Error(), "server closed the stream") {
			t.Errorf("client %d: %v, want the stream closed", i, err)
		}
	}
	if s := e.srv.Stats(); s.Open != 0 || s.Accepted != 3 {
		t.Errorf("stats = %+v", s)
	}
	resp := get(ctx, t, e.hs.URL+"/sse", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d, want 503", resp.StatusCode)
	}
}

func TestSilentStreamIsDead(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{Heartbeat: time.Hour}).start()
	e.copts.ReadTimeout = 100 * time.Millisecond
	err := e.client(t).Run(context.Background(), -1, newRecorder())
	if err == nil || !strings.Contains(err.Error(), "silent") {
		t.Errorf("Run = %v, want a silent-stream error", err)
	}
}

func TestHeartbeatsKeepStreamAlive(t *testing.T) {
	e := newEnv(t, 100, transports.ServerOptions{Heartbeat: 20 * time.Millisecond}).start()
	e.copts.ReadTimeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Second) // 5 read timeouts
	defer cancel()
	if err := e.client(t).Run(ctx, -1, newRecorder()); err != nil {
		t.Errorf("Run = %v, want nil at ctx end", err)
	}
}

// get opens a raw stream; the caller closes the body.
func get(ctx context.Context, t *testing.T, url string, hdr http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

func entryJSON(e *env, seq int64) []byte {
	entries, _, _, _ := e.log.Since(seq-1, 1, nil)
	return entries[0].JSON
}

// The client's handling of what a server other than ours might send.
func TestClientRejectsBadStreams(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"not a wire object", "retry: 10\n\nid: 1\ndata: nonsense\n\n", "failed to decode SSE event"},
		{"gap event with message data", "id: 1\nevent: gap\ndata: {\"seq\":1,\"sent\":2,\"payload\":\"x\"}\n\n", "does not match"},
		{"clean end", "id: 1\ndata: {\"seq\":1,\"sent\":2,\"payload\":\"x\"}\n\n", "server closed the stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, tc.body)
			}))
			defer hs.Close()
			c, err := sse.NewClient(transports.ClientOptions{BaseURL: hs.URL})
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			err = c.Run(context.Background(), -1, rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, want %q", err, tc.want)
			}
			if rec.Connects != 1 {
				t.Errorf("connected %d times, want 1", rec.Connects)
			}
		})
	}
}
