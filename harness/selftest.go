package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// SelftestLine is one plant of the selftest: the fault, whether the
// instrument caught it, and what caught it with the figures (or what was
// seen instead).
type SelftestLine struct {
	Plant  string
	Caught bool
	By     string
}

// The selftest's window: stN messages at stRate to stClients clients.
const (
	stN       = 450
	stRate    = 1000.0
	stClients = 4
)

// plant is one fault: how the planted server or the clients misbehave, and
// the judgement that must see it (given the clean window's outcome).
type plant struct {
	name    string
	timing  bool // judged on time or CPU: needs the machine to itself
	server  serverPlant
	discard int64 // clients drop every discard-th message after counting it raw
	starve  bool  // busy loops take every core the load generator has
	judge   func(o, clean stOutcome) (bool, string)
}

// Selftest runs the instrument against planted faults on loopback, each in
// its own window, through the real client (sse-lean), the window's counts,
// their reconcile, the ledger comparison and the load generator's own
// usage, and reports what caught each one. The first line is no plant at
// all, which must come out clean. It takes a few seconds. With countsOnly,
// the plants judged on time or CPU are left out (and the clean window's
// saturation is not judged): they need the machine to themselves.
func Selftest(ctx context.Context, countsOnly bool, progress func(SelftestLine)) ([]SelftestLine, error) {
	tr, err := transports.Lookup("sse-lean")
	if err != nil {
		return nil, err
	}
	var clean stOutcome
	var lines []SelftestLine
	for i, p := range plants(!countsOnly) {
		o, err := runPlant(ctx, tr, p)
		if err != nil {
			return lines, fmt.Errorf("%s: %w", p.name, err)
		}
		if i == 0 {
			clean = o
		}
		l := SelftestLine{Plant: p.name}
		l.Caught, l.By = p.judge(o, clean)
		lines = append(lines, l)
		if progress != nil {
			progress(l)
		}
	}
	return lines, nil
}

// plants lists the faults, the clean window first; the timing plants only
// with timing.
func plants(timing bool) []plant {
	var ps []plant
	for _, p := range allPlants(timing) {
		if timing || !p.timing {
			ps = append(ps, p)
		}
	}
	return ps
}

func allPlants(timing bool) []plant {
	lost := func(every int64) int64 { return 2 * (stN / every) } // two subscribers
	return []plant{
		{name: "nothing planted", judge: func(o, _ stOutcome) (bool, string) {
			d := o.d
			ok := d.Mismatch == "" && d.Lost == 0 && d.Duplicates == 0 && d.Reorders == 0 && d.Unexpected == 0 &&
				d.ServerWritten != nil && *d.ServerWritten == d.Raw && d.Raw == d.Expected && (!timing || o.res.Saturated == "")
			return ok, fmt.Sprintf("clean: %d expected, %d delivered, server wrote %s, clients parsed %d, p50 %s, load generator %s",
				d.Expected, d.Delivered, written(d), d.Raw, us(o.p50), orNot(o.res.Saturated, "not saturated"))
		}},
		{name: "the server skips 1% of messages for two subscribers", server: serverPlant{dropEvery: 97}, judge: func(o, _ stOutcome) (bool, string) {
			d := o.d
			ok := d.Lost == lost(97) && d.Mismatch == "" && d.ServerWritten != nil && *d.ServerWritten == d.Raw
			return ok, fmt.Sprintf("both witnesses: lost %d (planted %d); the server wrote %s, clients parsed %d", d.Lost, lost(97), written(d), d.Raw)
		}},
		{name: "the network eats messages the server wrote, connections alive", server: serverPlant{eatEvery: 89}, judge: func(o, _ stOutcome) (bool, string) {
			return strings.Contains(o.d.Mismatch, "went missing"), "the ledger: " + orNone(o.d.Mismatch)
		}},
		{name: "clients drop every 50th message after their parser", discard: 50, judge: func(o, _ stOutcome) (bool, string) {
			return strings.Contains(o.d.Mismatch, "accounted for"), "the reconcile: " + orNone(o.d.Mismatch)
		}},
		{name: "duplicated and reordered messages", server: serverPlant{dupEvery: 50, swapEvery: 50}, judge: func(o, _ stOutcome) (bool, string) {
			d := o.d
			dups, swaps := int64(stN/50), int64(stN/50-1)
			ok := d.Duplicates == dups && d.Reorders == swaps && d.Lost == 0 && d.Mismatch == ""
			return ok, fmt.Sprintf("duplicates %d (planted %d), reorders %d (planted %d)", d.Duplicates, dups, d.Reorders, swaps)
		}},
		{name: "a seq that was never published", server: serverPlant{unexpected: true}, judge: func(o, _ stOutcome) (bool, string) {
			return o.d.Unexpected == 1 && o.d.Mismatch == "", fmt.Sprintf("unexpected %d (planted 1)", o.d.Unexpected)
		}},
		{name: "every message held 50 ms by the server", timing: true, server: serverPlant{delay: 50 * time.Millisecond}, judge: func(o, clean stOutcome) (bool, string) {
			shift := o.p50 - clean.p50
			return shift >= 40_000 && shift <= 90_000, fmt.Sprintf("p50 %s against %s clean: +%s measured", us(o.p50), us(clean.p50), us(shift))
		}},
		{name: "the server's clock 5 s ahead of the client's", server: serverPlant{skew: 5 * time.Second}, judge: func(o, _ stOutcome) (bool, string) {
			d := o.d
			return d.UnderRange == d.Delivered && d.Delivered > 0, fmt.Sprintf("%d of %d latencies negative (under range): clocks apart", d.UnderRange, d.Delivered)
		}},
		{name: "a 300 ms stall in the middle of the window", timing: true, server: serverPlant{pauseAt: stN - 100, pause: 300 * time.Millisecond}, judge: func(o, _ stOutcome) (bool, string) {
			return o.max >= 290_000 && o.p50 < 100_000, fmt.Sprintf("max %s against p50 %s", us(o.max), us(o.p50))
		}},
		{name: "a load generator starved of CPU", timing: true, starve: true, judge: func(o, _ stOutcome) (bool, string) {
			return o.res.Saturated != "", fmt.Sprintf("the saturation verdict (%.0f%% of %g CPU): %s", 100*o.res.CPUUtilization, o.res.Cores, orNone(o.res.Saturated))
		}},
	}
}

