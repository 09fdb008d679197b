package target_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/target"
)

var nchanResumeHeaders = map[string]string{"Last-Modified": "If-Modified-Since", "Etag": "If-None-Match"}

// centrifugoURL subscribes from now, or recovers from the epoch and offset
// the client captured.
const centrifugoURL = `{{if .Resuming}}{{query (printf "{\"subs\":{\"%s\":{\"recover\":true,\"epoch\":\"%s\",\"offset\":%s}}}" .Channel .Captured.epoch .Cursor)}}{{else}}{{query (printf "{\"subs\":{\"%s\":{}}}" .Channel)}}{{end}}`

var centrifugoResume = scenarios.Resume{Kind: "url", Cursor: "/pub/offset", Capture: map[string]string{"epoch": "/connect/subs/bench/epoch"}}

// nchanCursorSent is the cursor a request to the Nchan fake carried.
func nchanCursorSent(r *http.Request) string {
	ims, inm := r.Header.Get("If-Modified-Since"), r.Header.Get("If-None-Match")
	if ims == "" && inm == "" {
		return ""
	}
	return ims + " " + inm
}

// centrifugoCursorSent is the epoch and offset a request asked to recover from.
func centrifugoCursorSent(r *http.Request) string {
	var req struct {
		Subs map[string]struct {
			Recover bool   `json:"recover"`
			Epoch   string `json:"epoch"`
			Offset  int    `json:"offset"`
		} `json:"subs"`
	}
	if json.Unmarshal([]byte(r.URL.Query().Get("cf_connect")), &req) != nil || !req.Subs["bench"].Recover {
		return ""
	}
	return fmt.Sprintf("%s %d", req.Subs["bench"].Epoch, req.Subs["bench"].Offset)
}

type resumeCase struct {
	name   string
	routes func(*fake, *http.ServeMux)
	ep     scenarios.Endpoint
	sent   func(*http.Request) string // the cursor a request carried, "" for none
	want   func(seq int) string       // the cursor after message seq
	// skipped are the documents without a message the client reports.
	skipped func(f *fake) []string
	// onePerAnswer: a poll answer holds one message, so every answer is
	// a message or empty.
	onePerAnswer bool
}

func resumeCases() []resumeCase {
	return []resumeCase{
		{
			name:   "sse/nchan/last-event-id",
			routes: nchanRoutes,
			ep:     scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/sub?id={{.Channel}}", Resume: scenarios.Resume{Kind: "last-event-id"}},
			sent:   func(r *http.Request) string { return r.Header.Get("Last-Event-ID") },
			want:   nchanID,
		},
		{
			name:         "longpoll/nchan/headers",
			routes:       nchanRoutes,
			ep:           scenarios.Endpoint{Framing: "longpoll", URL: "{{.Base}}/sub?id={{.Channel}}", Resume: scenarios.Resume{Kind: "headers", Headers: nchanResumeHeaders}},
			sent:         nchanCursorSent,
			want:         func(n int) string { return nchanLastModified(n) + " " + nchanEtag(n) },
			onePerAnswer: true,
		},
		{
			name:         "shortpoll/nchan/headers",
			routes:       nchanRoutes,
			ep:           scenarios.Endpoint{Framing: "shortpoll", URL: "{{.Base}}/poll?id={{.Channel}}", Resume: scenarios.Resume{Kind: "headers", Headers: nchanResumeHeaders}},
			sent:         nchanCursorSent,
			want:         func(n int) string { return nchanLastModified(n) + " " + nchanEtag(n) },
			onePerAnswer: true,
		},
		{
			name:    "sse/centrifugo/url",
			routes:  centrifugoRoutes,
			ep:      scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/connection/uni_sse?cf_connect=" + centrifugoURL, Message: "/pub/data", Resume: centrifugoResume},
			sent:    centrifugoCursorSent,
			want:    func(n int) string { return fmt.Sprintf("%s %d", centrifugoEpoch, n) },
			skipped: centrifugoSkipped,
		},
		{
			name:    "websocket/centrifugo/url",
			routes:  centrifugoRoutes,
			ep:      scenarios.Endpoint{Framing: "websocket", URL: "{{.WSBase}}/connection/uni_websocket?cf_connect=" + centrifugoURL, Message: "/pub/data", Resume: centrifugoResume},
			sent:    centrifugoCursorSent,
			want:    func(n int) string { return fmt.Sprintf("%s %d", centrifugoEpoch, n) },
			skipped: centrifugoSkipped,
		},
		{
			name:   "longpoll/batch/url+array",
			routes: batchRoutes,
			ep: scenarios.Endpoint{Framing: "longpoll", URL: "{{.Base}}/poll{{if .Resuming}}?since={{.Cursor}}{{end}}",
				Message: "/messages", Array: true, Resume: scenarios.Resume{Kind: "url", Cursor: "/cursor"}},
			sent: func(r *http.Request) string { return r.URL.Query().Get("since") },
			want: func(n int) string { return fmt.Sprint(n) },
		},
		{
			// The cursor of "nothing new" answers (an empty array) is
			// kept too: it is how a short poll from now learns where now is.
			name:   "shortpoll/batch/url+array",
			routes: batchRoutes,
			ep: scenarios.Endpoint{Framing: "shortpoll", URL: "{{.Base}}/poll?hold=no{{if .Resuming}}&since={{.Cursor}}{{end}}",
				Message: "/messages", Array: true, Resume: scenarios.Resume{Kind: "url", Cursor: "/cursor"}},
			sent: func(r *http.Request) string { return r.URL.Query().Get("since") },
			want: func(n int) string { return fmt.Sprint(n) },
		},
	}
}

