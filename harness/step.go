package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/serve"
)

// stepRun is one step's inputs, the same for every kind of step: the
// scenario and step, the servers, the network in between, the fleet of
// load generators, the samples taken before the first step, and where the
// step's measurements go.
type stepRun struct {
	sc     scenarios.Scenario
	st     scenarios.Step
	srv    *servers
	net    *network
	fl     *fleet
	before samples
	rec    *results.Record
	prog   *progress
}

// runStep connects the step's clients, warms up, measures one window and
// fills s.rec. Every phase has a deadline.
func (r *Runner) runStep(ctx context.Context, s *stepRun) error {
	if err := r.connect(ctx, s); err != nil {
		return err
	}
	if r.cfg.hook != nil {
		r.cfg.hook("connected", s.srv.hookPID())
	}
	// Warm up: traffic that is not measured.
	load := r.workloadFor(s.sc, s.st, s.srv, s.fl)
	s.prog.phase(fmt.Sprintf("step %d: warm-up", s.st.Index))
	if err := load.warmUp(ctx); err != nil {
		return r.phaseErr(s.srv, "warm-up", err)
	}
	return r.measure(ctx, s, load)
}

// connect brings the fleet to the step's clients, within the open-file
// limit and a deadline from the connect rate.
func (r *Runner) connect(ctx context.Context, s *stepRun) error {
	sc, st, fl := s.sc, s.st, s.fl
	if err := r.checkFileBudget(sc, st, s.net, len(fl.members), len(s.srv.pids())); err != nil {
		return err
	}
	add := st.Clients - fl.clients
	if add <= 0 {
		return nil
	}
	s.prog.phase(fmt.Sprintf("step %d: connecting %d clients", st.Index, st.Clients))
	// Twice the paced time plus a minute: at 100,000 clients on two
	// cores the handshakes themselves take their time.
	limit := time.Duration(float64(add)/sc.ConnectRate*float64(time.Second))*2 + time.Minute
	cctx, cancel := context.WithTimeout(ctx, limit)
	t0 := time.Now()
	err := fl.Add(cctx, add)
	if err == nil {
		err = fl.WaitConnected(cctx, int64(st.Clients))
	}
	cancel()
	s.rec.Loadgen.ConnectS = time.Since(t0).Seconds()
	if err == nil {
		return nil
	}
	if top := fl.Errors(ctx); len(top) > 0 {
		err = fmt.Errorf("%w (client errors: %s)", err, strings.Join(top, "; "))
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// The limit, its value and the knobs that move it.
		err = fmt.Errorf("%w: the connect limit of %v (twice %d clients at connect_rate %g/s, plus a minute) passed; "+
			"a lower connect_rate gives more time, fewer clients per worker (--worker-procs) or per server process (--server-procs) more CPU each",
			err, limit.Round(time.Second), add, sc.ConnectRate)
	}
	return r.phaseErr(s.srv, "connect", err)
}

// measure opens the window on every worker, runs the workload's measured
// traffic (with the scenario's faults), drains it and fills s.rec.
func (r *Runner) measure(ctx context.Context, s *stepRun, load workload) error {
	sc, st, srv, rec := s.sc, s.st, s.srv, s.rec
	s.prog.phase(fmt.Sprintf("step %d: measuring", st.Index))
	settled := r.settle(ctx, srv, s.fl, sc)
	s0 := r.sampleAll(ctx, srv, false)
	if err := s.fl.StartWindow(ctx, s0.head, windowLimit(sc, st)); err != nil {
		return fmt.Errorf("window: %w", err)
	}
	if r.cfg.hook != nil {
		r.cfg.hook("window", srv.hookPID())
	}
	t0 := time.Now()
	peak := watchPeak(srv)
	defer peak.stop()
	pxw := s.net.watchProxy()
	var share *cpuShare
	if s.net.inProcess() {
		var err error
		if share, err = startCPUShare(); err != nil {
			rec.Notes = append(rec.Notes, err.Error())
		}
		defer share.stop()
	}
	stopFaults := s.net.inject(ctx, sc.Fault, func(err error) { rec.Notes = append(rec.Notes, "fault injection: "+err.Error()) })
	defer stopFaults()
	published, restarted, err := load.measure(ctx, s0.head, rec)
	if err != nil {
		return r.phaseErr(srv, "measure", err)
	}
	caughtUp := true
	if load.drains() {
		if caughtUp, err = r.drainWindow(ctx, s, t0, s0.head, published, stopFaults); err != nil {
			return err
		}
	}
	window := time.Since(t0)
	s1 := r.sampleAll(ctx, srv, true)
	if err := srv.dead(); err != nil {
		return fmt.Errorf("%w: %v", errServerDown, err)
	}
	fw, err := s.fl.Window(ctx, published, window, r.loadgenCores())
	if err != nil {
		return fmt.Errorf("window: %w", err)
	}
	fill(rec, fw, published, window, s.before, s0, s1)
	witness(&rec.Delivery, s0, s1, ledgerState{settled: settled, caughtUp: caughtUp, restarted: restarted, fault: sc.Fault != nil})
	if share != nil {
		noteProxyShare(rec, share, (s1.selfCPU - s0.selfCPU).Seconds(), window)
	}
	r.logVerdicts(s)
	rec.Server.RSSPeakBytes, rec.Server.FDsPeak = peak.stop()
	if s1.remoteSelf > 0 {
		rec.Server.RSSPeakBytes = max(rec.Server.RSSPeakBytes, rec.Server.RSSBytes) // the peak watcher reads /proc here only
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d server processes run on another host: their CPU, RSS and open files are their own readings through the control API", s1.remoteSelf))
	}
	pxw.fill(rec)
	return nil
}

