package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/transports/controlplane"
)

// Worker serves one Generator to a coordinator over HTTP (pushbench
// worker): the coordinator starts it with a Spec, adds clients, opens and
// reads windows, and closes it. One generator at a time; methods are safe
// for concurrent use.
//
//	POST /start   Spec                          a new generator (the old one closed)
//	POST /add     {"n":N}                       open N more clients (returns when started)
//	GET  /status?cursor=SEQ                     clients, connected, delivered, behind SEQ
//	POST /window  {"base","limit","at"}         open a window at the instant at (Unix ns)
//	POST /late    {"at"}                        the drain deadline passed
//	GET  /report?published=N                    the window as a Report
//	POST /send    {"rate","payload","duration"} upstream sending (chat); returns sent, failed
//	POST /close                                 close the generator
//
// With a Token every request must carry it (Authorization: Bearer);
// bodies are at most 1 MiB, arrive within BodyTimeout and decode strictly.
type Worker struct {
	mu     sync.Mutex
	gen    *Generator
	before Sample   // before the first client
	peak   *cpuPeak // the current window's CPU peak, from its start
	s0     Sample   // at the window's start
	t0     time.Time
	ctx    context.Context // the worker's life: ends pending calls on shutdown
	// Allowed are the targets beyond loopback the operator allowed this
	// worker (not the coordinator's to choose).
	Allowed Targets
	// Token, when set, is required of every request; Log receives the
	// refusals (rate-limited).
	Token controlplane.Token
	Log   io.Writer
	// BodyTimeout bounds how long a request body may take to arrive
	// (controlplane.BodyTimeout when 0).
	BodyTimeout time.Duration
	// FileLimit is the open-file limit the worker runs with: it bounds
	// the clients /add may ask for. NewWorker reads RLIMIT_NOFILE.
	FileLimit uint64
}

// NewWorker returns a worker with no generator; ctx ends its calls.
func NewWorker(ctx context.Context) *Worker {
	w := &Worker{ctx: ctx}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		w.FileLimit = lim.Cur
	}
	return w
}

func filesPerClient(upstream bool) uint64 {
	if upstream {
		return 2 // the stream and the upstream connection
	}
	return 1
}

// fileReserve is the descriptors a worker keeps for itself (its listener,
// control connections, the runtime) out of its open-file limit.
const fileReserve = 256

// MaxClients is the most clients the worker holds at once: its open-file limit less a reserve, over the descriptors one
// client holds (two with upstream sending); 0 when it cannot hold one.
func (w *Worker) MaxClients(upstream bool) int {
	per := filesPerClient(upstream)
	if w.FileLimit <= fileReserve {
		return 0
	}
	return int(min((w.FileLimit-fileReserve)/per, 1<<30))
}

// Close closes the generator, if any.
func (w *Worker) Close() {
	w.mu.Lock()
	g, peak := w.gen, w.peak
	w.gen, w.peak = nil, nil
	w.mu.Unlock()
	peak.Stop()
	if g != nil {
		g.Close()
	}
}

// Status is what GET /status reports.
type Status struct {
	Clients   int      `json:"clients"`
	Connected int64    `json:"connected"`
	Delivered int64    `json:"delivered"`
	Behind    int      `json:"behind"` // clients whose cursor is below the asked seq
	P99Us     int64    `json:"p99_us"`
	Errors    []string `json:"errors,omitempty"` // the most frequent connection errors
}

// WindowStart is what POST /window takes.
type WindowStart struct {
	Base  int64 `json:"base"`
	Limit int64 `json:"limit"`
	At    int64 `json:"at"` // Unix ns: every worker opens its window at this instant
}

// SendPlan is what POST /send takes.
type SendPlan struct {
	Rate     float64       `json:"rate"`
	Payload  string        `json:"payload"`
	Duration time.Duration `json:"duration"`
}

// SendResult is what POST /send answers.
type SendResult struct{ Sent, Failed int64 }