// centrifugoSkipped: the connect reply and ping of both connections (the
// second recovers from offset 5 when 10 messages exist).
func centrifugoSkipped(*fake) []string {
	return []string{centrifugoConnect(0, false), "{}", centrifugoConnect(10, true), "{}"}
}

// TestResumeAcrossServerDisconnect: for each framing and resume kind, a
// client connected from now gets messages 1-5, the server drops it, 6-10
// are published while it is away, and its next Run (since 5) resumes with
// the server's own cursor: 1-12 arrive once and in order, the resuming
// request carries the cursor of message 5, and a later Run from now
// (since -1) carries none.
func TestResumeAcrossServerDisconnect(t *testing.T) {
	for _, tc := range resumeCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.routes)
			f.dropAt = 5
			d := &countingDial{}
			c, err := target.NewClient(tc.ep, f.vars(), testOptions(d))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()

			errc := runAsync(ctx, c, -1, rec)
			f.waitAdmitted(t, 1)
			f.publishSeqs(1, 5)
			if err := result(t, errc); err == nil {
				t.Fatal("Run returned nil after the server dropped the connection; want the reason")
			}
			if got := rec.snapshot(); !slices.Equal(got, seqRange(1, 5)) {
				t.Fatalf("before the drop got %v, want 1-5", got)
			}
			f.publishSeqs(6, 10)
			f.up()
			resumeAt := len(f.requests())
			ctx2, cancel2 := context.WithCancel(ctx)
			errc = runAsync(ctx2, c, 5, rec)
			rec.waitMessages(t, 10)
			f.publishSeqs(11, 12)
			rec.waitMessages(t, 12)
			cancel2()
			if err := result(t, errc); err != nil {
				t.Fatalf("Run after ctx ended = %v, want nil", err)
			}

			rec.mu.Lock()
			if !slices.Equal(rec.seqs, seqRange(1, 12)) {
				t.Errorf("seqs = %v, want 1-12 once each, in order", rec.seqs)
			}
			for i, s := range rec.seqs {
				if rec.sents[i] != sentOf(int(s)) || rec.sizes[i] != len(payloadOf(int(s))) {
					t.Errorf("seq %d: sent %d size %d, want %d and %d", s, rec.sents[i], rec.sizes[i], sentOf(int(s)), len(payloadOf(int(s))))
				}
			}
			if rec.connects != 2 {
				t.Errorf("Connected %d times, want once per Run (2)", rec.connects)
			}
			switch {
			case tc.onePerAnswer && rec.polls != len(rec.seqs)+rec.empties:
				t.Errorf("%d answers polled, want one per message (%d) or empty answer (%d)", rec.polls, len(rec.seqs), rec.empties)
			case tc.ep.Framing == "sse" || tc.ep.Framing == "websocket":
				if rec.polls != 0 || rec.empties != 0 {
					t.Errorf("a push client reported %d polls and %d empty answers", rec.polls, rec.empties)
				}
			}
			var wantSkipped []string
			if tc.skipped != nil {
				wantSkipped = tc.skipped(f)
			}
			if !slices.Equal(rec.skipped, wantSkipped) {
				t.Errorf("skipped documents %q, want %q", rec.skipped, wantSkipped)
			}
			rec.mu.Unlock()
			// A document per message, or for batches at least one per
			// Run and one for the live messages.
			minDocs := int64(12)
			if tc.ep.Array {
				minDocs = 3
			}
			total, skipped := c.(*target.Client).Documents()
			if skipped != int64(len(wantSkipped)) || total < minDocs+skipped {
				t.Errorf("Documents() = %d, %d skipped; want %d skipped of at least %d", total, skipped, len(wantSkipped), minDocs+int64(len(wantSkipped)))
			}

			reqs := f.requests()
			if got := tc.sent(reqs[0]); got != "" {
				t.Errorf("the first request, from now, carried cursor %q", got)
			}
			if got, want := tc.sent(reqs[resumeAt]), tc.want(5); got != want {
				t.Errorf("the resuming request carried cursor %q, want %q (message 5's)", got, want)
			}

			// A Run from now forgets the cursor. Its first request is the
			// first from a new connection: a poll of the last Run may
			// still arrive after it returned, on that Run's connection.
			old := map[string]bool{}
			for _, r := range reqs {
				old[r.RemoteAddr] = true
			}
			first := -1
			ctx3, cancel3 := context.WithCancel(ctx)
			errc = runAsync(ctx3, c, -1, rec)
			f.waitFor(t, "a request from now", func() bool {
				for i, r := range f.reqs {
					if !old[r.RemoteAddr] {
						first = i
						return true
					}
				}
				return false
			})
			cancel3()
			if err := result(t, errc); err != nil {
				t.Fatalf("Run from now after ctx ended = %v, want nil", err)
			}
			if got := tc.sent(f.requests()[first]); got != "" {
				t.Errorf("a Run with since -1 carried cursor %q, want none", got)
			}
			if d.n.Load() == 0 {
				t.Error("the client never dialled through ClientOptions.Dial")
			}
		})
	}
}

