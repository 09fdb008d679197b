package target_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/target"
)

// sioFake is a Socket.IO server as far as these tests need one: Engine.IO
// v4 sessions over polling and WebSocket at /socket.io/, the main
// namespace's connect, a ping to every session every pingInterval, and
// packets queued per session by the test (broadcast to every connected
// session). It records the pongs and connects each session sent and
// every request's query.
type sioFake struct {
	srv          *httptest.Server
	pingInterval time.Duration
	mu           sync.Mutex
	sessions     map[string]*sioSession
	queries      []string // each request's method and query
	changed      chan struct{}
	done         chan struct{}
	wg           sync.WaitGroup
}

type sioSession struct {
	out       []string // packets not yet sent
	connects  int      // "40" received
	pongs     int      // "3" received
	pings     int      // "2" queued
	transport string
}

func newSIOFake(t *testing.T, pingInterval time.Duration) *sioFake {
	f := &sioFake{pingInterval: pingInterval, sessions: map[string]*sioSession{}, changed: make(chan struct{}), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/socket.io/", f.serve)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(f.done)
		f.srv.CloseClientConnections()
		f.srv.Close()
		f.wg.Wait()
	})
	return f
}

func (f *sioFake) vars() scenarios.TemplateVars {
	host := strings.TrimPrefix(f.srv.URL, "http://")
	return scenarios.TemplateVars{Base: f.srv.URL, Host: host, WSBase: "ws://" + host, Channel: "bench"}
}

func (f *sioFake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// broadcast queues packets to every session connected to the namespace.
func (f *sioFake) broadcast(packets ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		if s.connects > 0 {
			s.out = append(s.out, packets...)
		}
	}
	f.notifyLocked()
}

// waitFor blocks until cond (called with mu held) holds, or fails the test.
func (f *sioFake) waitFor(t *testing.T, what string, cond func() bool) {
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
			t.Fatalf("timed out waiting for the Socket.IO server: %s", what)
		}
	}
}

// only returns the one session, failing the test if there are others.
func (f *sioFake) only(t *testing.T) sioSession {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(f.sessions))
	}
	for _, s := range f.sessions {
		return *s
	}
	return sioSession{}
}

// open starts a session and its pings.
func (f *sioFake) open(transport string) (sid string) {
	f.mu.Lock()
	sid = fmt.Sprintf("sid%d", len(f.sessions)+1)
	s := &sioSession{transport: transport}
	f.sessions[sid] = s
	f.notifyLocked()
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		tick := time.NewTicker(f.pingInterval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				f.mu.Lock()
				s.out = append(s.out, "2")
				s.pings++
				f.notifyLocked()
				f.mu.Unlock()
			case <-f.done:
				return
			}
		}
	}()
	return sid
}

func (f *sioFake) openPacket(sid string) string {
	return fmt.Sprintf(`0{"sid":"%s","upgrades":["websocket"],"pingInterval":%d,"pingTimeout":%d,"maxPayload":1000000}`,
		sid, f.pingInterval.Milliseconds(), f.pingInterval.Milliseconds())
}

// receive takes one packet from the client.
func (f *sioFake) receive(sid, p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sessions[sid]
	switch p {
	case "40":
		s.connects++
		s.out = append(s.out, `40{"sid":"ns-`+sid+`"}`)
	case "3":
		s.pongs++
	}
	f.notifyLocked()
}

// next waits for the session's queued packets and takes them; ok is false
// when ctx ends or the server closes.
func (f *sioFake) next(ctx context.Context, sid string) (packets []string, ok bool) {
	for {
		f.mu.Lock()
		s := f.sessions[sid]
		if len(s.out) > 0 {
			packets, s.out = s.out, nil
			f.mu.Unlock()
			return packets, true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		case <-f.done:
			return nil, false
		}
	}
}