// Handler serves the worker's API.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /start", w.start)
	mux.HandleFunc("POST /add", handle(w, w.add))
	mux.HandleFunc("GET /status", handle(w, w.status))
	mux.HandleFunc("POST /window", handle(w, w.window))
	mux.HandleFunc("POST /late", handle(w, w.late))
	mux.HandleFunc("GET /report", handle(w, w.report))
	mux.HandleFunc("POST /send", handle(w, w.send))
	mux.HandleFunc("POST /close", func(rw http.ResponseWriter, r *http.Request) { w.Close(); reply(rw, struct{}{}) })
	guard := &controlplane.Guard{Token: w.Token, Log: w.Log, Prefix: "pushbench worker"}
	return guard.Wrap(controlplane.BodyDeadline(mux, w.bodyTimeout()))
}

func (w *Worker) bodyTimeout() time.Duration {
	if w.BodyTimeout > 0 {
		return w.BodyTimeout
	}
	return controlplane.BodyTimeout
}

// handle decodes a POST body into a T, finds the generator and runs fn: a
// bad body is a 400, no generator yet a 409.
func handle[T any](w *Worker, fn func(rw http.ResponseWriter, r *http.Request, g *Generator, req T)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		var req T
		if r.Method == http.MethodPost && !w.decode(rw, r, &req) {
			return
		}
		g, err := w.generator()
		if err != nil {
			fail(rw, http.StatusConflict, err)
			return
		}
		fn(rw, r, g, req)
	}
}

func (w *Worker) generator() (*Generator, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gen == nil {
		return nil, errors.New("no generator: POST /start first")
	}
	return w.gen, nil
}

func (w *Worker) start(rw http.ResponseWriter, r *http.Request) {
	var spec Spec
	if !w.decode(rw, r, &spec) {
		return
	}
	cfg, err := spec.Config()
	if err != nil {
		fail(rw, http.StatusBadRequest, err)
		return
	}
	if w.MaxClients(spec.Upstream) == 0 {
		fail(rw, http.StatusBadRequest, fmt.Errorf("this worker's open-file limit %d leaves no room for clients: raise it (ulimit -n)", w.FileLimit))
		return
	}
	cfg.Allowed = w.Allowed
	w.Close()
	g := New(cfg)
	if spec.SlowFraction > 0 {
		g.SlowReaders(spec.SlowFraction, spec.SlowDelay)
	}
	before := SampleSelf()
	w.mu.Lock()
	w.gen, w.before = g, before
	w.mu.Unlock()
	reply(rw, struct{}{})
}

// addRequest is what POST /add takes.
type addRequest struct{ N int }

func (w *Worker) add(rw http.ResponseWriter, r *http.Request, g *Generator, req addRequest) {
	most := w.MaxClients(g.cfg.Upstream)
	if req.N < 0 || req.N > most-g.Clients() {
		fail(rw, http.StatusBadRequest, fmt.Errorf("n %d: this worker holds at most %d clients (its open-file limit %d, less %d for itself, %d per client) and has %d: spread the clients over more workers (pushbench run --worker-procs, or more --worker)",
			req.N, most, w.FileLimit, fileReserve, filesPerClient(g.cfg.Upstream), g.Clients()))
		return
	}
	ctx, stop := mergeCtx(r.Context(), w.ctx)
	defer stop()
	if err := g.Add(ctx, req.N); err != nil {
		fail(rw, http.StatusServiceUnavailable, err)
		return
	}
	reply(rw, struct{}{})
}

func (w *Worker) status(rw http.ResponseWriter, r *http.Request, g *Generator, _ struct{}) {
	st := Status{Clients: g.Clients(), Connected: g.Connected(), Delivered: g.Delivered(), P99Us: g.LatencyQuantile(99),
		Errors: TopErrors(g.Errors(), 2)}
	if c := r.URL.Query().Get("cursor"); c != "" {
		seq, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			fail(rw, http.StatusBadRequest, fmt.Errorf("cursor %.20q: not an integer", c))
			return
		}
		st.Behind = g.behind(seq)
	}
	reply(rw, st)
}

