// Package loadgen is pushbench's load generator: it opens virtual clients of
// one transport at a controlled rate, keeps each connected (resuming from its
// cursor after every disconnect), and accounts every message each client
// receives: latency against the intended send time in HDR histograms per
// shard, duplicates, reorderings, holes, gap signals, reconnects and the
// bytes that cross each socket.
package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
)

// Config configures a Generator; zero fields take defaults.
type Config struct {
	Transport transports.Transport
	// Target is set when the clients subscribe to a target's endpoint
	// (Transport.NewClient is then the target client): the reactor reads
	// only what the target client hands off and parses itself
	// (transports.StreamClient: SSE over plain HTTP, WebSocket over ws://;
	// Transport.Stream is then set), the rest runs a goroutine per client.
	Target string
	// Options for every client; Dial is replaced per client (source
	// address, byte counting).
	Options transports.ClientOptions
	// Since is the cursor new clients start from (the server's head before
	// publishing starts); -1 starts from now.
	Since int64
	// ConnectRate is how many clients are opened per second (0: no pacing).
	ConnectRate float64
	// Reconnect is the delay before a client reconnects (100 ms). With
	// Backoff, each consecutive failed attempt doubles it, up to
	// MaxReconnect (5 s). SSE clients wait what the server advertised with
	// retry:, as EventSource does; until they have seen one they wait
	// SSEDefault when it is set (EventSource's default is about 3 s).
	Reconnect    time.Duration
	Backoff      bool
	MaxReconnect time.Duration
	SSEDefault   time.Duration
	// Upstream gives every client a way to send messages to the room
	// (the chat scenario).
	Upstream bool
	// Lifetime, when set, ends each connection after a random time between
	// half and one and a half times Lifetime (churn); the client then
	// reconnects at once from its cursor.
	Lifetime time.Duration
	// Allowed are the targets beyond loopback this generator may load.
	Allowed Targets
	// FirstClient offsets client indexes for source addresses (and slow
	// readers), when several generators share one host.
	FirstClient int
	// Resumption gives each client its own TLS session cache, so a
	// reconnect resumes (Options.TLS set); off, every handshake is full.
	Resumption bool
	// StreamsPerConn is how many clients share one HTTP/2 connection
	// (Options.HTTP2; 100, a browser's stream limit).
	StreamsPerConn int
	// ClientMode ModeReactor holds push connections in reactors when the
	// scenario allows (see Generator.ClientMode); else goroutines.
	ClientMode string
	// PlantDiscardEvery, when set, makes every client drop each Nth message
	// its parser handed over, after counting it raw and before accounting
	// it: a planted client fault (pushbench selftest) that the counts'
	// reconcile must catch. Never set in a measurement.
	PlantDiscardEvery int64
}

// Reconnect defaults: the first delay, and the cap of a backoff.
const (
	DefaultReconnect    = 100 * time.Millisecond
	DefaultMaxReconnect = 5 * time.Second
)

// Generator runs virtual clients. Its methods are safe for concurrent use.
type Generator struct {
	cfg     Config
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	shards  []*shard
	win     atomic.Pointer[windowSpec] // the measurement window; nil before the first
	epoch   int64                      // the last window's epoch (under mu)
	mu      sync.Mutex
	clients []*vclient
	errs    map[string]int
	// groups[n] is the shared HTTP/2 connection of clients n*k..n*k+k-1
	// (k streams per connection), when the transport speaks HTTP/2.
	groups []*connGroup
	// upstreams[i] sends for clients[i] when Config.Upstream is set.
	upstreams []*upstream
	// Slow readers (fault injection), see SlowReaders.
	slowFraction float64
	slowDelay    time.Duration

	rx        reactorState // the client mode and, in reactor mode, the reactors
	sse       bool         // the transport is SSE (reconnect delay rules)
	connected atomic.Int64 // clients connected now
	delivered atomic.Int64 // unique messages delivered in the window, all clients
}