// drainWindow lets the window last its whole duration, ends its faults and
// waits for the clients to receive up to head+published (late ones are
// marked as such); caughtUp says they all did. t0 is the window's start.
func (r *Runner) drainWindow(ctx context.Context, s *stepRun, t0 time.Time, head, published int64, stopFaults func()) (caughtUp bool, err error) {
	sc := s.sc
	// The window lasts its whole duration even when the last message is
	// due earlier (a low rate publishes its last message 1/rate early).
	if err := sleepCtx(ctx, time.Until(t0.Add(sc.Duration.Duration))); err != nil {
		return false, err
	}
	stopFaults() // the window's faults end with its publishing; the drain shows the recovery
	pubTime := time.Since(t0)
	s.rec.Delivery.OfferedPerS = float64(published*int64(s.st.Clients)) / pubTime.Seconds()
	s.prog.phase(fmt.Sprintf("step %d: draining", s.st.Index))
	drain := max(2*time.Second, 2*sc.SLO.Duration)
	if sc.Fault != nil {
		drain = max(drain, sc.ReadTimeout.Duration+2*time.Second, sc.Fault.Every.Duration+2*time.Second)
	}
	return r.drain(ctx, s.fl, head+published, drain, max(time.Second, sc.SLO.Duration), s.rec)
}

// noteProxyShare adds the in-process proxy's share of this process's CPU
// (selfCPU seconds over the window) to rec, with a note when the share
// rests on few samples or could not be taken.
func noteProxyShare(rec *results.Record, share *cpuShare, selfCPU float64, window time.Duration) {
	p, n, err := share.stop()
	if err != nil {
		rec.Notes = append(rec.Notes, err.Error())
	} else if n < 20 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("the in-process proxy's CPU share (%.0f%%) rests on %d CPU samples: rough", 100*p, n))
	}
	addProxy(&rec.Loadgen, selfCPU*p, window)
}

// logVerdicts tells the terminal what makes the step's figures suspect.
func (r *Runner) logVerdicts(s *stepRun) {
	if s.rec.Loadgen.Saturated != "" {
		s.prog.logf("step %d: load generator saturated (%s): this figure measures pushbench, not the transport; fix: fewer clients per load-generator process, more CPUs, or a leaner client (sse-lean beside sse)", s.st.Index, s.rec.Loadgen.Saturated)
	}
	if s.rec.Delivery.Mismatch != "" {
		s.prog.logf("step %d: counts do not reconcile: %s", s.st.Index, s.rec.Delivery.Mismatch)
	}
}

// peakWatcher samples a process every 200 ms during a window and keeps
// the highest RSS and open-file count, which the window's end may miss
// (a burst, a backlog drained by then).
type peakWatcher struct {
	done    chan struct{}
	stopped chan struct{}
	rss     int64
	fds     int
	once    bool
}

