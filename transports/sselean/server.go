// Package sselean is pushbench's own Server-Sent Events transport, beside
// the r3labs/sse library one (package sse). It exists because the library
// cannot be configured fairly: its stream loop sends to each subscriber's
// fixed 64-slot channel with a blocking send, so one stalled subscriber
// stalls every other (stream.go, run); it has no resume from a bounded log
// (AutoReplay keeps every event forever and rewrites IDs); and its client
// spends about 1.3 µs and 577 B per event. This one streams each connection
// from the shared log with push.Follow, like WebSocket and raw TCP, and its
// client is a lean line parser.
//
// GET /sse-lean streams "id: SEQ\ndata: JSON\n\n" per message after an
// initial "retry: MS". Resume with the Last-Event-ID header (what browsers
// send on reconnect) or ?since=SEQ; with neither the stream starts from
// now. A gap is "id: LAST\nevent: gap\ndata: GAPJSON". Heartbeats are
// comment lines.
package sselean

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/push"
	"github.com/pushbench/pushbench/transports/wire"
)

func init() {
	t := transports.Describe(facts.SSELean)
	t.Path, t.Library = "/sse-lean", "net/http (own SSE framing and parser)"
	t.IsolatesSlowConsumers, t.Stream = true, stream
	t.NewServer = func(log *msglog.Log, opts transports.ServerOptions) (transports.Server, error) {
		return &server{log: log, opts: opts.WithDefaults(), life: transports.NewLifecycle()}, nil
	}
	t.NewClient = func(opts transports.ClientOptions) (transports.Client, error) {
		return newClient(opts)
	}
	transports.Register(t)
}

// server streams the log to each connection. It is safe for concurrent use.
type server struct {
	transports.Counters
	log  *msglog.Log
	opts transports.ServerOptions
	life *transports.Lifecycle
}

// Close ends every stream and waits for the handlers.
func (s *server) Close() error {
	s.life.Close()
	return nil
}

// Cursor reads the resume cursor from Last-Event-ID or ?since=; -1 when
// neither is present.
func Cursor(log *msglog.Log, r *http.Request) (int64, error) {
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		q := r.URL.Query()
		if !q.Has("since") {
			return -1, nil
		}
		name, v = "since", q.Get("since")
	}
	since, err := wire.ParseCursor(name, v)
	if err != nil {
		return 0, err
	}
	return push.Start(log, since)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	since, ok := transports.AdmitGET(w, r, s.opts.CORSOrigin, &s.Counters, func(r *http.Request) (int64, error) { return Cursor(s.log, r) })
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
	cursor := since
	if cursor < 0 {
		cursor = s.log.Head()
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set(transports.HeadHeader, strconv.FormatInt(cursor, 10))
	sw := &writer{w: w, rc: http.NewResponseController(w), timeout: s.opts.WriteTimeout}
	sw.buf = append(sw.buf[:0], "retry: "...)
	sw.buf = strconv.AppendInt(sw.buf, s.opts.Retry.Milliseconds(), 10)
	sw.buf = append(sw.buf, "\n\n"...)
	w.WriteHeader(http.StatusOK)
	if err := sw.write(sw.buf); err != nil {
		return
	}
	if err := sw.Flush(); err != nil {
		return
	}
	ctx, cancel := s.life.Bind(r.Context())
	defer cancel()
	_ = push.Follow(ctx, s.log, cursor, s.opts, &s.Counters, sw)
}

// writer frames SSE events for push.Follow. Not safe for concurrent use.
type writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     []byte
}

func (sw *writer) write(b []byte) error {
	if err := sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout)); err != nil {
		return err
	}
	_, err := sw.w.Write(b)
	return err
}

// WriteMessages writes one event per entry.
func (sw *writer) WriteMessages(entries []*msglog.Entry) error {
	for _, e := range entries {
		b := append(sw.buf[:0], "id: "...)
		b = strconv.AppendInt(b, e.Seq, 10)
		b = append(b, "\ndata: "...)
		b = append(b, e.JSON...)
		b = append(b, "\n\n"...)
		sw.buf = b
		if err := sw.write(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteGap writes the gap event; its id moves the client's cursor past it.
func (sw *writer) WriteGap(g msglog.Gap) error {
	b := append(sw.buf[:0], "id: "...)
	b = strconv.AppendInt(b, g.Last, 10)
	b = append(b, "\nevent: gap\ndata: "...)
	b = wire.AppendGapJSON(b, g.First, g.Last)
	b = append(b, "\n\n"...)
	sw.buf = b
	return sw.write(b)
}

var heartbeat = []byte(": hb\n\n")

// WriteHeartbeat writes a comment line.
func (sw *writer) WriteHeartbeat() error { return sw.write(heartbeat) }

// Flush sends what is buffered.
func (sw *writer) Flush() error {
	if err := sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout)); err != nil {
		return err
	}
	return sw.rc.Flush()
}
