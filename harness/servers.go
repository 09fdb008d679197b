package harness

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/serve"
)

// servers is the server side of a run, and owns its processes and their
// restarts: one pushbench serve child, several sharing one port through
// SO_REUSEPORT (the kernel spreads connections over them), or servers
// running elsewhere, driven by their control addresses. Every process is
// fed the same open-loop schedule from the same instant with the same
// first seq, so each holds the same log and a client sees the same
// messages whichever process it reached. Safe for concurrent use: restart
// swaps the processes under mu while watchers sample them.
type servers struct {
	mu        sync.RWMutex
	procs     []*serverProc // under mu; read through now()
	base, raw string        // where clients connect
	bin       string
	args      serverArgs
	certPEM   string // the certificate TLS clients trust ("" for plaintext)
	cleanup   func() // removes the run's TLS files
	// target is the server measured when the run has a target: procs
	// then hold its publisher (a serve --relay process), not the server.
	target *targetProc
	// retiredCPU is the CPU time of the processes restart killed, each
	// read just before its kill: sample adds it, so a window's server CPU
	// covers every process that served in it.
	retiredCPU time.Duration
}

// now is the current processes.
func (s *servers) now() []*serverProc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.procs
}

// startServers starts n local server processes on one port.
func startServers(ctx context.Context, bin string, a serverArgs, n int) (*servers, error) {
	s := &servers{bin: bin, args: a}
	a.ReusePort = n > 1
	for i := 0; i < n; i++ {
		p, err := startServer(ctx, bin, a)
		if err != nil {
			s.stop()
			if n > 1 {
				err = fmt.Errorf("server process %d of %d: %w", i+1, n, err)
			}
			return nil, err
		}
		s.procs = append(s.procs, p)
		if i == 0 { // the others join its port
			a.Addr, a.RawAddr = strings.TrimPrefix(p.base, "http://"), p.raw
			s.base, s.raw = p.base, p.raw
			if a.TLS { // clients reach the TLS listener
				if a.Raw {
					a.TLSAddr, s.raw = p.rawTLS, p.rawTLS
				} else {
					a.TLSAddr, s.base = strings.TrimPrefix(p.tlsBase, "https://"), p.tlsBase
				}
			}
		}
	}
	s.args.Addr, s.args.RawAddr, s.args.TLSAddr = a.Addr, a.RawAddr, a.TLSAddr
	return s, nil
}

// remoteServers reaches servers this run did not start: clients connect to
// base and raw (or, when empty, to where the first server says it serves).
func remoteServers(ctx context.Context, controls []string, base, raw string, cc controlplane.Client) (*servers, error) {
	s := &servers{}
	for _, c := range controls {
		s.procs = append(s.procs, remoteServer(c, base, raw, cc))
	}
	if base == "" || raw == "" {
		st, err := s.procs[0].status(ctx, false)
		if err != nil {
			return nil, fmt.Errorf("the server at %s does not answer: %w", controls[0], err)
		}
		if base == "" {
			base = st.Base
		}
		if raw == "" {
			raw = st.Raw
		}
	}
	s.base, s.raw = base, raw
	for _, p := range s.procs {
		p.base, p.raw = base, raw
		st, err := p.status(ctx, false)
		if err != nil {
			return nil, fmt.Errorf("the server at %s does not answer: %w", p.control, err)
		}
		if st.BootID != "" && st.BootID == proc.BootID() {
			p.samePID = st.PID // on this kernel: its /proc is readable here
		}
	}
	return s, nil
}

func (s *servers) local() bool { return s.now()[0].child != nil }