func (f *sioFake) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.queries = append(f.queries, r.Method+" "+r.URL.RawQuery)
	_, known := f.sessions[q.Get("sid")]
	f.mu.Unlock()
	if q.Get("EIO") != "4" {
		http.Error(w, `{"code":5,"message":"Unsupported protocol version"}`, http.StatusBadRequest)
		return
	}
	switch {
	case q.Get("transport") == "websocket":
		f.serveWebSocket(w, r)
	case q.Get("transport") != "polling":
		http.Error(w, `{"code":0,"message":"Transport unknown"}`, http.StatusBadRequest)
	case q.Get("sid") == "" && r.Method == http.MethodGet:
		io.WriteString(w, f.openPacket(f.open("polling")))
	case !known:
		http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
	case r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		for _, p := range strings.Split(string(body), "\x1e") {
			f.receive(q.Get("sid"), p)
		}
		io.WriteString(w, "ok")
	default:
		packets, ok := f.next(r.Context(), q.Get("sid"))
		if !ok {
			return
		}
		io.WriteString(w, strings.Join(packets, "\x1e"))
	}
}

func (f *sioFake) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	up := gws.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	sid := f.open("websocket")
	if conn.WriteMessage(gws.TextMessage, []byte(f.openPacket(sid))) != nil {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	f.wg.Add(1)
	go func() { // the reader: the client's packets, one per frame
		defer f.wg.Done()
		defer cancel()
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			f.receive(sid, string(b))
		}
	}()
	for {
		packets, ok := f.next(ctx, sid)
		if !ok {
			return
		}
		for _, p := range packets {
			typ := gws.TextMessage
			if strings.HasPrefix(p, "binary:") {
				typ, p = gws.BinaryMessage, strings.TrimPrefix(p, "binary:")
			}
			if conn.WriteMessage(typ, []byte(p)) != nil {
				return
			}
		}
	}
}

// sioEvent is the event packet Socket.IO writes for io.emit(name, doc).
func sioEvent(name, doc string) string {
	n, _ := json.Marshal(name)
	d, _ := json.Marshal(doc)
	return fmt.Sprintf(`42[%s,%s]`, n, d)
}

var sioFramings = []struct{ framing, url string }{
	{"socketio-websocket", "{{.WSBase}}/socket.io/"},
	{"socketio-polling", "{{.Base}}/socket.io/"},
}

// The Socket.IO client connects to the main namespace, takes the message
// out of each event's string argument (escapes and all), skips events of
// other names, takes several packets in one polling answer, and answers
// every ping with a pong, so its session lives on across heartbeats.
func TestSocketIODelivers(t *testing.T) {
	for _, fr := range sioFramings {
		t.Run(fr.framing, func(t *testing.T) {
			f := newSIOFake(t, 20*time.Millisecond)
			ep := scenarios.Endpoint{Framing: fr.framing, URL: fr.url}
			c, err := target.NewClient(ep, f.vars(), testOptions(&countingDial{}))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithCancel(context.Background())
			errc := runAsync(ctx, c, -1, rec)
			rec.waitFor(t, "the namespace connect", func() bool { return rec.connects == 1 })

			escaped := `{"seq":2,"sent":"` + fmt.Sprint(sentOf(2)) + `","payload":"a\"b\\c\u00e9\n"}`
			f.broadcast(sioEvent("message", message(1)), sioEvent("other", "not JSON"), sioEvent("message", escaped),
				`42["message",`+message(3)+`]`) // an object argument is the document as it is
			rec.waitMessages(t, 3)
			// Three heartbeats answered, then the session still delivers.
			f.waitFor(t, "three pongs", func() bool {
				for _, s := range f.sessions {
					return s.pongs >= 3
				}
				return false
			})
			f.broadcast(sioEvent("message", message(4)))
			rec.waitMessages(t, 4)
			cancel()
			if err := result(t, errc); err != nil {
				t.Errorf("Run = %v after cancel, want nil", err)
			}

			rec.mu.Lock()
			defer rec.mu.Unlock()
			if want := []int64{1, 2, 3, 4}; fmt.Sprint(rec.seqs) != fmt.Sprint(want) {
				t.Errorf("seqs %v, want %v", rec.seqs, want)
			}
			if rec.sents[1] != sentOf(2) || rec.sizes[1] != len("a\"b\\c\u00e9\n") || rec.sizes[0] != len(payloadOf(1)) {
				t.Errorf("sent %d size %d (seq 2), size %d (seq 1); want %d, %d, %d", rec.sents[1], rec.sizes[1], rec.sizes[0], sentOf(2), len("a\"b\\c\u00e9\n"), len(payloadOf(1)))
			}
			if len(rec.skipped) != 1 || rec.skipped[0] != sioEvent("other", "not JSON") {
				t.Errorf("skipped %q, want the event named other", rec.skipped)
			}
			s := f.only(t)
			if s.connects != 1 || s.transport != strings.TrimPrefix(fr.framing, "socketio-") {
				t.Errorf("session %+v: want one namespace connect over %s", s, fr.framing)
			}
			if total, skipped := c.(*target.Client).Documents(); total != 5 || skipped != 1 {
				t.Errorf("Documents() = %d, %d; want 5 (the events), 1 skipped", total, skipped)
			}
		})
	}
}