func seqRange(first, last int64) []int64 {
	var out []int64
	for s := first; s <= last; s++ {
		out = append(out, s)
	}
	return out
}

// TestNoResumeKindSendsNoCursor: with resume kind none, a reconnect after a
// drop carries no cursor (no Last-Event-ID, If-Modified-Since,
// If-None-Match or templated cursor) although the server offered one, so
// the message published while the client was away does not arrive.
func TestNoResumeKindSendsNoCursor(t *testing.T) {
	for _, framing := range []string{"sse", "websocket", "longpoll"} {
		t.Run(framing, func(t *testing.T) {
			f := newFake(t, nchanRoutes)
			f.dropAt = 1
			base := "{{.Base}}"
			if framing == "websocket" {
				base = "{{.WSBase}}"
			}
			ep := scenarios.Endpoint{Framing: framing, URL: base + "/sub?id={{.Channel}}{{if .Resuming}}&cursor={{.Cursor}}{{end}}"}
			c, err := target.NewClient(ep, f.vars(), testOptions(&countingDial{}))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			errc := runAsync(ctx, c, -1, rec)
			f.waitAdmitted(t, 1)
			f.publishSeqs(1, 1)
			if err := result(t, errc); err == nil {
				t.Fatal("Run returned nil after the server dropped the connection")
			}
			f.publishSeqs(2, 2) // while the client is away
			f.up()
			admitted := f.admittedCount()
			ctx2, cancel2 := context.WithCancel(ctx)
			errc = runAsync(ctx2, c, 1, rec)
			f.waitAdmitted(t, admitted+1)
			f.publishSeqs(3, 3)
			rec.waitMessages(t, 2)
			cancel2()
			if err := result(t, errc); err != nil {
				t.Fatal(err)
			}
			if got := rec.snapshot(); !slices.Equal(got, []int64{1, 3}) {
				t.Errorf("seqs = %v, want [1 3]: without resume, message 2 (published while away) is not fetched", got)
			}
			checkNoCursor(t, f.requests())
		})
	}
	t.Run("shortpoll", func(t *testing.T) {
		f := newFake(t, nchanRoutes)
		ep := scenarios.Endpoint{Framing: "shortpoll", URL: "{{.Base}}/poll?id={{.Channel}}{{if .Resuming}}&cursor={{.Cursor}}{{end}}"}
		c, err := target.NewClient(ep, f.vars(), testOptions(&countingDial{}))
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		errc := runAsync(ctx, c, -1, rec)
		rec.waitFor(t, "three empty answers", func() bool { return rec.empties >= 3 })
		cancel()
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		checkNoCursor(t, f.requests())
	})
}

