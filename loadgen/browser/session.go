package browser

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
)

//go:embed page/*
var pageFS embed.FS

// Kinds of page client, from the transport's descriptor.
const (
	KindEventSource = "eventsource"
	KindWebSocket   = "websocket"
	KindLongPoll    = "longpoll"
	KindShortPoll   = "shortpoll"
)

// KindOf is the browser API a transport's clients use, or an error for a
// transport a browser cannot open.
func KindOf(t transports.Transport) (string, error) {
	switch {
	case t.Path == "":
		return "", fmt.Errorf("%s has no browser client: pages cannot open raw TCP connections", t.Name)
	case t.EventSource:
		return KindEventSource, nil
	case t.Upgrades:
		return KindWebSocket, nil
	case t.PollInterval:
		return KindShortPoll, nil
	case !t.Push:
		return KindLongPoll, nil
	}
	return "", fmt.Errorf("%s: no browser client for this transport", t.Name)
}

// Plan is what a session opens: Tabs pages, each with Streams streams of
// one transport against Base (http://, https://), every stream resuming
// after cursor Since.
type Plan struct {
	Transport    transports.Transport
	Base         string
	Tabs         int
	Streams      int
	Since        int64
	PollInterval time.Duration // short poll (1s)
	Reconnect    time.Duration // WebSocket and poll retry delay after an error (100ms); EventSource keeps its own
}

// Session is the open pages of one Plan. Its streams report to the
// generator's external clients, one per stream, in stream order.
type Session struct {
	plan    Plan
	srv     *http.Server
	ln      net.Listener
	origin  string
	tabs    []context.Context
	cancels []context.CancelFunc
	ext     []*loadgen.External
	clock   Clock

	mu        sync.Mutex
	start     float64 // page clock (Unix ms) of the first stream's creation
	streams   []results.BrowserStream
	created   []float64 // per stream, Unix ms
	firstSeen []bool
	errs      map[string]int
	isolated  bool
	protocols map[string]int // responses from the target by protocol
	conns     map[string]bool
	opened    int

	takeMu   sync.Mutex // one take-and-apply at a time, so events are applied in page order
	pumpDone chan struct{}
	stopPump context.CancelFunc
	pumpErr  error
}

// Origin is where the pages are served from: the server under test must
// allow it (pushbench serve --cors ORIGIN).
func (s *Session) Origin() string { return s.origin }

// Listen starts the page server on loopback, so its origin is known before
// the server under test starts (it needs it for --cors).
func Listen() (*Session, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen for the browser pages: %w", err)
	}
	s := &Session{ln: ln, origin: "http://" + ln.Addr().String(), errs: map[string]int{},
		protocols: map[string]int{}, conns: map[string]bool{}}
	files := http.FileServerFS(pageFS)
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cross-origin isolation gives the page's timers 5 µs resolution
		// instead of 100 µs; the streams are CORS requests, which it allows.
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "no-store")
		r.URL.Path = "/page" + r.URL.Path
		files.ServeHTTP(w, r)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Open opens the plan's tabs in b and starts their streams, attaching one
// external client of gen per stream. Close the session when done.
func (s *Session) Open(ctx context.Context, b *Browser, plan Plan, gen *loadgen.Generator) error {
	kind, err := KindOf(plan.Transport)
	if err != nil {
		return err
	}
	if plan.Tabs < 1 || plan.Streams < 1 {
		return fmt.Errorf("browser plan needs at least one tab and one stream, got %d x %d", plan.Tabs, plan.Streams)
	}
	if plan.PollInterval <= 0 {
		plan.PollInterval = time.Second
	}
	if plan.Reconnect <= 0 {
		plan.Reconnect = loadgen.DefaultReconnect
	}
	s.plan = plan
	target, err := url.Parse(plan.Base)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		return fmt.Errorf("browser target %q: want an http:// or https:// base URL", plan.Base)
	}
	n := plan.Tabs * plan.Streams
	s.streams = make([]results.BrowserStream, n)
	s.created = make([]float64, n)
	s.firstSeen = make([]bool, n)
	for i := range s.streams {
		s.streams[i] = results.BrowserStream{Tab: i/plan.Streams + 1, Stream: i%plan.Streams + 1, OpenedMs: -1, FirstMs: -1, ClosedMs: -1}
		s.ext = append(s.ext, gen.Attach())
	}
	for t := 0; t < plan.Tabs; t++ {
		if err := s.openTab(b, t, target.Host); err != nil {
			return err
		}
	}
	if err := s.startStreams(kind, plan); err != nil {
		return err
	}
	pctx, stop := context.WithCancel(context.Background())
	s.stopPump, s.pumpDone = stop, make(chan struct{})
	go s.pump(pctx)
	return nil
}

