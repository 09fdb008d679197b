package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// fleet is the load generator of a run: one or many worker processes
// (pushbench worker), local children or remote, each holding a share of the
// clients. The coordinator drives them all alike and merges their windows
// exactly. A worker that dies or hangs is reported by name; its clients are
// counted as failed and the others' numbers kept. Safe for concurrent use.
type fleet struct {
	spec    loadgen.Spec // ConnectRate is the fleet's; each worker gets its share
	members []*member
	mu      sync.Mutex
	clients int // clients asked for so far
}

type member struct {
	remote  *loadgen.Remote
	proc    *child // nil for a remote worker
	clients int
	mu      sync.Mutex
	failed  error // set once the worker stopped answering
}

// exited says whether the member is a local worker that has exited.
func (m *member) exited() bool { return m.proc != nil && m.proc.dead() != nil }

func (m *member) err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

func (m *member) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed == nil {
		if m.proc != nil {
			if d := m.proc.dead(); d != nil {
				err = fmt.Errorf("%s %v", m.remote.Name, d)
			}
		}
		m.failed = err
	}
}

// fleetPlan says where a fleet's workers come from.
type fleetPlan struct {
	bin     string
	local   int      // local workers to start
	remote  []string // addresses of running workers (http://host:port)
	cpu     int      // CPU to pin local workers to; -1 for none
	procs   int      // GOMAXPROCS of local workers; 0 for the default
	perHost int      // clients one worker may hold (source-address spread)
	// control reaches the workers: its token goes to local ones
	// (PUSHBENCH_TOKEN) and with every call.
	control controlplane.Client
}