// Over polling the client handshakes without a sid, then names the sid in
// every request; several packets in one answer are all taken.
func TestSocketIOPollingRequests(t *testing.T) {
	f := newSIOFake(t, time.Hour) // no pings: every answer below is a broadcast
	c, err := target.NewClient(scenarios.Endpoint{Framing: "socketio-polling", URL: "{{.Base}}/socket.io/?x=1"}, f.vars(), testOptions(&countingDial{}))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := runAsync(ctx, c, -1, rec)
	rec.waitFor(t, "the namespace connect", func() bool { return rec.connects == 1 })
	// The next GET is on its way or held: the batch may go in one answer
	// or more, and every message must arrive in order either way.
	var batch []string
	for s := 1; s <= 50; s++ {
		batch = append(batch, sioEvent("message", message(s)))
	}
	f.broadcast(batch...)
	rec.waitMessages(t, 50)
	cancel()
	if err := result(t, errc); err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
	if got := rec.snapshot(); fmt.Sprint(got) != fmt.Sprint(seqRange(1, 50)) {
		t.Errorf("seqs %v, want 1..50", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) < 4 {
		t.Fatalf("requests %q: want the handshake, the connect POST and GETs", f.queries)
	}
	if want := "GET EIO=4&transport=polling&x=1"; f.queries[0] != want {
		t.Errorf("handshake %q, want %q", f.queries[0], want)
	}
	for _, q := range f.queries[1:] {
		if !strings.Contains(q, "sid=sid1") || !strings.Contains(q, "EIO=4") || !strings.Contains(q, "x=1") {
			t.Errorf("request %q lacks the sid, EIO=4 or the URL's own query", q)
		}
	}
	if !strings.HasPrefix(f.queries[1], "POST ") {
		t.Errorf("the request after the handshake is %q, want the connect POST", f.queries[1])
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.polls < 3 || rec.polls > len(f.queries) {
		t.Errorf("%d polls counted for %d requests", rec.polls, len(f.queries))
	}
}

// What ends a session ends Run with an error that says so: the server's
// close, a namespace disconnect, a refused connect, a binary packet, a
// packet that is not Socket.IO, a message that is broken (the same typed
// errors as the other framings').
func TestSocketIOSessionEnds(t *testing.T) {
	cases := []struct {
		packet string
		want   func(error) bool
		text   string
	}{
		{"1", nil, "closed the session"},
		{"41", nil, "disconnected the client"},
		{`44{"message":"Not authorized"}`, nil, "Not authorized"},
		{`42/admin,["message","x"]`, func(err error) bool { return errors.Is(err, target.ErrNotSocketIO) }, "namespace"},
		{`42["message","{\"seq\":1"]`, func(err error) bool { return errors.Is(err, target.ErrNotJSON) }, "not JSON"},
		{sioEvent("message", `{"seq":2,"sent":1.7000000000000001e+18,"payload":"x"}`), func(err error) bool { return errors.Is(err, target.ErrSentFloat) }, "float"},
		{sioEvent("message", `{"sent":"5","payload":"x"}`), func(err error) bool {
			var me *target.MessageError
			return errors.As(err, &me) && me.Field == "seq" && errors.Is(err, target.ErrMissingField)
		}, "lacks a field"},
		{"binary:\x04\x01", func(err error) bool { return errors.Is(err, target.ErrNotSocketIO) }, "binary"},
	}
	for _, fr := range sioFramings {
		for _, tc := range cases {
			if fr.framing == "socketio-polling" && strings.HasPrefix(tc.packet, "binary:") {
				continue // a polling answer carries text
			}
			t.Run(fr.framing+"/"+tc.text, func(t *testing.T) {
				f := newSIOFake(t, time.Hour)
				c, err := target.NewClient(scenarios.Endpoint{Framing: fr.framing, URL: fr.url}, f.vars(), testOptions(&countingDial{}))
				if err != nil {
					t.Fatal(err)
				}
				rec := newRecorder()
				errc := runAsync(context.Background(), c, -1, rec)
				rec.waitFor(t, "the namespace connect", func() bool { return rec.connects == 1 })
				f.broadcast(sioEvent("message", message(1)), tc.packet)
				err = result(t, errc)
				if err == nil || !strings.Contains(err.Error(), tc.text) || (tc.want != nil && !tc.want(err)) {
					t.Errorf("Run = %v, want an error naming %q", err, tc.text)
				}
				if got := rec.snapshot(); len(got) != 1 {
					t.Errorf("seqs %v, want the message before the end", got)
				}
			})
		}
	}
}

// A Socket.IO endpoint is refused when it asks for a resume, names an
// Engine.IO query of another transport, or has the wrong scheme; event is
// only for the Socket.IO framings.
func TestSocketIOEndpointValidates(t *testing.T) {
	vars := scenarios.TemplateVars{Base: "http://127.0.0.1:1", Host: "127.0.0.1:1", WSBase: "ws://127.0.0.1:1", Channel: "bench"}
	cases := []struct {
		ep   scenarios.Endpoint
		want string
	}{
		{scenarios.Endpoint{Framing: "socketio-polling", URL: "{{.Base}}/socket.io/{{if .Resuming}}?offset={{.Cursor}}{{end}}", Resume: scenarios.Resume{Kind: "url", Cursor: "/seq"}}, "resume"},
		{scenarios.Endpoint{Framing: "socketio-polling", URL: "{{.Base}}/socket.io/?transport=websocket"}, "transport"},
		{scenarios.Endpoint{Framing: "socketio-websocket", URL: "{{.WSBase}}/socket.io/?EIO=3"}, "EIO"},
		{scenarios.Endpoint{Framing: "socketio-websocket", URL: "{{.Base}}/socket.io/"}, "{{.WSBase}}"},
		{scenarios.Endpoint{Framing: "socketio-polling", URL: "{{.WSBase}}/socket.io/"}, "{{.Base}}"},
		{scenarios.Endpoint{Framing: "websocket", URL: "{{.WSBase}}/ws", Event: "message"}, "event"},
	}
	for _, tc := range cases {
		if _, err := target.NewClient(tc.ep, vars, transports.ClientOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%+v) = %v, want an error naming %q", tc.ep, err, tc.want)
		}
	}
	for _, fr := range sioFramings {
		if _, err := target.NewClient(scenarios.Endpoint{Framing: fr.framing, URL: fr.url, Event: "news"}, vars, transports.ClientOptions{}); err != nil {
			t.Errorf("%s: %v, want a client", fr.framing, err)
		}
		if _, err := target.NewClient(scenarios.Endpoint{Framing: fr.framing, URL: fr.url}, vars, transports.ClientOptions{HTTP2: true}); err == nil {
			t.Errorf("%s over HTTP/2: no error, want one", fr.framing)
		}
	}
}
