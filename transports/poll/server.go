// Package poll implements the two HTTP polling transports: shortpoll (the
// client asks every interval and the server answers at once) and longpoll
// (the server holds the request until something is new or the hold timeout
// passes). Both answer with a JSON array of wire objects read straight from
// the shared log, so they need no per-connection queue.
//
// GET /poll?since=SEQ and GET /longpoll?since=SEQ return the messages with
// seq > SEQ (at most MaxBatch, and MaxBatchBytes past the first), preceded by a gap object when some have left
// the ring. Without since the answer is immediate and empty: it tells a new
// client the newest seq in the X-Pushbench-Head header, its starting cursor.
package poll

import (
	"context"
	"errors"
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
	register(facts.ShortPoll, "/poll", false)
	register(facts.LongPoll, "/longpoll", true)
}

// register registers the poll transport name served at path; hold: the
// server holds a poll until a message arrives (long poll).
func register(name, path string, hold bool) {
	t := transports.Describe(name)
	t.Path, t.Library, t.IsolatesSlowConsumers = path, "net/http", true
	t.Poll = newPollState(hold, path)
	t.NewServer = func(log *msglog.Log, opts transports.ServerOptions) (transports.Server, error) {
		return newServer(log, opts, hold), nil
	}
	t.NewClient = func(opts transports.ClientOptions) (transports.Client, error) {
		return newClient(opts, hold, path), nil
	}
	transports.Register(t)
}

// server answers polls. It is safe for concurrent use.
type server struct {
	transports.Counters
	log  *msglog.Log
	opts transports.ServerOptions
	hold bool // long poll
	life *transports.Lifecycle
}

func newServer(log *msglog.Log, opts transports.ServerOptions, hold bool) *server {
	return &server{log: log, opts: opts.WithDefaults(), hold: hold, life: transports.NewLifecycle()}
}

// Close ends held requests (they answer at once) and waits for them.
func (s *server) Close() error {
	s.life.Close()
	return nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	since, ok := transports.AdmitGET(w, r, s.opts.CORSOrigin, &s.Counters, func(r *http.Request) (int64, error) { return cursor(s.log, r) })
	if !ok {
		return
	}
	ctx, done, ok := s.life.Enter()
	if !ok {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer done()
	defer s.Opened()()

	var entries []*msglog.Entry
	var gap *msglog.Gap
	var head int64
	if since >= 0 {
		var err error
		entries, gap, head, err = s.wait(ctx, r.Context(), since)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	} else {
		head = s.log.Head()
	}
	s.answer(w, entries, gap, head)
}

// cursor reads ?since=; -1 when absent.
func cursor(log *msglog.Log, r *http.Request) (int64, error) {
	q := r.URL.Query()
	if !q.Has("since") {
		return -1, nil
	}
	since, err := wire.ParseCursor("since", q.Get("since"))
	if err != nil {
		return 0, err
	}
	return push.Start(log, since)
}

// wait returns what is new after since; a long poll first waits for it,
// up to the hold timeout.
func (s *server) wait(serverCtx, reqCtx context.Context, since int64) ([]*msglog.Entry, *msglog.Gap, int64, error) {
	var hold <-chan time.Time
	if s.hold {
		t := time.NewTimer(s.opts.HoldTimeout)
		defer t.Stop()
		hold = t.C
	}
	for {
		changed := s.log.Changed()
		entries, gap, head, err := s.log.SinceBytes(since, s.opts.MaxBatch, s.opts.MaxBatchBytes, nil)
		if err != nil || len(entries) > 0 || gap != nil || !s.hold {
			return entries, gap, head, err
		}
		select {
		case <-changed:
		case <-hold:
			return nil, nil, head, nil
		case <-serverCtx.Done():
			return nil, nil, head, nil
		case <-reqCtx.Done():
			return nil, nil, head, errors.New("client went away")
		}
	}
}

var comma, closeBracket = []byte{','}, []byte{']'}

func (s *server) answer(w http.ResponseWriter, entries []*msglog.Entry, gap *msglog.Gap, head int64) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(transports.HeadHeader, strconv.FormatInt(head, 10))
	// The answer is written straight from the log's entries, not built
	// whole: a poll costs no copy of what it returns.
	var gapJSON []byte
	if gap != nil {
		gapJSON = wire.AppendGapJSON(nil, gap.First, gap.Last)
		s.CountGap()
	}
	size := 2 + len(gapJSON)
	for i, e := range entries {
		if i > 0 || gap != nil {
			size++
		}
		size += len(e.JSON)
	}
	if len(entries) == 0 && gap == nil {
		s.CountEmpty()
	}
	s.CountSent(len(entries))
	h.Set("Content-Length", strconv.Itoa(size))
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	// A failed write means the client went away; it will resume from its cursor.
	if _, err := w.Write(append([]byte{'['}, gapJSON...)); err != nil {
		return
	}
	for i, e := range entries {
		if i > 0 || gap != nil {
			if _, err := w.Write(comma); err != nil {
				return
			}
		}
		if _, err := w.Write(e.JSON); err != nil {
			return
		}
	}
	_, _ = w.Write(closeBracket)
}