// startFleet starts (or reaches) the plan's workers and gives each a
// generator for spec.
func startFleet(ctx context.Context, p fleetPlan, spec loadgen.Spec) (*fleet, error) {
	f := &fleet{spec: spec}
	for i := 0; i < p.local; i++ {
		env := p.control.Env()
		if p.procs > 0 {
			env = append(env, fmt.Sprintf("GOMAXPROCS=%d", p.procs))
		}
		c, err := startChild(ctx, p.bin, []string{"worker", "--listen", "127.0.0.1:0"}, env, 15*time.Second)
		if err != nil {
			f.close()
			return nil, fmt.Errorf("failed to start load-generator worker %d: %w", i+1, err)
		}
		var ready struct{ Addr string }
		if err := json.Unmarshal([]byte(c.ready), &ready); err != nil {
			c.stop()
			f.close()
			return nil, fmt.Errorf("worker %d: bad READY line %q: %w", i+1, c.ready, err)
		}
		if p.cpu >= 0 {
			if err := proc.Pin(c.pid(), p.cpu); err != nil {
				c.stop()
				f.close()
				return nil, err
			}
		}
		f.members = append(f.members, &member{remote: loadgen.NewRemote(fmt.Sprintf("worker %d (pid %d)", i+1, c.pid()), ready.Addr, p.control), proc: c})
	}
	for _, addr := range p.remote {
		f.members = append(f.members, &member{remote: loadgen.NewRemote("worker "+addr, addr, p.control)})
	}
	if len(f.members) == 0 {
		return nil, fmt.Errorf("no load-generator workers: start local ones or name remote ones")
	}
	n := float64(len(f.members))
	err := f.each(func(i int, m *member) error {
		s := spec
		s.ConnectRate = spec.ConnectRate / n
		s.FirstClient = i * p.perHost
		return m.remote.Start(ctx, s)
	})
	if err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// each runs fn on every live worker at once and returns the first error;
// a worker whose call fails is marked failed.
func (f *fleet) each(fn func(i int, m *member) error) error { return f.run(fn, true) }

// eachQuiet is each without marking failures.
func (f *fleet) eachQuiet(fn func(i int, m *member) error) error { return f.run(fn, false) }

func (f *fleet) run(fn func(i int, m *member) error, mark bool) error {
	var wg sync.WaitGroup
	errs := make([]error, len(f.members))
	for i, m := range f.members {
		if m.err() != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i, m); err != nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		// Every member that failed is marked, not only the first.
		if mark && (errors.Is(err, loadgen.ErrUnreachable) || f.members[i].exited()) {
			f.members[i].fail(err)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// live is the number of workers still answering.
func (f *fleet) live() int {
	n := 0
	for _, m := range f.members {
		if m.err() == nil {
			n++
		}
	}
	return n
}

// Add opens n more clients, spread evenly over the workers.
func (f *fleet) Add(ctx context.Context, n int) error {
	f.mu.Lock()
	f.clients += n
	total := f.clients
	f.mu.Unlock()
	k := len(f.members)
	limit := 30 * time.Second
	if f.spec.ConnectRate > 0 {
		limit += time.Duration(float64(n) / f.spec.ConnectRate * 2 * float64(time.Second))
	}
	if d, ok := ctx.Deadline(); ok {
		limit = time.Until(d)
	}
	return f.each(func(i int, m *member) error {
		want := total / k
		if i < total%k {
			want++
		}
		add := want - m.clients
		if add <= 0 {
			return nil
		}
		if err := m.remote.Add(ctx, add, limit); err != nil {
			return err
		}
		m.clients = want
		return nil
	})
}

// status sums the workers' status; cursor >= 0 also counts clients behind
// it. A worker that does not answer is marked failed.
func (f *fleet) status(ctx context.Context, cursor int64) (loadgen.Status, error) {
	return f.sumStatus(ctx, cursor, f.each)
}

// peek is status for progress displays: a slow answer marks no worker failed.
func (f *fleet) peek(ctx context.Context) (loadgen.Status, error) {
	return f.sumStatus(ctx, -1, f.eachQuiet)
}

func (f *fleet) sumStatus(ctx context.Context, cursor int64, each func(func(int, *member) error) error) (loadgen.Status, error) {
	var mu sync.Mutex
	var sum loadgen.Status
	err := each(func(_ int, m *member) error {
		st, err := m.remote.Status(ctx, cursor)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		sum.Clients += st.Clients
		sum.Connected += st.Connected
		sum.Delivered += st.Delivered
		sum.Behind += st.Behind
		sum.P99Us = max(sum.P99Us, st.P99Us)
		if len(sum.Errors) < 2 {
			sum.Errors = append(sum.Errors, st.Errors...)
		}
		return nil
	})
	return sum, err
}

// waitFor polls the workers every 20 ms until done(status) or ctx ends.
func (f *fleet) waitFor(ctx context.Context, cursor int64, done func(loadgen.Status) bool, describe func(loadgen.Status) string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last loadgen.Status
	for {
		st, err := f.status(ctx, cursor)
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s", ctx.Err(), describe(last))
		}
		if err != nil && (!errors.Is(err, loadgen.ErrUnreachable) || f.live() == 0) {
			return err
		}
		if err != nil {
			continue // that worker is marked failed; wait on the others
		}
		last = st
		if done(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s", ctx.Err(), describe(st))
		case <-tick.C:
		}
	}
}

// connectStall is how long a connect may go without one more client
// connected while clients fail before the step gives up: a server that
// refuses every client past its capacity (a pool of five workers) is
// answered in seconds, not at the connect limit.
var connectStall = 30 * time.Second

// WaitConnected waits until at least n clients are connected, or fails
// when none more connected for connectStall while clients failed.
func (f *fleet) WaitConnected(ctx context.Context, n int64) error {
	best, since, stalled := int64(-1), time.Now(), false
	err := f.waitFor(ctx, -1, func(st loadgen.Status) bool {
		if st.Connected > best {
			best, since = st.Connected, time.Now()
		}
		stalled = len(st.Errors) > 0 && time.Since(since) > connectStall
		return st.Connected >= n || stalled
	}, func(st loadgen.Status) string { return fmt.Sprintf("%d of %d clients connected", st.Connected, n) })
	if err == nil && stalled {
		return fmt.Errorf("connect stalled: %d of %d clients connected and none more in %v while clients failed", best, n, connectStall)
	}
	return err
}

// WaitCursors waits until every client's cursor has reached seq.
func (f *fleet) WaitCursors(ctx context.Context, seq int64) error {
	return f.waitFor(ctx, seq, func(st loadgen.Status) bool { return st.Behind == 0 },
		func(st loadgen.Status) string {
			return fmt.Sprintf("%d clients had not reached seq %d", st.Behind, seq)
		})
}

// Errors are the workers' most frequent connection errors.
func (f *fleet) Errors(ctx context.Context) []string {
	st, err := f.status(ctx, -1)
	if err != nil {
		return []string{err.Error()}
	}
	return st.Errors
}

// StartWindow opens every worker's window at one instant, far enough ahead
// for the calls to arrive.
func (f *fleet) StartWindow(ctx context.Context, base, limit int64) error {
	at := time.Now().Add(20 * time.Millisecond * time.Duration(1+len(f.members)/4))
	return f.each(func(_ int, m *member) error { return m.remote.StartWindow(ctx, base, limit, at) })
}

// MarkLate tells every worker the drain deadline passed.
func (f *fleet) MarkLate(ctx context.Context, at time.Time) error {
	return f.each(func(_ int, m *member) error { return m.remote.MarkLate(ctx, at) })
}

// StartSending makes every client send upstream (chat) for d.
func (f *fleet) StartSending(ctx context.Context, rate float64, payload string, d time.Duration) (sent, failed int64, err error) {
	var mu sync.Mutex
	err = f.each(func(_ int, m *member) error {
		res, err := m.remote.Send(ctx, loadgen.SendPlan{Rate: rate, Payload: payload, Duration: d})
		mu.Lock()
		sent, failed = sent+res.Sent, failed+res.Failed
		mu.Unlock()
		return err
	})
	return sent, failed, err
}

// fleetWindow is the merged window of every worker that answered.
type fleetWindow struct {
	loadgen.Window
	Self          results.Resources // the workers together
	FailedClients int64             // clients of workers that died or hung
	Failed        []string          // those workers, by name, with the cause
	Workers       int
}

// Window reads and merges every worker's window. The workers' own costs are
// summed; utilisation is taken of the cores they share (cores, or each its
// own when cores is 0), and the fleet is saturated when any worker or the
// shared cores are.
func (f *fleet) Window(ctx context.Context, published int64, window time.Duration, cores float64) (fleetWindow, error) {
	reports := make([]*loadgen.Report, len(f.members))
	errs := make([]error, len(f.members))
	_ = f.each(func(i int, m *member) error {
		r, err := m.remote.Report(ctx, published)
		if err != nil {
			errs[i] = err
			return err
		}
		reports[i] = &r
		return nil
	})
	var fw fleetWindow
	var ok []loadgen.Report
	var remote []bool
	for i, m := range f.members {
		if reports[i] == nil {
			fw.FailedClients += int64(m.clients)
			cause := m.err() // dead or hung before, or now
			if cause == nil {
				cause = errs[i] // answered, but not with its report
			}
			fw.Failed = append(fw.Failed, fmt.Sprintf("%v (its %d clients are counted as failed)", cause, m.clients))
			continue
		}
		ok = append(ok, *reports[i])
		remote = append(remote, m.proc == nil)
	}
	if len(ok) == 0 {
		// Nothing was measured: an error, not a record of zero deliveries.
		return fw, fmt.Errorf("no load-generator worker gave its window: %s; if they were busy (see the load generator's CPU in earlier steps), give each fewer clients (--worker-procs) or more CPU", strings.Join(fw.Failed, "; "))
	}
	w, err := loadgen.Merge(ok)
	if err != nil {
		return fw, err
	}
	fw.Window, fw.Workers = w, len(ok)
	fw.Self = sumResources(ok, remote, window, cores)
	return fw, nil
}

// sumResources adds the workers' own costs. Local workers share cores (this
// host's load-generator cores); a remote worker brings its own (what it
// reported), and is judged against them.
func sumResources(reps []loadgen.Report, remote []bool, window time.Duration, cores float64) results.Resources {
	var s results.Resources
	var clients, perConnRSS, perConnHeap, perConnGor float64
	var saturated []string
	var localCPU, localCores, remoteCores float64
	for i, r := range reps {
		x := r.Self
		if remote[i] {
			remoteCores += x.Cores
		} else {
			localCPU += x.CPUSeconds
			localCores += x.Cores
		}
		s.CPUSeconds += x.CPUSeconds
		s.RSSBytes += x.RSSBytes
		s.HeapBytes += x.HeapBytes
		s.Goroutines += x.Goroutines
		s.GCPauses += x.GCPauses
		s.GCPauseTotalUs += x.GCPauseTotalUs
		s.GCPauseMaxUs = max(s.GCPauseMaxUs, x.GCPauseMaxUs)
		s.LoopLagMaxUs = max(s.LoopLagMaxUs, x.LoopLagMaxUs)
		s.ClientLagMeanUs = max(s.ClientLagMeanUs, x.ClientLagMeanUs) // the worst worker's
		s.ClientLagMaxUs = max(s.ClientLagMaxUs, x.ClientLagMaxUs)
		s.Reads += x.Reads
		s.StampedReads += x.StampedReads
		s.CPUPeak = max(s.CPUPeak, x.CPUPeak)      // of each worker's own cores
		s.RunWaitShare += x.RunWaitShare * x.Cores // weighted; divided by the cores below
		c := float64(r.Clients)
		clients += c
		perConnRSS += x.RSSPerConn * c
		perConnHeap += x.HeapPerConn * c
		perConnGor += x.GoroutinesPerConn * c
		if x.Saturated != "" {
			saturated = append(saturated, fmt.Sprintf("pid %d: %s", r.PID, x.Saturated))
		}
	}
	if cores > 0 && localCores > 0 {
		localCores = cores
	}
	s.Cores = localCores + remoteCores
	if s.Cores > 0 {
		s.RunWaitShare /= s.Cores
	}
	if window > 0 && s.Cores > 0 {
		s.CPUUtilization = s.CPUSeconds / window.Seconds() / s.Cores
	}
	localUse := 0.0
	if window > 0 && localCores > 0 {
		localUse = localCPU / window.Seconds() / localCores
	}
	if clients > 0 {
		s.RSSPerConn, s.HeapPerConn, s.GoroutinesPerConn = perConnRSS/clients, perConnHeap/clients, perConnGor/clients
		if window > 0 {
			s.CPUPerConnSecUs = s.CPUSeconds * 1e6 / clients / window.Seconds()
		}
	}
	if len(reps) == 1 && len(saturated) == 0 {
		loadgen.Alone(&s) // one worker: its cores are its own
		if s.Saturated != "" {
			saturated = append(saturated, s.Saturated)
		}
	}
	switch {
	case len(saturated) > 0 && len(reps) == 1:
		s.Saturated = saturated[0]
	case len(saturated) > 0:
		sort.Strings(saturated)
		s.Saturated = fmt.Sprintf("%d of %d workers saturated (%s)", len(saturated), len(reps), strings.Join(saturated, "; "))
	case localUse > loadgen.SaturatedAt:
		s.Saturated = fmt.Sprintf("load generator at %.0f%% of %g CPU", 100*localUse, localCores)
	}
	return s
}

// close closes every worker's generator and stops the local workers.
func (f *fleet) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range f.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m.err() == nil {
				_ = m.remote.Close(ctx)
			}
			if m.proc != nil {
				m.proc.stop()
			}
		}()
	}
	wg.Wait()
}