// openTab opens tab t (from 0) on the client page, counting the protocols
// and connections of its responses from host; the first tab's page clock
// is checked against this process's.
func (s *Session) openTab(b *Browser, t int, host string) error {
	tctx, cancel := chromedp.NewContext(b.ctx)
	s.tabs, s.cancels = append(s.tabs, tctx), append(s.cancels, cancel)
	if err := chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		return fmt.Errorf("tab %d: failed to watch its network: %w", t+1, err)
	}
	if err := chromedp.Listen(tctx, func(ev any) { s.noteResponse(ev, host) }); err != nil {
		return fmt.Errorf("tab %d: %w", t+1, err)
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(s.origin+"/index.html")); err != nil {
		return fmt.Errorf("tab %d: failed to load the client page: %w", t+1, err)
	}
	if t > 0 {
		return nil
	}
	var err error
	if s.clock, err = checkClock(tctx); err != nil {
		return fmt.Errorf("failed to read the page's clock: %w", err)
	}
	// One host clock: a page clock further off than the round trip and a
	// millisecond of timer coarsening would make every latency wrong.
	if math.Abs(s.clock.OffsetUs) > s.clock.UncertaintyUs+1000 {
		return fmt.Errorf("the page's clock is %.0f µs off this process's (±%.0f µs): latencies would be wrong", s.clock.OffsetUs, s.clock.UncertaintyUs)
	}
	return nil
}

// noteResponse counts the protocol and connection of a response from host
// (ev: a DevTools event of a tab).
func (s *Session) noteResponse(ev any, host string) {
	var e *network.EventResponseReceived
	switch v := ev.(type) {
	case *network.EventResponseReceived:
		e = v
	case network.EventResponseReceived:
		e = &v
	}
	if e == nil || e.Response == nil {
		return
	}
	if u, err := url.Parse(e.Response.URL); err == nil && u.Host == host {
		s.mu.Lock()
		s.protocols[e.Response.Protocol]++
		s.conns[strconv.FormatFloat(e.Response.ConnectionID, 'f', -1, 64)] = true
		s.mu.Unlock()
	}
}

// startStreams starts each tab's streams of the given kind.
func (s *Session) startStreams(kind string, plan Plan) error {
	for t, tctx := range s.tabs {
		cfg, _ := json.Marshal(map[string]any{"kind": kind, "base": strings.TrimSuffix(plan.Base, "/"), "path": plan.Transport.Path,
			"streams": plan.Streams, "first": t * plan.Streams, "since": strconv.FormatInt(plan.Since, 10),
			"pollMs": plan.PollInterval.Milliseconds(), "reconnectMs": plan.Reconnect.Milliseconds()})
		res, err := chromedp.Run(tctx, chromedp.Evaluate[struct {
			Isolated bool `json:"isolated"`
		}]("__pb.start("+string(cfg)+")"))
		if err != nil {
			return fmt.Errorf("tab %d: failed to start the streams: %w", t+1, err)
		}
		s.isolated = res.Isolated
	}
	return nil
}

// pump takes the pages' queues every 20 ms until stopped, then once more.
func (s *Session) pump(ctx context.Context) {
	defer close(s.pumpDone)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		stopped := false
		select {
		case <-ctx.Done():
			stopped = true
		case <-tick.C:
		}
		if err := s.takeAll(); err != nil {
			s.mu.Lock()
			s.pumpErr = err
			s.mu.Unlock()
			return
		}
		if stopped {
			return
		}
	}
}

func (s *Session) takeAll() error {
	s.takeMu.Lock()
	defer s.takeMu.Unlock()
	for t, tctx := range s.tabs {
		cctx, cancel := context.WithTimeout(tctx, 10*time.Second)
		raw, err := chromedp.Run(cctx, chromedp.Evaluate[string](`__pb.take()`))
		cancel()
		if err != nil {
			return fmt.Errorf("tab %d: failed to take its results: %w", t+1, err)
		}
		var evs [][]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &evs); err != nil {
			return fmt.Errorf("tab %d: bad results batch: %w", t+1, err)
		}
		for _, ev := range evs {
			if err := s.apply(ev); err != nil {
				return fmt.Errorf("tab %d: %w", t+1, err)
			}
		}
	}
	return nil
}

// pageEvent is one event a page queued: its kind, its stream's index,
// then the kind's fields.
type pageEvent []json.RawMessage

// str is field i as a string ("" when absent or not one).
func (ev pageEvent) str(i int) string {
	var v string
	if i < len(ev) {
		_ = json.Unmarshal(ev[i], &v)
	}
	return v
}

// num is field i as a number (0 when absent or not one).
func (ev pageEvent) num(i int) float64 {
	var v float64
	if i < len(ev) {
		_ = json.Unmarshal(ev[i], &v)
	}
	return v
}

// pair is fields i and i+1 as integers written as strings (they exceed
// 2^53).
func (ev pageEvent) pair(i int) (a, b int64, err error) {
	a, err1 := strconv.ParseInt(ev.str(i), 10, 64)
	b, err2 := strconv.ParseInt(ev.str(i+1), 10, 64)
	return a, b, errors.Join(err1, err2)
}