func checkNoCursor(t *testing.T, reqs []*http.Request) {
	t.Helper()
	if len(reqs) < 2 {
		t.Fatalf("%d requests, want at least 2", len(reqs))
	}
	for i, r := range reqs {
		for _, h := range []string{"Last-Event-ID", "If-Modified-Since", "If-None-Match"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("request %d carried %s: %s", i, h, v)
			}
		}
		if r.URL.Query().Has("cursor") {
			t.Errorf("request %d carried a templated cursor: %s", i, r.URL)
		}
	}
}

// TestLongPollHoldExpiry: a long poll whose hold ends with an empty status
// (Nchan's 408) counts an empty answer and asks again, on one connection.
func TestLongPollHoldExpiry(t *testing.T) {
	f := newFake(t, nchanRoutes)
	f.hold = 5 * time.Millisecond
	c, err := target.NewClient(scenarios.Endpoint{Framing: "longpoll", URL: "{{.Base}}/sub"}, f.vars(), testOptions(&countingDial{}))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	errc := runAsync(ctx, c, -1, rec)
	rec.waitFor(t, "three expired holds", func() bool { return rec.empties >= 3 })
	cancel()
	if err := result(t, errc); err != nil {
		t.Fatal(err)
	}
	if rec.connects != 1 || rec.polls != rec.empties || len(rec.seqs) != 0 {
		t.Errorf("connects %d, polls %d, empties %d, messages %d; want 1 connect and every poll empty", rec.connects, rec.polls, rec.empties, len(rec.seqs))
	}
}

// TestMalformedMessageEndsConnection: on every framing, a document whose
// message is broken ends Run with the typed error: sent re-encoded as a
// float (ErrSentFloat), a missing seq, a document that is not JSON.
func TestMalformedMessageEndsConnection(t *testing.T) {
	docs := []struct {
		name, doc string
		want      error
		field     string
	}{
		{"float sent", `{"seq":1,"sent":1.7000000000000001e+18,"payload":"x"}`, target.ErrSentFloat, "sent"},
		{"no seq", `{"sent":"5","payload":"x"}`, target.ErrMissingField, "seq"},
		{"not JSON", `seq=1`, target.ErrNotJSON, ""},
	}
	for _, framing := range scenarios.Framings {
		if scenarios.SocketIO(framing) {
			continue // TestSocketIOSessionEnds, against a Socket.IO server
		}
		for _, d := range docs {
			t.Run(framing+"/"+d.name, func(t *testing.T) {
				f := newFake(t, nchanRoutes)
				ep := scenarios.Endpoint{Framing: framing, URL: "{{.Base}}/sub?id={{.Channel}}"}
				switch framing {
				case "websocket":
					ep.URL = "{{.WSBase}}/sub"
				case "shortpoll": // reaches a message through the cursor
					ep = scenarios.Endpoint{Framing: framing, URL: "{{.Base}}/poll", Resume: scenarios.Resume{Kind: "headers", Headers: nchanResumeHeaders}}
				}
				c, err := target.NewClient(ep, f.vars(), testOptions(&countingDial{}))
				if err != nil {
					t.Fatal(err)
				}
				rec := newRecorder()
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				errc := runAsync(ctx, c, -1, rec)
				f.waitAdmitted(t, 1)
				f.publish(d.doc)
				err = result(t, errc)
				if !errors.Is(err, d.want) {
					t.Fatalf("Run = %v, want %v", err, d.want)
				}
				var me *target.MessageError
				if d.field != "" && (!errors.As(err, &me) || me.Field != d.field) {
					t.Errorf("Run = %#v, want a *MessageError naming field %s", err, d.field)
				}
				if n := rec.count(); n != 0 {
					t.Errorf("%d messages reported from a broken document", n)
				}
			})
		}
	}
}