func watchPeak(srv *servers) *peakWatcher {
	p := &peakWatcher{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(p.stopped)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			rss, _, fds := srv.sample()
			p.rss, p.fds = max(p.rss, rss), max(p.fds, fds)
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// stop ends the sampling (idempotent) and returns the peaks.
func (p *peakWatcher) stop() (rss int64, fds int) {
	if !p.once {
		p.once = true
		close(p.done)
		<-p.stopped
	}
	return p.rss, p.fds
}

// publish runs the scenario's schedule for d on the server.
func (r *Runner) publish(ctx context.Context, srv *servers, sc scenarios.Scenario, st scenarios.Step, d time.Duration) (first, last int64, err error) {
	plan := serve.Schedule{Rate: st.Rate, Payload: st.Payload, Count: int64(math.Round(st.Rate * d.Seconds()))}
	if sc.Burst != nil {
		bursts := int64(d / sc.Burst.Every.Duration)
		plan = serve.Schedule{Payload: st.Payload, Burst: sc.Burst.Size, Every: sc.Burst.Every.Duration, Count: max(bursts, 1) * int64(sc.Burst.Size)}
	}
	plan.Binary = sc.Binary
	first, last, err = srv.publish(ctx, plan, d+30*time.Second)
	if err != nil {
		return 0, 0, r.phaseErr(srv, "publish", err)
	}
	return first, last, nil
}

func (r *Runner) phaseErr(srv *servers, phase string, err error) error {
	if derr := srv.dead(); derr != nil {
		return fmt.Errorf("%s: %w: %v", phase, errServerDown, derr)
	}
	return fmt.Errorf("%s: %w", phase, err)
}

// fill writes the window's measurements into rec.
func fill(rec *results.Record, fw fleetWindow, published int64, window time.Duration, before, s0, s1 samples) {
	w := fw.Window
	d := &rec.Delivery
	d.Counts, d.Published = w.Counts, published
	d.SlowDisconnects = s1.slow - s0.slow
	d.FailedClients = fw.FailedClients
	rec.Notes = append(rec.Notes, fw.Failed...)
	if err := w.Counts.Reconcile(); err != nil {
		d.Mismatch = err.Error()
	} else if n := w.Latency.TotalCount(); n != w.Delivered {
		d.Mismatch = fmt.Sprintf("%d latency samples for %d delivered messages", n, w.Delivered)
	}
	d.WindowS = window.Seconds()
	if window > 0 {
		d.DeliveredPerS = float64(w.Delivered) / window.Seconds()
	}
	d.Errors = loadgen.TopErrors(w.Errors, 5)
	rec.Latency = results.Summarize(w.Latency)
	if w.Latency.TotalCount() > 0 {
		rec.LatencyHist = w.Latency.Export()
	}
	rec.Connect = results.Summarize(w.Connect)
	rec.Reconnect = results.Summarize(w.Reconnect)
	clients := float64(w.Clients)
	minutes := window.Minutes()
	wire := &rec.Wire
	wire.BytesIn, wire.BytesOut = w.BytesIn, w.BytesOut
	if w.Delivered > 0 {
		wire.BytesPerMessage = float64(w.BytesIn+w.BytesOut) / float64(w.Delivered)
		if w.Polls > 0 {
			wire.PollsPerMessage = float64(w.Polls) / float64(w.Delivered)
		}
	}
	if clients > 0 && minutes > 0 {
		wire.BytesPerConnMin = float64(w.BytesIn+w.BytesOut) / clients / minutes
	}
	if w.Polls > 0 {
		wire.EmptyPollShare = float64(w.EmptyPolls) / float64(w.Polls)
	}
	cpu := (s1.srvCPU - s0.srvCPU).Seconds()
	rec.Server = results.Resources{
		RSSBytes: s1.srvRSS, HeapBytes: int64(s1.srvHeap), Goroutines: s1.srvGor, FDs: s1.srvFDs, CPUSeconds: cpu,
		Processes: len(s1.balance),
	}
	if len(s1.balance) > 1 {
		rec.ServerConns = s1.balance
	}
	connectS := rec.Loadgen.ConnectS
	rec.Loadgen = fw.Self
	rec.Params.ClientMode, rec.Params.ClientModeWhy = fw.ClientMode, fw.ClientModeWhy
	rec.Loadgen.ConnectS, rec.Loadgen.Processes = connectS, fw.Workers
	if clients > 0 {
		rec.Server.RSSPerConn = float64(s1.srvRSS-before.srvRSS) / clients
		if before.slab > 0 && s1.slab > 0 {
			rec.Server.KernelSlabPerConn = float64(s1.slab-before.slab) / clients
		}
		rec.Server.HeapPerConn = (float64(s1.srvHeap) - float64(before.srvHeap)) / clients
		rec.Server.GoroutinesPerConn = float64(s1.srvGor-before.srvGor) / clients
		if window > 0 {
			rec.Server.CPUPerConnSecUs = cpu * 1e6 / clients / window.Seconds()
		}
	}
	if w.Delivered > 0 {
		rec.Server.CPUPerMessageUs = cpu * 1e6 / float64(w.Delivered)
		rec.Loadgen.CPUPerMessageUs = rec.Loadgen.CPUSeconds * 1e6 / float64(w.Delivered)
	}
	fillTLS(rec, w)
	fillHTTP2(rec, w, window, before, s1)
	fillTarget(rec, window, s0, s1)
}

// windowLimit bounds the seqs a window can publish (with room to spare):
// a seq above it is unexpected the moment it arrives.
func windowLimit(sc scenarios.Scenario, st scenarios.Step) int64 {
	n := st.Rate * sc.Duration.Seconds()
	switch {
	case sc.Burst != nil:
		n = float64(int64(sc.Duration.Duration/sc.Burst.Every.Duration)+1) * float64(sc.Burst.Size)
	case sc.Kind == scenarios.Chat:
		n *= float64(st.Clients)
	}
	return int64(2*n) + 1024
}

// drain waits until every client's cursor reaches last, for at most d. When
// that deadline passes, arrivals over the next grace are counted late (their
// latency still recorded) and the window closes after it. caughtUp says
// every client reached last. An interrupted run is an interruption, never
// a timeout.
func (r *Runner) drain(ctx context.Context, fl *fleet, last int64, d, grace time.Duration, rec *results.Record) (caughtUp bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, d)
	err = fl.WaitCursors(dctx, last)
	cancel()
	if err == nil {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, fmt.Errorf("drain: %w", ctx.Err())
	}
	if err := fl.MarkLate(ctx, time.Now()); err != nil {
		return false, fmt.Errorf("drain: %w", err)
	}
	gctx, cancel := context.WithTimeout(ctx, grace)
	gerr := fl.WaitCursors(gctx, last)
	cancel()
	if ctx.Err() != nil {
		return false, fmt.Errorf("drain: %w", ctx.Err())
	}
	outcome := "then all caught up"
	if gerr != nil {
		outcome = "after it, " + strings.TrimPrefix(gerr.Error(), context.DeadlineExceeded.Error()+": ")
	}
	rec.Notes = append(rec.Notes, fmt.Sprintf("not every client caught up within the %v drain (%v); arrivals in the next %v are counted late, %s", d, err, grace, outcome))
	return gerr == nil, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func us(v int64) string {
	return (time.Duration(v) * time.Microsecond).String()
}

// publishWithRestarts publishes the scenario's schedule for the window in
// segments of every, killing the server (SIGKILL) and starting it again
// between them, its sequence continuing where the dead one stopped. Messages
// the dead server published but had not delivered are gone: resuming clients
// get a gap signal and the loss is counted.
func (r *Runner) publishWithRestarts(ctx context.Context, srv *servers, sc scenarios.Scenario, st scenarios.Step, every time.Duration) (published int64, restarts int, err error) {
	left := sc.Duration.Duration
	for left > 0 {
		seg := min(every, left)
		first, last, err := r.publish(ctx, srv, sc, st, seg)
		if err != nil {
			return published, restarts, err
		}
		if first > 0 {
			published += last - first + 1
		}
		left -= seg
		if left <= 0 {
			break
		}
		head, _, err := srv.status(ctx, false)
		if err != nil {
			return published, restarts, r.phaseErr(srv, "status before restart", err)
		}
		if err := srv.restart(ctx, head.Head+1); err != nil {
			return published, restarts, fmt.Errorf("restart: %w: %v", errServerDown, err)
		}
		restarts++
	}
	return published, restarts, nil
}

// checkFileBudget refuses a step whose sockets cannot fit in the open-file
// limit of a process (the workers', the in-process proxy's, the server's),
// naming the limit, the need and the knob, instead of failing half-way with
// "too many open files".
//
// srvProcs is the number of local server processes (0 for servers
// elsewhere, whose limits are theirs).
func (r *Runner) checkFileBudget(sc scenarios.Scenario, st scenarios.Step, net *network, workers, srvProcs int) error {
	if r.fileLimit == 0 {
		return nil
	}
	per := perClientFiles(sc)
	perWorker := (st.Clients + workers - 1) / max(workers, 1)
	if need := uint64(perWorker*per + 256); need > r.fileLimit {
		return fmt.Errorf("connect: %d clients over %d load-generator workers need about %d open files each (%d per client) but RLIMIT_NOFILE is %d: use more workers (--worker-procs N) or fewer clients",
			st.Clients, workers, need, per, r.fileLimit)
	}
	if net.inProcess() {
		if need := uint64(2*st.Clients*per + 256); need > r.fileLimit {
			return fmt.Errorf("connect: the in-process proxy of --network %s holds 2 sockets per connection in one process: %d clients need about %d open files but RLIMIT_NOFILE is %d: use fewer clients with a network profile, or --network loopback",
				net.name, st.Clients, need, r.fileLimit)
		}
	}
	if srvProcs > 0 {
		if need := uint64((st.Clients*per+srvProcs-1)/srvProcs + 512); need > r.fileLimit {
			return fmt.Errorf("connect: %d clients over %d server processes need about %d open files each but RLIMIT_NOFILE is %d: use more server processes (--server-procs N) or fewer clients",
				st.Clients, srvProcs, need, r.fileLimit)
		}
	}
	return nil
}
