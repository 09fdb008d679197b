package target_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/scenarios"
)

// fake is a push server pushbench did not write, as far as these tests
// need one: a channel of messages published in order, served in the
// manner of Nchan or Centrifugo. It records every request, counts the
// subscriptions it admits and the messages it delivers, and can drop its
// clients: once dropAt messages were delivered it ends the connection
// that delivered the last, and refuses every request (closing the
// connection) until up is called.
type fake struct {
	srv       *httptest.Server
	mu        sync.Mutex
	msgs      []string // msgs[i] is the document of seq i+1
	reqs      []*http.Request
	admitted  int
	delivered int
	dropAt    int
	down      bool
	changed   chan struct{}
	done      chan struct{}
	hold      time.Duration // a long poll's hold before its empty answer
}

func newFake(t *testing.T, routes func(f *fake, mux *http.ServeMux)) *fake {
	return startFake(t, routes, nil)
}

// startFake starts the fake, over TLS with tlsConfig when it is set.
func startFake(t *testing.T, routes func(f *fake, mux *http.ServeMux), tlsConfig *tls.Config) *fake {
	f := &fake{changed: make(chan struct{}), done: make(chan struct{}), hold: 2 * time.Second}
	mux := http.NewServeMux()
	routes(f, mux)
	f.srv = httptest.NewUnstartedServer(mux)
	if tlsConfig != nil {
		f.srv.TLS = tlsConfig
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	t.Cleanup(func() {
		close(f.done)
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// vars are the template values a run would give this target.
func (f *fake) vars() scenarios.TemplateVars {
	u, _ := url.Parse(f.srv.URL)
	ws := "ws://"
	if u.Scheme == "https" {
		ws = "wss://"
	}
	return scenarios.TemplateVars{Base: f.srv.URL, Host: u.Host, WSBase: ws + u.Host, Channel: "bench", Key: "k"}
}

func (f *fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// publish appends documents to the channel.
func (f *fake) publish(docs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, docs...)
	f.notifyLocked()
}

// publishSeqs publishes pushbench messages first..last.
func (f *fake) publishSeqs(first, last int) {
	for s := first; s <= last; s++ {
		f.publish(message(s))
	}
}

// up ends a drop: requests are admitted again.
func (f *fake) up() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = false
}

// admit records the request; it refuses it (closing the connection) while
// the server is down. Otherwise it counts a subscription and returns
// from(len(msgs)): where the subscriber starts, computed under the lock so
// that a message published afterwards is the subscriber's.
func (f *fake) admit(w http.ResponseWriter, r *http.Request, from func(head int) int) (start int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r.Clone(context.Background()))
	if f.down {
		f.notifyLocked()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return 0, false
	}
	f.admitted++
	f.notifyLocked()
	return from(len(f.msgs)), true
}

// deliver counts n delivered messages; drop says the connection is to end.
func (f *fake) deliver(n int) (drop bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	before := f.delivered
	f.delivered += n
	if f.dropAt > before && f.dropAt <= f.delivered {
		f.down = true
		drop = true
	}
	f.notifyLocked()
	return drop
}

// next waits for the documents after start; ok is false when ctx ends,
// the hold channel fires or the server closes.
func (f *fake) next(ctx context.Context, start int, hold <-chan time.Time) (docs []string, ok bool) {
	for {
		f.mu.Lock()
		if len(f.msgs) > start {
			docs = f.msgs[start:]
			f.mu.Unlock()
			return docs, true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		case <-hold:
			return nil, false
		case <-f.done:
			return nil, false
		}
	}
}

// waitFor blocks until cond (called with mu held) holds, or fails the test.
func (f *fake) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for the server: %s", what)
		}
	}
}

// waitAdmitted waits until the server admitted n subscriptions.
func (f *fake) waitAdmitted(t *testing.T, n int) {
	t.Helper()
	f.waitFor(t, fmt.Sprintf("%d admitted subscriptions", n), func() bool { return f.admitted >= n })
}

func (f *fake) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func (f *fake) admittedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admitted
}

// message is pushbench's message seq as a target's publish API gets it.
func message(seq int) string {
	return fmt.Sprintf(`{"seq":%d,"sent":"%d","payload":"%s"}`, seq, sentOf(seq), payloadOf(seq))
}

func sentOf(seq int) int64 { return 1_700_000_000_123_456_789 + int64(seq)*1_000_003 }

func payloadOf(seq int) string { return strings.Repeat("p", 10+seq) }