// TestRefusalIsStatusError: a refused subscription or poll is a
// *StatusError with the status and the start of the body.
func TestRefusalIsStatusError(t *testing.T) {
	f := newFake(t, func(f *fake, mux *http.ServeMux) {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "over capacity: 10000 subscribers", http.StatusServiceUnavailable)
		})
	})
	for _, framing := range scenarios.Framings {
		t.Run(framing, func(t *testing.T) {
			url := "{{.Base}}/sub"
			if framing == "websocket" || framing == "socketio-websocket" {
				url = "{{.WSBase}}/sub"
			}
			c, err := target.NewClient(scenarios.Endpoint{Framing: framing, URL: url}, f.vars(), testOptions(&countingDial{}))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			err = c.Run(context.Background(), -1, rec)
			var se *target.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable || !strings.Contains(se.Body, "over capacity") {
				t.Fatalf("Run = %v, want a *StatusError 503 with the body", err)
			}
			// A long poll is connected once its first request has a
			// connection (its answer may wait for a message); the others
			// only once the server accepted them.
			want := 0
			if framing == "longpoll" {
				want = 1
			}
			if rec.connects != want {
				t.Errorf("Connected %d times for a refused subscription, want %d", rec.connects, want)
			}
		})
	}
}

// TestSilentStreamTimesOut: a push connection silent for ReadTimeout ends
// with a timeout.
func TestSilentStreamTimesOut(t *testing.T) {
	f := newFake(t, func(f *fake, mux *http.ServeMux) {
		mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-f.done:
			}
		})
		mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
			conn, err := (&gws.Upgrader{}).Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			for {
				if _, _, err := conn.NextReader(); err != nil {
					return
				}
			}
		})
	})
	for _, ep := range []scenarios.Endpoint{{Framing: "sse", URL: "{{.Base}}/sse"}, {Framing: "websocket", URL: "{{.WSBase}}/ws"}} {
		t.Run(ep.Framing, func(t *testing.T) {
			opts := testOptions(&countingDial{})
			opts.ReadTimeout = 150 * time.Millisecond
			c, err := target.NewClient(ep, f.vars(), opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			err = result(t, runAsync(ctx, c, -1, rec))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("Run = %v, want a read timeout", err)
			}
			if rec.connects != 1 {
				t.Errorf("Connected %d times, want 1", rec.connects)
			}
		})
	}
}

// TestSSELastEventIDAndRetry: the Last-Event-ID sent back is WHATWG's: kept
// across events without id:, cleared by an empty id:; retry: reaches a
// RetryReceiver.
func TestSSELastEventIDAndRetry(t *testing.T) {
	streams := []string{
		"retry: 1500\nid: 7\ndata: " + message(1) + "\n\ndata: " + message(2) + "\n\n",
		"id\ndata: " + message(3) + "\n\n",
		"",
	}
	f := newFake(t, func(f *fake, mux *http.ServeMux) {
		mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
			n, ok := f.admit(w, r, func(int) int { return len(f.reqs) - 1 })
			if !ok || n >= len(streams) {
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, streams[n])
		})
	})
	c, err := target.NewClient(scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/sse", Resume: scenarios.Resume{Kind: "last-event-id"}}, f.vars(), testOptions(&countingDial{}))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	for i := range 3 {
		if err := c.Run(context.Background(), int64(i), rec); err == nil {
			t.Fatalf("Run %d = nil after the stream ended", i)
		}
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, want := range []string{"", "7", ""} {
		if got := reqs[i].Header.Get("Last-Event-ID"); got != want {
			t.Errorf("request %d Last-Event-ID %q, want %q", i, got, want)
		}
	}
	if got := rec.snapshot(); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("seqs %v, want [1 2 3]", got)
	}
	if !slices.Equal(rec.retries, []time.Duration{1500 * time.Millisecond}) {
		t.Errorf("retries %v, want [1.5s]", rec.retries)
	}
}

