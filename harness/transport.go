package harness

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/serve"
	"github.com/pushbench/pushbench/transports/wire"
)

// runTransport measures every step of sc on one transport with a fresh
// server, recording each step as it ends.
func (r *Runner) runTransport(ctx context.Context, sc scenarios.Scenario, tr transports.Transport, rep int) {
	prog := newProgress(r.cfg.Log, r.cfg.Terminal, fmt.Sprintf("%s/%s rep %d", sc.Name, tr.Name, rep))
	defer prog.stop()
	tx := &transportRun{r: r, sc: sc, tr: tr, rep: rep, prog: prog, steps: sc.Steps()}
	srv, err := r.startServers(ctx, sc, tr)
	if err != nil {
		tx.fail(0, err)
		return
	}
	tx.srv = srv
	defer srv.stop()
	st, _, err := srv.status(ctx, false)
	if err != nil {
		tx.fail(0, err)
		return
	}
	var net *network
	labelProxy(func() { net, err = r.startNetwork(sc, srv) })
	if err != nil {
		tx.fail(0, err)
		return
	}
	defer net.close()
	spec, err := clientSpec(sc, tr, srv, net, st.Head)
	if err != nil {
		tx.fail(0, err)
		return
	}
	fl, err := startFleet(ctx, r.fleetPlan(sc), spec)
	if err != nil {
		tx.fail(0, err)
		return
	}
	closeFleet := sync.OnceFunc(fl.close)
	defer closeFleet()
	prog.live = fl
	tx.runSteps(ctx, srv, net, fl, closeFleet)
}

// transportRun is one (scenario, repetition, transport): what every step's
// record is made from.
type transportRun struct {
	r     *Runner
	sc    scenarios.Scenario
	tr    transports.Transport
	rep   int
	prog  *progress
	steps []scenarios.Step
	srv   *servers // once started
}

// fail records the steps from index from on as failed with err, each
// naming the server as a measured step does.
func (tx *transportRun) fail(from int, err error) {
	for _, st := range tx.steps[from:] {
		rec := tx.r.baseRecord(tx.sc, st, tx.tr, tx.rep)
		switch t := tx.r.cfg.Target; {
		case tx.srv != nil:
			tx.srv.describe(&rec)
		case t != nil && !t.Serve: // a target that did not start: named, its version not known
			rec.Implementation = &results.Implementation{Name: t.Name, Model: t.Model, Runtime: t.Runtime, Local: t.Start != nil}
		}
		rec.Error = err.Error()
		tx.r.add(rec)
	}
	tx.prog.logf("error: %v", err)
}

// clientMode is the scenario's client mode: the reactor unless it asks
// for goroutines. The load generator falls back to goroutines where the
// reactor cannot read a transport or a scenario (and the record says why).
func clientMode(sc scenarios.Scenario) string {
	if sc.ClientMode == loadgen.ModeGoroutine {
		return loadgen.ModeGoroutine
	}
	return loadgen.ModeReactor
}

// clientSpec is what every load-generator worker of the run is given: the
// transport, where to reach it (after the network), the scenario's client
// settings, and the cursor head to resume after.
func clientSpec(sc scenarios.Scenario, tr transports.Transport, srv *servers, net *network, head int64) (loadgen.Spec, error) {
	readTimeout := 45 * time.Second
	if sc.ReadTimeout.Duration > 0 {
		readTimeout = sc.ReadTimeout.Duration
	}
	spec := loadgen.Spec{Transport: tr.Name, BaseURL: net.base, RawAddr: net.raw, PollInterval: sc.PollInterval.Duration,
		Timeout: min(10*time.Second, readTimeout), ReadTimeout: readTimeout, Since: head, ConnectRate: sc.ConnectRate,
		Lifetime: sc.Lifetime.Duration, Upstream: sc.Kind == scenarios.Chat, ClientMode: clientMode(sc)}
	if rc := sc.Reconnect; rc != nil {
		spec.Reconnect, spec.Backoff, spec.MaxReconnect, spec.SSEDefault = rc.Delay.Duration, rc.Backoff, rc.Max.Duration, rc.SSEDefault.Duration
	}
	if f := sc.Fault; f != nil && f.Type == scenarios.FaultSlowReader {
		spec.SlowFraction, spec.SlowDelay = f.Fraction, f.Delay.Duration
	}
	spec.TLSCert, spec.NoResumption = srv.certPEM, !resumes(sc)
	spec.HTTP2, spec.StreamsPerConn = tr.HTTP2(), sc.StreamsPerConn
	if srv.target != nil {
		var err error
		if spec.Target, err = srv.target.clientSpec(tr.Name, net.base); err != nil {
			return loadgen.Spec{}, err
		}
	}
	return spec, nil
}