// apply feeds one page event to its stream's external client.
func (s *Session) apply(raw []json.RawMessage) error {
	ev := pageEvent(raw)
	if len(ev) < 2 {
		return fmt.Errorf("bad event %s", raw)
	}
	var kind string
	var id int
	if json.Unmarshal(ev[0], &kind) != nil || json.Unmarshal(ev[1], &id) != nil || id < 0 || id >= len(s.ext) {
		return fmt.Errorf("bad event %s", raw)
	}
	ext, st := s.ext[id], &s.streams[id]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case "c":
		at := ev.num(2)
		s.created[id] = at
		if s.start == 0 || at < s.start {
			s.start = at
		}
	case "o":
		at := ev.num(2)
		if st.OpenedMs < 0 {
			st.OpenedMs = at - s.start
			s.opened++
		}
		st.Opens++
		ext.Connected(time.Duration((at - s.created[id]) * float64(time.Millisecond)))
	case "m":
		return s.applyMessage(id, ev)
	case "g":
		first, last, err := ev.pair(2)
		if err != nil {
			return fmt.Errorf("bad gap event %s: %w", raw, err)
		}
		ext.Gap(first, last)
	case "p":
		ext.Polled()
		if ev.num(2) == 1 {
			ext.Empty()
		}
	case "e":
		st.Errors++
		msg := ev.str(3)
		if _, ok := s.errs[msg]; ok || len(s.errs) < 20 {
			s.errs[msg]++
		}
		ext.Dropped()
	case "x":
		st.ClosedMs = ev.num(2) - s.start
		ext.Closed()
	default:
		return fmt.Errorf("unknown event %s", raw)
	}
	return nil
}

// applyMessage takes a message event of stream id: seq, sent and the
// page's receive time. s.mu is held.
func (s *Session) applyMessage(id int, ev pageEvent) error {
	seq, sent, err := ev.pair(2)
	if err != nil {
		return fmt.Errorf("bad message event %s: %w", []json.RawMessage(ev), err)
	}
	at := ev.num(4)
	// The page's clock read on this process's: less the offset measured
	// when the tab opened, where that offset is larger than the reading's
	// own uncertainty (half its round trip); within it, the two clocks are
	// one as far as can be told, and subtracting the noise would only move
	// sub-millisecond latencies, some below zero.
	recv := time.Unix(0, int64(at*1e6)-int64(s.clock.Correction()*1e3))
	st := &s.streams[id]
	if !s.firstSeen[id] {
		s.firstSeen[id] = true
		st.FirstMs = at - s.start
		st.FirstSeq = seq
		st.FirstLatencyUs = recv.Sub(time.Unix(0, sent)).Microseconds()
	}
	st.Messages++
	s.ext[id].Message(seq, sent, recv)
	return nil
}

// WaitOpen waits until every stream has opened once, or timeout passes
// (then it returns how many had, without an error: a stream that waits for
// a connection is what a browser scenario measures).
func (s *Session) WaitOpen(ctx context.Context, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n, err := s.opened, s.pumpErr
		s.mu.Unlock()
		if err != nil {
			return n, err
		}
		if n == len(s.streams) || time.Now().After(deadline) {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-tick.C:
		}
	}
}

// Finish tells every stream to close once it has received seq last.
func (s *Session) Finish(ctx context.Context, last int64) error {
	for t, tctx := range s.tabs {
		if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("__pb.finish(%q)", strconv.FormatInt(last, 10)))); err != nil {
			return fmt.Errorf("tab %d: %w", t+1, err)
		}
	}
	return nil
}

// Sync takes what the pages have queued now, so the generator's counts are
// up to date; it returns the pump's error, if it failed.
func (s *Session) Sync() error {
	s.mu.Lock()
	err := s.pumpErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.takeAll()
}

// Stop closes every stream still open, takes the pages' last events and
// stops the pump.
func (s *Session) Stop(ctx context.Context) error {
	var err error
	for t, tctx := range s.tabs {
		if e := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`__pb.stop()`)); e != nil && err == nil {
			err = fmt.Errorf("tab %d: %w", t+1, e)
		}
	}
	if s.stopPump != nil {
		s.stopPump()
		<-s.pumpDone
		s.stopPump = nil
	}
	if err == nil {
		s.mu.Lock()
		err = s.pumpErr
		s.mu.Unlock()
	}
	return err
}

// Result is what the session measured beside the generator's counts.
func (s *Session) Result() results.BrowserRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := results.BrowserRun{Tabs: s.plan.Tabs, StreamsPerTab: s.plan.Streams, Origin: s.origin, Target: s.plan.Base,
		CrossOriginIsolated: s.isolated, ClockOffsetUs: s.clock.OffsetUs, ClockUncertaintyUs: s.clock.UncertaintyUs,
		Connections: len(s.conns), Streams: append([]results.BrowserStream(nil), s.streams...)}
	if kind, err := KindOf(s.plan.Transport); err == nil {
		r.API = kind
	}
	for p := range s.protocols {
		r.Protocols = append(r.Protocols, p)
	}
	sort.Strings(r.Protocols)
	for _, e := range loadgen.TopErrors(s.errs, 5) {
		r.Errors = append(r.Errors, e)
	}
	return r
}

// Close closes the tabs and the page server.
func (s *Session) Close() {
	if s.stopPump != nil {
		s.stopPump()
		<-s.pumpDone
	}
	for _, c := range s.cancels {
		c()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