func written(d results.Delivery) string {
	if d.ServerWritten == nil {
		return "not measured"
	}
	return fmt.Sprint(*d.ServerWritten)
}

func orNone(s string) string { return orNot(s, "nothing seen") }

func orNot(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// stOutcome is what one planted window measured.
type stOutcome struct {
	d        results.Delivery
	p50, max int64 // µs
	res      results.Resources
}

// runPlant measures one window of stN messages against a planted server.
func runPlant(ctx context.Context, tr transports.Transport, p plant) (stOutcome, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := startPlanted(p.server)
	if err != nil {
		return stOutcome{}, err
	}
	defer srv.close()
	g := loadgen.New(loadgen.Config{Transport: tr, Options: transports.ClientOptions{BaseURL: srv.url}, Since: 0, PlantDiscardEvery: p.discard})
	defer g.Close()
	if err := g.Add(ctx, stClients); err != nil {
		return stOutcome{}, err
	}
	if err := g.WaitConnected(ctx, stClients); err != nil {
		return stOutcome{}, fmt.Errorf("connecting: %w", err)
	}
	if err := srv.waitSubscribers(ctx, stClients); err != nil {
		return stOutcome{}, err
	}
	before := loadgen.SampleSelf()
	stop := func() {}
	if p.starve {
		stop = starve()
	}
	s0 := loadgen.SampleSelf()
	t0 := time.Now()
	g.StartWindow(0, 4*stN)
	srv.publish(ctx, stN, stRate)
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Second) // bounded: a loaded machine takes its time
	caughtUp := g.WaitCursors(dctx, stN) == nil
	dcancel()
	window := time.Since(t0)
	s1 := loadgen.SampleSelf()
	stop()
	w := g.Window(stN)
	o := stOutcome{p50: w.Latency.ValueAtQuantile(50), max: w.Latency.Max()}
	o.d = results.Delivery{Counts: w.Counts, Published: stN}
	if err := w.Counts.Reconcile(); err != nil {
		o.d.Mismatch = err.Error()
	} else if n := w.Latency.TotalCount(); n != w.Delivered {
		o.d.Mismatch = fmt.Sprintf("%d latency samples for %d delivered messages", n, w.Delivered)
	}
	witness(&o.d, samples{ledger: true}, samples{ledger: true, sent: srv.written.Load()}, ledgerState{settled: true, caughtUp: caughtUp})
	o.res = loadgen.Usage(before, s0, s1, window, stClients, w.Delivered)
	loadgen.Alone(&o.res) // the selftest's one process
	return o, nil
}