// --- Nchan -------------------------------------------------------------

// Nchan's cursor is a time and a tag: the message's second and its place
// among the messages of that second. Here message seq n has cursor n
// (second n/3, tag n%3), and cursor 0 is "before every message".
const nchanEpoch = 1_700_000_000

func nchanID(n int) string { return fmt.Sprintf("%d:%d", nchanEpoch+n/3, n%3) }

func nchanLastModified(n int) string {
	return time.Unix(int64(nchanEpoch+n/3), 0).UTC().Format(http.TimeFormat)
}

func nchanEtag(n int) string { return strconv.Itoa(n % 3) }

func setNchanCursor(h http.Header, n int) {
	h.Set("Last-Modified", nchanLastModified(n))
	h.Set("Etag", nchanEtag(n))
}

// nchanCursor reads If-Modified-Since and If-None-Match: the last message
// the subscriber has; ok is false without them (a new subscriber).
func nchanCursor(r *http.Request) (n int, ok bool) {
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" {
		return 0, false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return 0, false
	}
	tag, _ := strconv.Atoi(r.Header.Get("If-None-Match")) // missing: tag 0, as a wrong cursor
	return int(t.Unix()-nchanEpoch)*3 + tag, true
}

// nchanRoutes serves /sub as Nchan's nchan_subscriber does (EventSource,
// WebSocket or long poll by the request) and /poll as interval-poll.
// A new subscriber starts from the newest message on.
func nchanRoutes(f *fake, mux *http.ServeMux) {
	mux.HandleFunc("/sub", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case gws.IsWebSocketUpgrade(r):
			f.nchanWebSocket(w, r)
		case strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
			f.nchanSSE(w, r)
		default:
			f.nchanLongPoll(w, r)
		}
	})
	mux.HandleFunc("/poll", f.nchanIntervalPoll)
}

func (f *fake) nchanSSE(w http.ResponseWriter, r *http.Request) {
	start, ok := f.admit(w, r, func(head int) int {
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			var sec, tag int
			if _, err := fmt.Sscanf(id, "%d:%d", &sec, &tag); err == nil {
				return (sec-nchanEpoch)*3 + tag
			}
		}
		return head
	})
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": hi\n\n")
	w.(http.Flusher).Flush()
	for {
		docs, ok := f.next(r.Context(), start, nil)
		if !ok {
			return
		}
		for _, d := range docs {
			start++
			fmt.Fprintf(w, "id: %s\ndata: %s\n\n", nchanID(start), d)
			w.(http.Flusher).Flush()
			if f.deliver(1) {
				return
			}
		}
	}
}

func (f *fake) nchanLongPoll(w http.ResponseWriter, r *http.Request) {
	start, ok := f.admit(w, r, func(head int) int {
		if n, ok := nchanCursor(r); ok {
			return n
		}
		return head
	})
	if !ok {
		return
	}
	hold := time.NewTimer(f.hold)
	defer hold.Stop()
	docs, ok := f.next(r.Context(), start, hold.C)
	if !ok {
		w.WriteHeader(http.StatusRequestTimeout)
		return
	}
	setNchanCursor(w.Header(), start+1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, docs[0])
	f.deliver(1)
}