// fleetPlan sizes the load generator for sc: the configured workers, or as
// many local ones as the largest step needs so that each stays inside the
// open-file limit.
func (r *Runner) fleetPlan(sc scenarios.Scenario) fleetPlan {
	p := fleetPlan{bin: r.cfg.Binary, remote: r.cfg.WorkerAddrs, cpu: -1, perHost: loadgen.ClientsPerWorker, control: r.cfg.Control}
	if r.srvCPU >= 0 {
		p.cpu, p.procs = 1, 1
	}
	switch {
	case r.cfg.Workers > 0:
		p.local = r.cfg.Workers
	case len(p.remote) == 0:
		p.local = r.workersFor(sc)
	}
	return p
}

// workersFor is how many local workers hold sc's largest step, each within
// the open-file limit (and one source address's ports).
func (r *Runner) workersFor(sc scenarios.Scenario) int {
	most := 0
	for _, st := range sc.Steps() {
		most = max(most, st.Clients)
	}
	per := perClientFiles(sc)
	capacity := loadgen.ClientsPerWorker
	if r.fileLimit > 0 {
		capacity = min(capacity, (int(r.fileLimit)-256)/per)
	}
	return max(1, (most+capacity-1)/max(capacity, 1))
}

// perClientFiles is the descriptors one client holds in a worker.
func perClientFiles(sc scenarios.Scenario) int {
	if sc.Kind == scenarios.Chat {
		return 2 // the stream and the upstream connection
	}
	return 1
}