// runSteps runs and records the steps in order: an interrupted one ends
// the run's steps, a failed one records the rest as not run, and with
// StopAtSLO a step past the SLO is the last.
func (tx *transportRun) runSteps(ctx context.Context, srv *servers, net *network, fl *fleet, closeFleet func()) {
	r, sc := tx.r, tx.sc
	before := r.sampleAll(ctx, srv, true)
	for i, step := range tx.steps {
		rec := r.baseRecord(sc, step, tx.tr, tx.rep)
		rec.Params.Network, rec.Params.Fault = net.name, net.fault
		srv.describe(&rec)
		err := r.runStep(ctx, &stepRun{sc: sc, st: step, srv: srv, net: net, fl: fl, before: before, rec: &rec, prog: tx.prog})
		if err != nil && ctx.Err() != nil {
			// Interrupted (Ctrl-C, the run's deadline): not a failure of
			// the transport and not loss. Saved as such, left out of
			// comparisons and claims; the remaining steps are not run.
			rec.Interrupted = true
			rec.Notes = append(rec.Notes, fmt.Sprintf("interrupted (%v): this step's numbers are incomplete", err))
			r.add(rec)
			tx.prog.logf("step %d: interrupted", step.Index)
			return
		}
		if err != nil {
			// Free the clients' sockets (and the proxy's) before writing:
			// a step that ran out of file descriptors must still be saved.
			closeFleet()
			net.close()
			rec.Error = err.Error()
			r.add(rec)
			tx.prog.logf("step %d: error: %v", step.Index, err)
			if i+1 < len(tx.steps) {
				tx.fail(i+1, fmt.Errorf("not run: an earlier step failed: %w", err))
			}
			return
		}
		r.add(rec)
		if sc.StopAtSLO && i+1 < len(tx.steps) && (rec.Error != "" || rec.Latency.P99 > sc.SLO.Microseconds() || rec.Delivery.Lost > 0) {
			tx.prog.logf("stopping after step %d: p99 %s, lost %d (SLO p99 %v)", step.Index, us(rec.Latency.P99), rec.Delivery.Lost, sc.SLO.Duration)
			return
		}
	}
}

func (r *Runner) add(rec results.Record) {
	if err := r.store.Add(rec); err != nil {
		fmt.Fprintf(r.cfg.Log, "error: failed to save a result: %v\n", err)
	}
	if r.cfg.hook != nil {
		r.cfg.hook("recorded", 0)
	}
}