// each runs fn on every process at once and returns the errors joined.
func (s *servers) each(fn func(i int, p *serverProc) error) error {
	procs := s.now()
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// status merges the processes' status: resources and counters summed, the
// head the same everywhere (a process whose log differs is an error: it
// would publish other messages than the rest). perProc keeps each one's.
func (s *servers) status(ctx context.Context, gc bool) (sum serve.Status, perProc []serve.Status, err error) {
	procs := s.now()
	perProc = make([]serve.Status, len(procs))
	err = s.each(func(i int, p *serverProc) error {
		st, err := p.status(ctx, gc)
		perProc[i] = st
		return err
	})
	if err != nil {
		return sum, perProc, err
	}
	sum = perProc[0]
	sum.Transports = map[string]transports.Stats{}
	sum.Goroutines, sum.HeapAlloc, sum.HeapInuse, sum.StackInuse, sum.Sys = 0, 0, 0, 0, 0
	for i, st := range perProc {
		if st.Head != perProc[0].Head {
			return sum, perProc, fmt.Errorf("server processes disagree: %s has head %d, %s %d", procs[0].name(), perProc[0].Head, procs[i].name(), st.Head)
		}
		sum.Goroutines += st.Goroutines
		sum.HeapAlloc += st.HeapAlloc
		sum.HeapInuse += st.HeapInuse
		sum.StackInuse += st.StackInuse
		sum.Sys += st.Sys
		for name, t := range st.Transports {
			a := sum.Transports[name]
			a.Open += t.Open
			a.Accepted += t.Accepted
			a.Rejected += t.Rejected
			a.SlowDisconnects += t.SlowDisconnects
			a.GapsSent += t.GapsSent
			a.MessagesSent += t.MessagesSent
			a.EmptyAnswers += t.EmptyAnswers
			sum.Transports[name] = a
		}
	}
	return sum, perProc, nil
}

// publish runs the schedule on every process from one instant and returns
// the seqs published, which must be the same everywhere.
func (s *servers) publish(ctx context.Context, plan serve.Schedule, limit time.Duration) (first, last int64, err error) {
	procs := s.now()
	if len(procs) > 1 {
		plan.Start = time.Now().Add(50 * time.Millisecond).UnixNano()
	}
	firsts, lasts := make([]int64, len(procs)), make([]int64, len(procs))
	err = s.each(func(i int, p *serverProc) error {
		var err error
		firsts[i], lasts[i], err = p.publish(ctx, plan, limit)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	for i := range procs {
		if firsts[i] != firsts[0] || lasts[i] != lasts[0] {
			return 0, 0, fmt.Errorf("server processes published different seqs: %s %d..%d, %s %d..%d",
				procs[0].name(), firsts[0], lasts[0], procs[i].name(), firsts[i], lasts[i])
		}
	}
	return firsts[0], lasts[0], nil
}

// pids are the processes on this kernel: the local ones, and remote ones
// whose boot id is this kernel's (another host's pids mean nothing here).
// With a target, its main process (none when it runs elsewhere).
func (s *servers) pids() []int {
	if s.target != nil {
		if pid := s.target.pid(); pid > 0 {
			return []int{pid}
		}
		return nil
	}
	var out []int
	for _, p := range s.now() {
		switch {
		case p.child != nil:
			out = append(out, p.child.pid())
		case p.samePID > 0:
			out = append(out, p.samePID)
		}
	}
	return out
}

// readable says whether this process's /proc can be read here: a child,
// or a remote process on this kernel.
func (p *serverProc) readable() bool { return p.child != nil || p.samePID > 0 }

// hookPID is the first process's pid, for tests' hooks.
func (s *servers) hookPID() int {
	if pids := s.pids(); len(pids) > 0 {
		return pids[0]
	}
	return 0
}

// dead says whether a local process has exited.
func (s *servers) dead() error {
	if s.target != nil {
		if err := s.target.dead(); err != nil {
			return err
		}
	}
	for _, p := range s.now() {
		if err := p.dead(); err != nil {
			return err
		}
	}
	return nil
}

// restart kills every process (SIGKILL, as a crash) and starts them again on
// the same addresses, the sequence continuing after firstSeq-1.
func (s *servers) restart(ctx context.Context, firstSeq int64) error {
	if !s.local() || s.target != nil {
		return errors.New("cannot restart servers this run did not start from pushbench serve")
	}
	old := s.now()
	for _, p := range old {
		if ps, err := proc.Read(p.pid()); err == nil {
			s.mu.Lock()
			s.retiredCPU += ps.CPU
			s.mu.Unlock()
		}
		p.kill()
	}
	a := s.args
	a.FirstSeq, a.ReusePort = firstSeq, len(old) > 1
	next := make([]*serverProc, 0, len(old))
	for range old {
		p, err := startServer(ctx, s.bin, a)
		if err != nil {
			for _, q := range next {
				q.stop()
			}
			return err
		}
		next = append(next, p)
	}
	s.mu.Lock()
	s.procs = next
	s.mu.Unlock()
	return nil
}

// stop stops every local process.
func (s *servers) stop() {
	_ = s.each(func(_ int, p *serverProc) error { p.stop(); return nil })
	if s.target != nil {
		s.target.stop()
	}
	if s.cleanup != nil {
		s.cleanup()
	}
}

// sample reads every local process's /proc, summed; a target's whole
// process tree.
func (s *servers) sample() (rss int64, cpu time.Duration, fds int) {
	if s.target != nil {
		ps, _ := s.target.sample()
		return ps.RSS, ps.CPU, ps.FDs
	}
	for _, pid := range s.pids() {
		if ps, err := proc.Read(pid); err == nil {
			rss, cpu, fds = rss+ps.RSS, cpu+ps.CPU, fds+ps.FDs
		}
	}
	s.mu.RLock()
	cpu += s.retiredCPU
	s.mu.RUnlock()
	return rss, cpu, fds
}

// startServers starts (or reaches) the servers for sc: the run's remote
// servers, or as many local processes on one port as the largest step
// needs within the open-file limit (or Config.ServerProcs).
func (r *Runner) startServers(ctx context.Context, sc scenarios.Scenario, tr transports.Transport) (*servers, error) {
	if r.cfg.Target != nil && !r.cfg.Target.Serve {
		return r.startTargetServers(ctx, sc, tr)
	}
	if len(r.cfg.Servers) > 0 {
		if f := sc.Fault; f != nil && f.Type == scenarios.FaultRestart {
			return nil, fmt.Errorf("the %s scenario kills and restarts the server: it needs a server this run starts, not --server", sc.Name)
		}
		srv, err := remoteServers(ctx, r.cfg.Servers, r.cfg.ClientBase, r.cfg.ClientRaw, r.cfg.Control)
		if err == nil && tr.TLS() {
			err = srv.useRemoteTLS(ctx, tr)
		}
		return srv, err
	}
	n := r.cfg.ServerProcs
	if n == 0 {
		n = r.serverProcsFor(sc)
	}
	if n > 1 && sc.Kind == scenarios.Chat {
		return nil, fmt.Errorf("the %s scenario publishes through POST /publish into one shared log, which %d server processes would not share: run it with one server process (--server-procs 1) and fewer clients", sc.Name, n)
	}
	a := serverArgs{Transport: tr.Name, Ring: sc.Ring, RingBytes: sc.RingBytes, GOMAXPROCS: r.srvProcs, CPU: r.srvCPU, Control: r.cfg.Control,
		Heartbeat: sc.Heartbeat.Duration, Hold: sc.HoldTimeout.Duration, Queue: sc.Queue, MaxStreams: sc.MaxStreams}
	return startTLSServers(ctx, r.cfg.Binary, a, n, tr)
}

// serverProcsFor is how many server processes hold sc's largest step, each
// within the open-file limit.
func (r *Runner) serverProcsFor(sc scenarios.Scenario) int {
	if r.fileLimit == 0 {
		return 1
	}
	most := 0
	for _, st := range sc.Steps() {
		most = max(most, st.Clients)
	}
	per := int(r.fileLimit) - 512 // room for the log, listeners and control
	return max(1, (most*perClientFiles(sc)+per-1)/per)
}

// startTargetServers starts the run's target for tr (or reaches it) and
// its publisher: one serve --relay process on the load generator's CPU
// that runs the window's open-loop schedule and publishes each message
// through the target's API. The target's CPU is then the server's alone.
func (r *Runner) startTargetServers(ctx context.Context, sc scenarios.Scenario, tr transports.Transport) (*servers, error) {
	t := *r.cfg.Target
	if _, ok := t.Transports[tr.Name]; !ok {
		return nil, fmt.Errorf("%s is %w %s (it serves %s)", tr.Name, errTargetLacks, t.Name, strings.Join(t.Names(), ", "))
	}
	if why := needsOwnServer(sc); why != "" {
		return nil, fmt.Errorf("the %s scenario %s: target %s cannot run it", sc.Name, why, t.Name)
	}
	r.targetRuns++
	dir := filepath.Join(r.cfg.Out, "targets", fmt.Sprintf("%03d-%s-%s-%s", r.targetRuns, t.Name, sc.Name, tr.Name))
	tp, err := startTarget(ctx, t, dir, r.srvCPU, sc.Heartbeat.Duration, sc.HoldTimeout.Duration)
	if err != nil {
		return nil, err
	}
	relay, err := tp.writeRelaySpec(dir)
	if err != nil {
		tp.stop()
		return nil, err
	}
	cpu := -1
	if r.srvCPU >= 0 {
		cpu = r.srvCPU + 1 // the load generator's
	}
	p, err := startServer(ctx, r.cfg.Binary, serverArgs{Transport: tr.Name, Ring: sc.Ring, RingBytes: sc.RingBytes, Control: r.cfg.Control,
		GOMAXPROCS: r.srvProcs, CPU: cpu, Relay: relay})
	if err != nil {
		tp.stop()
		return nil, fmt.Errorf("the publisher for target %s: %w", t.Name, err)
	}
	return &servers{procs: []*serverProc{p}, base: tp.vars.Base, target: tp}, nil
}
