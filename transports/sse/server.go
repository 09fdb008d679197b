package sse

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	r3 "github.com/r3labs/sse/v2"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/push"
	"github.com/pushbench/pushbench/transports/wire"
)

// Stream is the one library stream every subscriber joins.
const Stream = "messages"

// batch is the most log entries read at once, by the publisher and by a
// connection's replay.
const batch = 256

// maxBuffer caps the library's stream buffer (a channel allocated whole:
// 8 bytes per slot). Beyond it the publisher waits and the log holds the
// backlog.
const maxBuffer = 1 << 16

// heartbeat is the comment event published when the log is idle.
var heartbeat = &r3.Event{Comment: []byte("hb")}

// Server is the server half: the library's sse.Server behind a handler that
// resumes from the shared log, filters duplicates and enforces deadlines.
// It is safe for concurrent use; Close may be called once or more.
type Server struct {
	transports.Counters
	log       *msglog.Log
	opts      transports.ServerOptions
	lib       *r3.Server
	life      *transports.Lifecycle
	published chan struct{} // closed when the publisher goroutine ends
	closeOnce sync.Once
}

// NewServer configures the library fairly (see docs/LIBRARIES.md: no AutoReplay,
// no AutoStream, no EventTTL, a stream buffer of opts.QueueLen events up to
// maxBuffer, one pre-created stream) and starts the goroutine that publishes the log to
// it, from the log's head now on.
func NewServer(log *msglog.Log, opts transports.ServerOptions) (*Server, error) {
	opts = opts.WithDefaults()
	lib := r3.New()
	lib.AutoReplay = false
	lib.AutoStream = false
	lib.EventTTL = 0
	lib.BufferSize = min(opts.QueueLen, maxBuffer)
	lib.CreateStream(Stream)
	s := &Server{
		log: log, opts: opts, lib: lib, life: transports.NewLifecycle(),
		published: make(chan struct{}),
	}
	go s.publish(s.life.Context(), log.Head())
	return s, nil
}

// publish is the only reader at the log's head: it hands every entry after
// cursor, in order, to the library, and a heartbeat comment when nothing
// was published for opts.Heartbeat. If the log outruns it (Publish blocks
// while a stalled subscriber blocks the library), it skips forward; each
// connection's filter then sends the gap signal.
func (s *Server) publish(ctx context.Context, cursor int64) {
	defer close(s.published)
	hb := time.NewTimer(s.opts.Heartbeat)
	defer hb.Stop()
	buf := make([]*msglog.Entry, 0, batch)
	for ctx.Err() == nil {
		changed := s.log.Changed()
		entries, gap, _, err := s.log.Since(cursor, batch, buf[:0])
		if err != nil {
			return // cannot happen: the cursor never passes the head
		}
		if gap != nil {
			cursor = gap.Last
		}
		for _, e := range entries {
			s.lib.Publish(Stream, &r3.Event{ID: strconv.AppendInt(nil, e.Seq, 10), Data: e.JSON})
			cursor = e.Seq
		}
		if len(entries) > 0 {
			hb.Stop()
			hb.Reset(s.opts.Heartbeat)
			continue
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-hb.C:
			s.lib.Publish(Stream, heartbeat)
			hb.Reset(s.opts.Heartbeat)
		}
	}
}

// Close ends every subscriber, then closes the library's streams and waits
// for the publisher. Subscribers end first on purpose: a subscriber still
// attached when the library closes its stream leaks the library's
// goroutine at http.go:62 (subscriber.go:20 sends to a loop that is gone).
// While a subscriber is stalled, Close can take up to WriteTimeout: the
// library's loop must get past it before others can deregister.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.life.Close()
		s.lib.Close()
		<-s.published
	})
	return nil
}

// ServeHTTP serves GET /sse. It validates the cursor (Last-Event-ID, else
// ?since=; neither means from now) before the library sees the request,
// then runs the library's handler on a clone of the request whose context
// ends at Close or at the first failed write.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	cursor, ok := transports.AdmitGET(w, r, s.opts.CORSOrigin, &s.Counters, s.cursor)
	if !ok {
		return
	}
	_, done, ok := s.life.Enter()
	if !ok {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer done()
	defer s.Opened()()
	ctx, cancel := s.life.Bind(r.Context())
	defer cancel()
	h.Set(transports.HeadHeader, strconv.FormatInt(cursor, 10))

	lr := r.Clone(ctx)
	lr.Header.Del("Last-Event-ID") // the library would replay from it (and 400 on non-integers)
	lr.URL.RawQuery = url.Values{"stream": {Stream}}.Encode()
	c := newConn(s, w, cursor, cancel)
	s.lib.ServeHTTP(c, lr)
	c.finish()
}

// cursor resolves the request's resume cursor: Last-Event-ID, else
// ?since=, else the head (from now).
func (s *Server) cursor(r *http.Request) (int64, error) {
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		q := r.URL.Query()
		if !q.Has("since") {
			return push.Start(s.log, -1)
		}
		name, v = "since", q.Get("since")
	}
	since, err := wire.ParseCursor(name, v)
	if err != nil {
		return 0, err
	}
	return push.Start(s.log, since)
}