func (r *Runner) baseRecord(sc scenarios.Scenario, st scenarios.Step, tr transports.Transport, rep int) results.Record {
	rec := results.Record{
		RunID: r.runID, Scenario: sc.Name, Kind: sc.Kind, Step: st.Index, StepParam: st.Param, StepValue: st.Value(),
		Transport: tr.Name, Library: tr.Library, Repetition: rep, Started: time.Now().UTC(),
		Machine: r.machine, Pinning: r.pinning,
		Params: results.Params{
			Clients: st.Clients, Rate: st.Rate, Payload: st.Payload,
			MessageBytes: len(wire.AppendMessageJSON(nil, 1, time.Now().UnixNano(), serve.Payload(st.Payload))),
			DurationS:    sc.Duration.Seconds(), WarmupS: sc.Warmup.Seconds(),
			Network: r.cfg.Network.Name, SLOP99Us: sc.SLO.Microseconds(), Ring: sc.Ring,
		},
	}
	if sc.Burst != nil {
		rec.Params.BurstSize, rec.Params.BurstEvery = sc.Burst.Size, sc.Burst.Every.String()
	}
	if sc.Binary { // MessageBytes: the JSON form, base64 (WebSocket and raw TCP send the raw form instead)
		rec.Params.Binary = true
		rec.Params.MessageBytes = wire.BinaryJSONLen(1, time.Now().UnixNano(), st.Payload)
	}
	// The transport's facts travel with the record, so its report needs no
	// registry.
	rec.Facts = tr.Facts(results.SizeOf(rec.Params), rec.Params.Binary)
	if tr.PollInterval {
		rec.Params.PollInterval = sc.PollInterval.String()
	}
	def := transports.ServerOptions{}.WithDefaults()
	rec.Params.Heartbeat = orDefault(sc.Heartbeat.Duration, def.Heartbeat)
	rec.Params.HoldTimeout = orDefault(sc.HoldTimeout.Duration, def.HoldTimeout)
	rec.Params.ReadTimeout = orDefault(sc.ReadTimeout.Duration, transports.ClientOptions{}.WithDefaults().ReadTimeout)
	pol := results.ReconnectPolicy{Delay: loadgen.DefaultReconnect.String(), HonoursRetry: tr.HonoursRetry}
	if tr.HonoursRetry {
		pol.ServerRetry = def.Retry.String() // the run starts serve with its default --retry
	}
	if rc := sc.Reconnect; rc != nil {
		if rc.Delay.Duration > 0 {
			pol.Delay = rc.Delay.String()
		}
		if rc.Backoff {
			pol.Backoff, pol.Max = true, orDefault(rc.Max.Duration, loadgen.DefaultMaxReconnect)
		}
		if rc.SSEDefault.Duration > 0 && tr.EventSource {
			pol.SSEDefault = rc.SSEDefault.String()
		}
	}
	rec.Params.Reconnect = &pol
	rec.Params.TLS = tlsParams(sc, tr)
	if tr.HTTP2() {
		rec.Params.HTTP2 = &results.HTTP2Params{Cleartext: tr.Variant == transports.VariantH2C,
			StreamsPerConn: cmp.Or(sc.StreamsPerConn, transports.DefaultStreamsPerConn), MaxStreams: cmp.Or(sc.MaxStreams, defaultMaxStreams)}
	}
	if sc.Kind == scenarios.Churn {
		rec.Params.Lifetime = sc.Lifetime.String()
	}
	if sc.Kind == scenarios.Chat {
		rec.Notes = append(rec.Notes, "chat: rate is each client's upstream rate; the room receives clients x rate messages per second")
	}
	return rec
}

// samples is the state of the server, and of this coordinator, at one
// moment (the workers sample themselves).
type samples struct {
	at         time.Time
	srvRSS     int64
	srvCPU     time.Duration
	srvFDs     int
	srvHeap    uint64 // heap + stacks in use
	srvGor     int
	head       int64
	slow       int64
	slab       int64         // the machine's Slab (/proc/meminfo), bytes; 0 when not read
	remoteSelf int           // server processes on another host: their CPU and RSS are their own readings
	sent       int64         // the server's ledger: messages written to subscribers
	ledger     bool          // sent was read from pushbench's own server
	selfCPU    time.Duration // this coordinator (it hosts any in-process proxy)
	balance    []int64       // connections open on each server process
	// A target's publisher (serve --relay): its CPU and account.
	pubCPU  time.Duration
	relay   *serve.RelayStats
	procs   int  // a target's processes
	threads int  // and their threads
	target  bool // the server is a target's
}