// TestTLS: https and wss endpoints are verified with ClientOptions.TLS,
// and refused at NewClient without it.
func TestTLS(t *testing.T) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, err := transports.ServerTLS(certPEM, keyPEM, nil, []string{"http/1.1"})
	if err != nil {
		t.Fatal(err)
	}
	clientTLS, err := transports.ClientTLS(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []scenarios.Endpoint{
		{Framing: "sse", URL: "{{.Base}}/sub"},
		{Framing: "websocket", URL: "{{.WSBase}}/sub"},
		{Framing: "longpoll", URL: "{{.Base}}/sub"},
	} {
		t.Run(ep.Framing, func(t *testing.T) {
			f := startFake(t, nchanRoutes, serverTLS)
			d := &countingDial{}
			opts := testOptions(d)
			if _, err := target.NewClient(ep, f.vars(), opts); err == nil || !strings.Contains(err.Error(), "TLS") {
				t.Fatalf("NewClient without TLS = %v, want an error asking for it", err)
			}
			opts.TLS = clientTLS
			c, err := target.NewClient(ep, f.vars(), opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			errc := runAsync(ctx, c, -1, rec)
			f.waitAdmitted(t, 1)
			f.publishSeqs(1, 1)
			rec.waitMessages(t, 1)
			cancel()
			if err := result(t, errc); err != nil {
				t.Fatal(err)
			}
			if f.requests()[0].TLS == nil {
				t.Error("the request did not arrive over TLS")
			}
			if d.n.Load() == 0 {
				t.Error("TLS connections were not dialled through ClientOptions.Dial")
			}
		})
	}
}

// TestNewClientValidates: a bad endpoint is refused with an error naming
// the field.
func TestNewClientValidates(t *testing.T) {
	vars := scenarios.TemplateVars{Base: "http://127.0.0.1:1", Host: "127.0.0.1:1", WSBase: "ws://127.0.0.1:1", Channel: "bench"}
	ok := scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/sub"}
	with := func(f func(*scenarios.Endpoint)) scenarios.Endpoint {
		e := ok
		f(&e)
		return e
	}
	cases := []struct {
		ep   scenarios.Endpoint
		opts func(*transports.ClientOptions)
		want string
	}{
		{with(func(e *scenarios.Endpoint) { e.Framing = "mqtt" }), nil, "framing"},
		{with(func(e *scenarios.Endpoint) { e.Resume.Kind = "magic" }), nil, "resume.kind"},
		{with(func(e *scenarios.Endpoint) { e.Framing, e.Resume.Kind = "longpoll", "last-event-id" }), nil, "last-event-id"},
		{with(func(e *scenarios.Endpoint) { e.Resume.Kind = "headers" }), nil, "resume.headers"},
		{with(func(e *scenarios.Endpoint) { e.Resume.Kind = "url" }), nil, "resume.cursor"},
		{with(func(e *scenarios.Endpoint) { e.Resume = scenarios.Resume{Kind: "url", Cursor: "/offset"} }), nil, "neither url nor headers"},
		{with(func(e *scenarios.Endpoint) { e.Resume.Cursor = "/offset" }), nil, "only for resume.kind url"},
		{with(func(e *scenarios.Endpoint) { e.Message = "pub/data" }), nil, "message"},
		{with(func(e *scenarios.Endpoint) { e.Message = "/a~2" }), nil, "~"},
		{with(func(e *scenarios.Endpoint) { e.URL = "{{.Nope}}/sub" }), nil, "url template"},
		{with(func(e *scenarios.Endpoint) { e.URL = "ftp://127.0.0.1/sub" }), nil, "url"},
		{with(func(e *scenarios.Endpoint) { e.Framing = "websocket" }), nil, "{{.WSBase}}"},
		{with(func(e *scenarios.Endpoint) { e.URL = "https://127.0.0.1/sub" }), nil, "TLS"},
		{with(func(e *scenarios.Endpoint) { e.Framing, e.Empty = "longpoll", []int{200} }), nil, "empty"},
		{with(func(e *scenarios.Endpoint) { e.Empty = []int{304} }), nil, "empty"},
		{with(func(e *scenarios.Endpoint) {
			e.Framing, e.URL, e.Headers = "websocket", "{{.WSBase}}/sub", map[string]string{"Connection": "x"}
		}), nil, "headers.Connection"},
		{with(func(e *scenarios.Endpoint) { e.Headers = map[string]string{"X-Key": "{{.Missing}}"} }), nil, "headers.X-Key"},
		{ok, func(o *transports.ClientOptions) { o.HTTP2 = true }, "HTTP/2"},
	}
	for _, tc := range cases {
		opts := transports.ClientOptions{}
		if tc.opts != nil {
			tc.opts(&opts)
		}
		_, err := target.NewClient(tc.ep, vars, opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%+v) = %v, want an error naming %q", tc.ep, err, tc.want)
		}
	}
	if _, err := target.NewClient(ok, vars, transports.ClientOptions{}); err != nil {
		t.Errorf("NewClient(%+v) = %v, want a client", ok, err)
	}
}