// starve keeps every core this process may use busy until the returned
// function is called.
func starve() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 0; ; x++ {
				if x%1024 == 0 {
					select {
					case <-done:
						return
					default:
					}
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// serverPlant is how the planted server misbehaves. Subscribers are
// numbered in the order they connected; the per-subscriber plants hit the
// first one or two.
type serverPlant struct {
	dropEvery  int64         // subscribers 0 and 1 skip seqs divisible by it, unwritten and uncounted
	eatEvery   int64         // subscriber 0: seqs divisible by it are counted as written but never sent
	dupEvery   int64         // subscriber 0 writes seqs divisible by it twice
	swapEvery  int64         // subscriber 1 writes seqs divisible by it after the next one
	unexpected bool          // subscriber 0 also gets a seq far beyond the window, after the middle one
	delay      time.Duration // every message is written no earlier than delay after its send time
	skew       time.Duration // send times are stamped this far ahead
	pauseAt    int64         // before writing this seq, every subscriber waits pause
	pause      time.Duration
}

type stEntry struct{ seq, sent int64 }

// plantedServer is an SSE server in pushbench's wire format that follows
// its plant, with a ledger of the messages it wrote.
type plantedServer struct {
	p       serverPlant
	url     string
	hs      *http.Server
	done    chan struct{}
	mu      sync.Mutex
	log     []stEntry
	changed chan struct{} // closed and replaced when the log grows
	subs    atomic.Int64
	written atomic.Int64 // the ledger
	served  chan error
}

func startPlanted(p serverPlant) (*plantedServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &plantedServer{p: p, url: "http://" + ln.Addr().String(), done: make(chan struct{}), changed: make(chan struct{}), served: make(chan error, 1)}
	s.hs = &http.Server{Handler: http.HandlerFunc(s.stream), ReadHeaderTimeout: 5 * time.Second}
	go func() { s.served <- s.hs.Serve(ln) }()
	return s, nil
}

func (s *plantedServer) close() {
	close(s.done)
	_ = s.hs.Close()
	<-s.served
}

func (s *plantedServer) waitSubscribers(ctx context.Context, n int64) error {
	tick := time.NewTicker(time.Millisecond) // polling a counter the handlers raise
	defer tick.Stop()
	for s.subs.Load() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d subscribers reached the planted server", s.subs.Load(), n)
		case <-tick.C:
		}
	}
	return nil
}

// publish appends n messages open-loop at rate, each stamped with its
// intended send time.
func (s *plantedServer) publish(ctx context.Context, n int64, rate float64) {
	start := time.Now()
	for seq := int64(1); seq <= n; seq++ {
		at := start.Add(time.Duration(float64(seq) / rate * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			if sleepCtx(ctx, d) != nil {
				return
			}
		}
		s.mu.Lock()
		s.log = append(s.log, stEntry{seq: seq, sent: at.UnixNano()})
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

// stream serves one subscriber every message of the log, in order, as
// its plant says.
func (s *plantedServer) stream(w http.ResponseWriter, r *http.Request) {
	sub := s.subs.Add(1) - 1
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	fl.Flush()
	var held *stEntry
	var buf []byte
	for next := 0; ; {
		s.mu.Lock()
		batch, changed := s.log[next:], s.changed
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-changed:
				continue
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			}
		}
		next += len(batch)
		for _, e := range batch { // one write per message, so a held one delays only itself
			if !s.before(r.Context(), e) {
				return
			}
			if buf = s.plan(buf[:0], sub, e, &held); len(buf) == 0 {
				continue
			}
			if _, err := w.Write(buf); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// before applies the timing plants ahead of writing e; false when the
// subscriber went away meanwhile.
func (s *plantedServer) before(ctx context.Context, e stEntry) bool {
	if e.seq == s.p.pauseAt && s.p.pause > 0 {
		if sleepCtx(ctx, s.p.pause) != nil {
			return false
		}
	}
	if d := time.Until(time.Unix(0, e.sent).Add(s.p.delay)); s.p.delay > 0 && d > 0 {
		return sleepCtx(ctx, d) == nil
	}
	return true
}

// plan appends what subscriber sub is sent for e and keeps the ledger.
func (s *plantedServer) plan(b []byte, sub int64, e stEntry, held **stEntry) []byte {
	p := s.p
	switch {
	case p.dropEvery > 0 && sub < 2 && e.seq%p.dropEvery == 0:
		return b
	case p.eatEvery > 0 && sub == 0 && e.seq%p.eatEvery == 0:
		s.written.Add(1)
		return b
	case p.swapEvery > 0 && sub == 1 && e.seq%p.swapEvery == 0 && e.seq < stN:
		h := e
		*held = &h
		return b
	}
	b = s.frame(b, e)
	if p.dupEvery > 0 && sub == 0 && e.seq%p.dupEvery == 0 {
		b = s.frame(b, e)
	}
	if *held != nil {
		b = s.frame(b, **held)
		*held = nil
	}
	if p.unexpected && sub == 0 && e.seq == stN/2 {
		b = s.frame(b, stEntry{seq: 10 * stN, sent: e.sent})
	}
	return b
}

// frame appends one SSE event for e and counts it in the ledger.
func (s *plantedServer) frame(b []byte, e stEntry) []byte {
	s.written.Add(1)
	b = append(b, "id: "...)
	b = fmt.Appendf(b, "%d", e.seq)
	b = append(b, "\ndata: "...)
	b = wire.AppendMessageJSON(b, e.seq, e.sent+s.p.skew.Nanoseconds(), "x")
	return append(b, "\n\n"...)
}

// errPlantsUnseen says at least one plant went unseen.
var errPlantsUnseen = errors.New("plants went unseen")

// SelftestErr is nil when every plant was caught, else an error naming
// how many were not.
func SelftestErr(lines []SelftestLine) error {
	var missed []string
	for _, l := range lines {
		if !l.Caught {
			missed = append(missed, l.Plant)
		}
	}
	if len(missed) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d of %d (%s)", errPlantsUnseen, len(missed), len(lines), strings.Join(missed, "; "))
}