// sampleAll samples the server and this process; gc asks the server to
// collect garbage first, so its heap is live memory (not at a window's
// start, where the collection would fall into the window).
func (r *Runner) sampleAll(ctx context.Context, srv *servers, gc bool) samples {
	s := samples{at: time.Now()}
	s.srvRSS, s.srvCPU, s.srvFDs = srv.sample()
	if srv.target != nil {
		s.target = true
		var ps proc.Sample
		ps, s.procs = srv.target.sample()
		s.threads = ps.Threads
		if ps, err := proc.Read(srv.now()[0].pid()); err == nil {
			s.pubCPU = ps.CPU
		}
	}
	if st, per, err := srv.status(ctx, gc); err == nil {
		s.srvHeap, s.srvGor, s.head = st.HeapInuse+st.StackInuse, st.Goroutines, st.Head
		s.relay = st.Relay
		for _, t := range st.Transports {
			s.slow += t.SlowDisconnects
			s.sent += t.MessagesSent
		}
		s.ledger = !s.target
		procs := srv.now()
		for i, p := range per {
			var open int64
			for _, t := range p.Transports {
				open += t.Open
			}
			s.balance = append(s.balance, open)
			if i < len(procs) && !procs[i].readable() && p.SelfErr == "" {
				// Another host's process: its own reading, through the control API.
				s.srvRSS, s.srvCPU, s.srvFDs = s.srvRSS+p.RSS, s.srvCPU+time.Duration(p.CPUNs), s.srvFDs+p.FDs
				s.remoteSelf++
			}
		}
	}
	if ps, err := proc.Read(os.Getpid()); err == nil {
		s.selfCPU = ps.CPU
	}
	s.slab, _ = proc.Slab()
	return s
}

func orDefault(d, def time.Duration) string {
	if d <= 0 {
		d = def
	}
	return d.String()
}

// resumes says whether sc's TLS clients resume sessions (default yes).
func resumes(sc scenarios.Scenario) bool { return sc.TLSResumption == nil || *sc.TLSResumption }

// tlsParams are the TLS settings of tr's records (nil for plaintext).
func tlsParams(sc scenarios.Scenario, tr transports.Transport) *results.TLSParams {
	if !tr.TLS() {
		return nil
	}
	p := &results.TLSParams{Version: "1.3", Resumption: resumes(sc), Cert: "ECDSA P-256", ALPN: "http/1.1"}
	switch {
	case tr.Path == "":
		p.ALPN = ""
	case tr.Variant == transports.VariantH2:
		p.ALPN = "h2"
	}
	return p
}

// fillTLS adds the window's TLS handshakes to a TLS variant's record.
func fillTLS(rec *results.Record, w loadgen.Window) {
	if rec.Params.TLS == nil || w.TLSFull == nil {
		return
	}
	h := &results.TLSHandshakes{Full: w.TLSFull.TotalCount(), Resumed: w.TLSResumed.TotalCount(),
		FullTime: results.Summarize(w.TLSFull), ResumedTime: results.Summarize(w.TLSResumed)}
	if n := float64(h.Full + h.Resumed); n > 0 {
		h.ServerCPUPerUs = rec.Server.CPUSeconds * 1e6 / n
		h.LoadgenCPUPerUs = rec.Loadgen.CPUSeconds * 1e6 / n
	}
	rec.TLS = h
}

// defaultMaxStreams is serve's --max-streams default (Go's own).
const defaultMaxStreams = 250

// fillHTTP2 splits an HTTP/2 record's server costs between its
// connections and its streams.
func fillHTTP2(rec *results.Record, w loadgen.Window, window time.Duration, before, s1 samples) {
	if rec.Params.HTTP2 == nil || w.Conns == 0 {
		return
	}
	conns := float64(w.Conns)
	u := &results.HTTP2Usage{Conns: w.Conns, StreamsPerConn: float64(w.Clients) / conns, HeapPerStream: rec.Server.HeapPerConn,
		HeapPerConn: (float64(s1.srvHeap) - float64(before.srvHeap)) / conns, RSSPerConn: float64(s1.srvRSS-before.srvRSS) / conns}
	if m := window.Minutes(); m > 0 {
		u.BytesPerConnMin = float64(w.BytesIn+w.BytesOut) / conns / m
	}
	rec.HTTP2 = u
}