func (f *fake) nchanIntervalPoll(w http.ResponseWriter, r *http.Request) {
	var docs []string
	start, ok := f.admit(w, r, func(head int) int {
		if n, ok := nchanCursor(r); ok {
			if n < head {
				docs = f.msgs[n:]
			}
			return n
		}
		return head
	})
	if !ok {
		return
	}
	if len(docs) == 0 {
		setNchanCursor(w.Header(), start)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	setNchanCursor(w.Header(), start+1)
	fmt.Fprint(w, docs[0])
	f.deliver(1)
}

func (f *fake) nchanWebSocket(w http.ResponseWriter, r *http.Request) {
	start, ok := f.admit(w, r, func(head int) int { return head })
	if !ok {
		return
	}
	f.serveWebSocket(w, r, start, nil, func(d string, _ int) string { return d })
}

// serveWebSocket upgrades and sends first (when set), then each document
// from start on, framed by frame, until the client leaves or a drop.
func (f *fake) serveWebSocket(w http.ResponseWriter, r *http.Request, start int, first []string, frame func(doc string, offset int) string) {
	up := gws.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	ctx, gone := context.WithCancel(context.Background())
	defer gone()
	go func() { // reads control frames; ends when the client leaves
		defer gone()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	for _, d := range first {
		if conn.WriteMessage(gws.TextMessage, []byte(d)) != nil {
			return
		}
	}
	for {
		docs, ok := f.next(ctx, start, nil)
		if !ok {
			return
		}
		for _, d := range docs {
			start++
			if conn.WriteMessage(gws.TextMessage, []byte(frame(d, start))) != nil {
				return
			}
			if f.deliver(1) {
				return
			}
		}
	}
}

// --- Centrifugo ----------------------------------------------------------

const centrifugoEpoch = "ab/cd" // a slash: the URL template must escape it

// cfConnect reads cf_connect: where a recovering subscriber starts.
func cfConnect(r *http.Request, head int) (start int, recovered bool) {
	var req struct {
		Subs map[string]struct {
			Recover bool   `json:"recover"`
			Epoch   string `json:"epoch"`
			Offset  int    `json:"offset"`
		} `json:"subs"`
	}
	if err := json.Unmarshal([]byte(r.URL.Query().Get("cf_connect")), &req); err != nil {
		return head, false
	}
	s, ok := req.Subs["bench"]
	if !ok || !s.Recover || s.Epoch != centrifugoEpoch || s.Offset > head {
		return head, false
	}
	return s.Offset, true
}

func centrifugoConnect(head int, recovered bool) string {
	return fmt.Sprintf(`{"connect":{"client":"4f1e","version":"6.9.1","subs":{"bench":{"recoverable":true,"epoch":%q,"offset":%d,"recovered":%t,"positioned":true}},"ping":25,"session":"9c2a"}}`, centrifugoEpoch, head, recovered)
}

func centrifugoPub(doc string, offset int) string {
	return fmt.Sprintf(`{"channel":"bench","pub":{"data":%s,"offset":%d}}`, doc, offset)
}

// centrifugoRoutes serves Centrifugo's unidirectional SSE and WebSocket:
// a connect reply first, a ping {}, then each publication in its
// envelope; cf_connect's subs may ask to recover from an epoch and offset.
func centrifugoRoutes(f *fake, mux *http.ServeMux) {
	admit := func(w http.ResponseWriter, r *http.Request) (start int, connect string, ok bool) {
		start, ok = f.admit(w, r, func(head int) int {
			s, recovered := cfConnect(r, head)
			connect = centrifugoConnect(head, recovered)
			return s
		})
		return start, connect, ok
	}
	mux.HandleFunc("/connection/uni_sse", func(w http.ResponseWriter, r *http.Request) {
		start, connect, ok := admit(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "data: %s\n\ndata: {}\n\n", connect)
		w.(http.Flusher).Flush()
		for {
			docs, ok := f.next(r.Context(), start, nil)
			if !ok {
				return
			}
			for _, d := range docs {
				start++
				fmt.Fprintf(w, "data: %s\n\n", centrifugoPub(d, start))
				w.(http.Flusher).Flush()
				if f.deliver(1) {
					return
				}
			}
		}
	})
	mux.HandleFunc("/connection/uni_websocket", func(w http.ResponseWriter, r *http.Request) {
		start, connect, ok := admit(w, r)
		if !ok {
			return
		}
		f.serveWebSocket(w, r, start, []string{connect, "{}"}, centrifugoPub)
	})
}

// --- a user's own long poll ------------------------------------------------

// batchRoutes serves /poll?since=N as a user's server might: every message
// after N in one answer, {"cursor":M,"messages":[...]}, held until there is
// one; 204 when the hold ends. Without since it starts from the newest.
// With hold=no it answers at once, with an empty array when nothing is new.
func batchRoutes(f *fake, mux *http.ServeMux) {
	mux.HandleFunc("/poll", func(w http.ResponseWriter, r *http.Request) {
		start, ok := f.admit(w, r, func(head int) int {
			if n, err := strconv.Atoi(r.URL.Query().Get("since")); err == nil && n <= head {
				return n
			}
			return head
		})
		if !ok {
			return
		}
		var docs []string
		if r.URL.Query().Get("hold") == "no" {
			f.mu.Lock()
			docs = f.msgs[start:]
			f.mu.Unlock()
		} else {
			hold := time.NewTimer(f.hold)
			defer hold.Stop()
			if docs, ok = f.next(r.Context(), start, hold.C); !ok {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		fmt.Fprintf(w, "{\n  \"cursor\": %d,\n  \"messages\": [%s]\n}", start+len(docs), strings.Join(docs, ", "))
		f.deliver(len(docs))
	})
}