func (w *Worker) window(rw http.ResponseWriter, r *http.Request, g *Generator, ws WindowStart) {
	at := time.Unix(0, ws.At)
	if d := time.Until(at); d > time.Minute {
		fail(rw, http.StatusBadRequest, fmt.Errorf("window start %v is %v away: more than a minute (clocks apart?)", at, d))
		return
	}
	ctx, stop := mergeCtx(r.Context(), w.ctx)
	defer stop()
	s0 := SampleSelf() // before the instant: the forced GC stays out of the window
	if err := sleepUntil(ctx, at); err != nil {
		fail(rw, http.StatusServiceUnavailable, err)
		return
	}
	g.StartWindow(ws.Base, ws.Limit)
	w.mu.Lock()
	w.s0, w.t0 = s0, time.Now()
	old := w.peak
	w.peak = watchCPUPeak(float64(runtime.GOMAXPROCS(0)))
	w.mu.Unlock()
	old.Stop()
	reply(rw, struct{}{})
}

// lateRequest is what POST /late takes.
type lateRequest struct{ At int64 }

func (w *Worker) late(rw http.ResponseWriter, r *http.Request, g *Generator, req lateRequest) {
	g.MarkLate(time.Unix(0, req.At))
	reply(rw, struct{}{})
}

func (w *Worker) report(rw http.ResponseWriter, r *http.Request, g *Generator, _ struct{}) {
	published, err := strconv.ParseInt(r.URL.Query().Get("published"), 10, 64)
	if err != nil || published < 0 {
		fail(rw, http.StatusBadRequest, fmt.Errorf("published %.20q: want a count >= 0", r.URL.Query().Get("published")))
		return
	}
	win := g.Window(published)
	w.mu.Lock()
	before, s0, t0, peak := w.before, w.s0, w.t0, w.peak
	w.peak = nil
	w.mu.Unlock()
	cpuPeak := peak.Stop()
	s1 := SampleSelf()
	rep, err := win.Encode()
	if err != nil {
		fail(rw, http.StatusInternalServerError, err)
		return
	}
	rep.Self = Usage(before, s0, s1, time.Since(t0), win.Clients, win.Delivered)
	lagVerdict(&rep.Self, win.LoopLag)
	rep.Self.Reads, rep.Self.StampedReads = win.Reads, win.StampedReads
	waitVerdict(&rep.Self, win.StampedReads, win.ClientWait, win.ClientWaitMax)
	if peak != nil {
		peakVerdict(&rep.Self, cpuPeak)
	}
	rep.PID = os.Getpid()
	reply(rw, rep)
}

func (w *Worker) send(rw http.ResponseWriter, r *http.Request, g *Generator, p SendPlan) {
	if !(p.Rate > 0 && p.Rate <= 1e6) || p.Duration <= 0 || p.Duration > time.Hour {
		fail(rw, http.StatusBadRequest, fmt.Errorf("rate %v, duration %v: allowed rate (0, 1e6], duration (0, 1h]", p.Rate, p.Duration))
		return
	}
	ctx, stop := mergeCtx(r.Context(), w.ctx)
	defer stop()
	sent, failed := g.StartSending(ctx, p.Rate, p.Payload, p.Duration)
	reply(rw, SendResult{sent, failed})
}

// mergeCtx ends when either a or b does.
func mergeCtx(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}

// decode reads a request body into v within the control plane's bounds;
// a refused body is answered (413, 408 or 400) and decode is false.
func (w *Worker) decode(rw http.ResponseWriter, r *http.Request, v any) bool {
	err := controlplane.DecodeBody(rw, r, v, controlplane.MaxBody, w.bodyTimeout())
	if be := (*controlplane.BodyError)(nil); errors.As(err, &be) {
		controlplane.Refuse(rw, be.Status, be.Msg)
		return false
	}
	return err == nil
}

func reply(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(v)
}

func fail(rw http.ResponseWriter, code int, err error) {
	http.Error(rw, err.Error(), code)
}