// New returns a generator with no clients. Close it when done.
func New(cfg Config) *Generator {
	if cfg.Reconnect <= 0 {
		cfg.Reconnect = DefaultReconnect
	}
	if cfg.MaxReconnect <= 0 {
		cfg.MaxReconnect = DefaultMaxReconnect
	}
	cfg.Options = cfg.Options.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	g := &Generator{cfg: cfg, ctx: ctx, cancel: cancel, errs: map[string]int{}, sse: cfg.Transport.EventSource}
	n := 4 * runtime.GOMAXPROCS(0)
	for i := 0; i < n; i++ {
		g.shards = append(g.shards, &shard{latency: newHist(), connect: newHist(), reconnect: newHist(), tlsFull: newHist(), tlsResumed: newHist()})
	}
	return g
}

// Add opens n more clients, paced at the connect rate, and returns once all
// have been started (not necessarily connected) or ctx ends.
func (g *Generator) Add(ctx context.Context, n int) error {
	g.mu.Lock()
	first := len(g.clients)
	g.mu.Unlock()
	start := time.Now()
	for i := 0; i < n; i++ {
		if g.cfg.ConnectRate > 0 {
			due := start.Add(time.Duration(float64(i) / g.cfg.ConnectRate * float64(time.Second)))
			if err := sleepUntil(ctx, due); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		if err := g.startClient(first + i); err != nil {
			return err
		}
	}
	return nil
}

func (g *Generator) startClient(i int) error {
	if ok, err := g.startReactor(i); ok {
		return err
	}
	c := &vclient{gen: g, shard: g.shards[i%len(g.shards)]}
	c.cursor.Store(g.cfg.Since)
	opts := g.cfg.Options
	opts.Dial = dialer(sourceFor(g.cfg.FirstClient+i), opts.Timeout, g.cfg.Allowed, &c.bytesIn, &c.bytesOut, &c.tcpUp)
	g.clientTLS(c, &opts)
	if opts.HTTP2 && g.cfg.Transport.Path != "" {
		g.shareConn(c, i, &opts)
	}
	client, err := g.cfg.Transport.NewClient(opts)
	if err != nil {
		return fmt.Errorf("failed to create %s client: %w", g.cfg.Transport.Name, err)
	}
	g.mu.Lock()
	if g.isSlow(g.cfg.FirstClient + i) {
		c.slow = g.slowDelay
	}
	g.clients = append(g.clients, c)
	if g.cfg.Upstream {
		g.upstreams = append(g.upstreams, newUpstream(client, opts))
	}
	g.mu.Unlock()
	g.wg.Add(1)
	go g.session(c, client, i)
	return nil
}

// session keeps one client connected until the generator closes, resuming
// from the client's cursor after every disconnect.
func (g *Generator) session(c *vclient, client transports.Client, index int) {
	defer g.wg.Done()
	since := g.cfg.Since
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(index)))
	for {
		c.connectStart = time.Now()
		runCtx, cancel := g.ctx, context.CancelFunc(func() {})
		if g.cfg.Lifetime > 0 {
			life := time.Duration(float64(g.cfg.Lifetime) * (0.5 + rng.Float64()))
			runCtx, cancel = context.WithTimeout(g.ctx, life)
		}
		err := client.Run(runCtx, since, c)
		churned := runCtx.Err() != nil
		cancel()
		if c.connected.Swap(false) {
			g.connected.Add(-1)
		}
		if g.ctx.Err() != nil {
			return
		}
		if cur := c.cursor.Load(); since >= 0 || cur > 0 {
			since = cur
		}
		if churned { // a planned disconnect: reconnect at once
			c.count(func(n *results.Counts) { n.Reconnects++ })
			continue
		}
		c.count(func(n *results.Counts) { n.Drops++ })
		if c.droppedAt.IsZero() {
			c.droppedAt = time.Now()
		}
		g.noteErr(err)
		c.failures++
		timer.Reset(g.reconnectDelay(c))
		select {
		case <-g.ctx.Done():
			return
		case <-timer.C:
		}
		c.count(func(n *results.Counts) { n.Reconnects++ })
	}
}

func (g *Generator) noteErr(err error) {
	if err == nil {
		err = fmt.Errorf("connection ended without an error")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	msg := errKey(err)
	if _, ok := g.errs[msg]; !ok && len(g.errs) >= maxErrorKeys {
		msg = errCause(err) // too many distinct texts: counted by cause, never as "other"
	}
	g.errs[msg]++
}

// Connected is the number of clients connected now.
func (g *Generator) Connected() int64 { return g.connected.Load() }

// Clients is the number of clients started.
func (g *Generator) Clients() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.clients)
}

// Delivered is the number of unique messages delivered in the window so far.
func (g *Generator) Delivered() int64 { return g.delivered.Load() }

// WaitConnected waits until at least n clients are connected.
func (g *Generator) WaitConnected(ctx context.Context, n int64) error {
	return poll(ctx, func() bool { return g.Connected() >= n },
		func() error { return fmt.Errorf("%d of %d clients connected", g.Connected(), n) })
}

// WaitCursors waits until every client's cursor has reached seq: each has
// received (or been told it lost) everything up to seq.
func (g *Generator) WaitCursors(ctx context.Context, seq int64) error {
	return poll(ctx, func() bool { return g.behind(seq) == 0 },
		func() error { return fmt.Errorf("%d clients had not reached seq %d", g.behind(seq), seq) })
}

// behind is the number of clients whose cursor is below seq.
func (g *Generator) behind(seq int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.clients {
		if c.cursor.Load() < seq {
			n++
		}
	}
	return n
}

// Close stops every client and waits for them; it may be called more than
// once.
func (g *Generator) Close() {
	g.cancel()
	g.wg.Wait()
	g.closeGroups()
	g.mu.Lock()
	ups := g.upstreams
	g.mu.Unlock()
	for _, u := range ups {
		u.close()
	}
}

// Errors returns how often each distinct connection error occurred.
func (g *Generator) Errors() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int, len(g.errs))
	for k, v := range g.errs {
		out[k] = v
	}
	return out
}

// TopErrors returns up to n errors, most frequent first.
func TopErrors(errs map[string]int, n int) []string {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return errs[keys[i]] > errs[keys[j]] })
	if len(keys) > n {
		keys = keys[:n]
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%dx %s", errs[k], k)
	}
	return out
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// poll checks cond every 10 ms until it holds or ctx ends (then it returns
// the error describe builds). It watches counters the clients update; it is
// not a stand-in for synchronisation.
func poll(ctx context.Context, cond func() bool, describe func() error) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), describe())
		case <-tick.C:
		}
	}
	return nil
}

// SlowReaders makes every client started from now on whose index falls in
// the given fraction (spread evenly: client i is slow when
// floor((i+1)*fraction) > floor(i*fraction)) spend delay processing each
// message, as a slow device would. The socket stops being read meanwhile,
// so the server sees real back-pressure.
func (g *Generator) SlowReaders(fraction float64, delay time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.slowFraction, g.slowDelay = fraction, delay
}

func (g *Generator) isSlow(i int) bool {
	return g.slowFraction > 0 && int(float64(i+1)*g.slowFraction) > int(float64(i)*g.slowFraction)
}

// reconnectDelay is how long client c waits before its next attempt.
func (g *Generator) reconnectDelay(c *vclient) time.Duration {
	d := g.cfg.Reconnect
	switch {
	case c.retry > 0:
		d = c.retry
	case g.sse && g.cfg.SSEDefault > 0:
		d = g.cfg.SSEDefault
	}
	if g.cfg.Backoff {
		for i := 1; i < c.failures && d < g.cfg.MaxReconnect; i++ {
			d *= 2
		}
		d = min(d, g.cfg.MaxReconnect)
	}
	return d
}
