package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/loadgen/reactor"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
)

// Client modes: how a generator runs its clients (Config.ClientMode,
// recorded as results.Params.ClientMode).
const (
	// ModeGoroutine runs each client in a goroutine of its own, in the
	// transport's client (the default; every transport and fault).
	ModeGoroutine = "goroutine"
	// ModeReactor holds each push connection in a reactor (package reactor):
	// no goroutine and no read buffer per idle connection. The handshake
	// and every reconnect still run in the transport's client, in a
	// short-lived goroutine. A poll client's connection is held whole: the
	// reactor writes its requests and reads its answers with the
	// transport's Poller; only its dials run in a short-lived goroutine.
	ModeReactor = "reactor"
)

// reactorState is the generator's client mode, chosen once (at its first
// client), and its reactors.
type reactorState struct {
	once     sync.Once
	mode     string
	why      string // why the goroutine path was chosen, when reactor was asked for
	kind     transports.HandshakeEnd
	reactors []*reactor.Reactor
	next     atomic.Uint32
	running  atomic.Pointer[[]*reactor.Reactor] // reactors, once running: read by the windows

	mu      sync.Mutex
	clients []*rclient // for stopping their reconnect timers at Close
}

// rclient is one reactor-mode client's session: what the goroutine path
// keeps on its goroutine's stack.
type rclient struct {
	c     *vclient
	index int   // run-wide client index (source address)
	since int64 // the cursor its next connection resumes after
	r     *reactor.Reactor
	timer atomic.Pointer[time.Timer] // a pending reconnect
	at    int64                      // when the bytes being parsed were read (Unix ns)

	// A poll client: its poller, kept across the connections the poller
	// replaces without a failure (transports.ErrPollReconnect), as the
	// goroutine client's Run keeps its cursor across them; and when its
	// session's churn lifetime ends (Unix ns; 0: none).
	poller  transports.Poller
	lifeEnd int64

	// A push client's transport client, made once and kept across its
	// connections (a target's keeps its resume cursor), dialling through
	// dial: the current attempt's handoff.
	client transports.Client
	dial   transports.DialFunc
}

// newClient makes the client's transport client once.
func (rc *rclient) newClient(cfg Config) error {
	if rc.client != nil {
		return nil
	}
	opts := cfg.Options
	opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) { return rc.dial(ctx, network, addr) }
	client, err := cfg.Transport.NewClient(opts)
	if err == nil {
		rc.client = client
	}
	return err
}

// rclient is the reactor's Owner of its connection.
var _ reactor.PollOwner = (*rclient)(nil)

// Connected, Polled and Empty are the vclient's.
func (rc *rclient) Connected() { rc.c.Connected() }
func (rc *rclient) Polled()    { rc.c.Polled() }
func (rc *rclient) Empty()     { rc.c.Empty() }

// Arrived keeps the time the bytes being parsed were read.
func (rc *rclient) Arrived(at int64) { rc.at = at }

// Message accounts a message at the time its read returned (a slow reader,
// whose vclient sleeps per message, reads the clock itself); Gap and Retry
// are the vclient's.
func (rc *rclient) Message(seq, sent int64, size int) {
	if rc.c.slow > 0 || rc.at == 0 {
		rc.c.Message(seq, sent, size)
		return
	}
	rc.c.messageAt(seq, sent, rc.at)
}

func (rc *rclient) Gap(first, last int64) { rc.c.Gap(first, last) }
func (rc *rclient) Retry(d time.Duration) { rc.c.Retry(d) }

// BytesRead and BytesWritten count the socket's bytes, as the dial's
// counting connection does on the goroutine path.
func (rc *rclient) BytesRead(n int)    { rc.c.bytesIn.Add(int64(n)) }
func (rc *rclient) BytesWritten(n int) { rc.c.bytesOut.Add(int64(n)) }

// Ended is the end of the connection the reactor held.
func (rc *rclient) Ended(err error, planned bool) { rc.c.gen.rended(rc, err, planned) }

// ClientMode is how the generator runs its clients and, when it was asked
// for the reactor but runs goroutines, why. Before the first client it is
// what it will be.
func (g *Generator) ClientMode() (mode, why string) {
	g.decideMode()
	return g.rx.mode, g.rx.why
}

// decideMode chooses the client mode once: the reactor when it was asked
// for and the scenario needs nothing it lacks.
func (g *Generator) decideMode() {
	g.rx.once.Do(func() {
		g.rx.mode = ModeGoroutine
		if g.cfg.ClientMode != ModeReactor {
			return
		}
		tr := g.cfg.Transport
		g.mu.Lock()
		slow := g.slowFraction > 0
		g.mu.Unlock()
		switch {
		case g.cfg.Target != "" && tr.Stream == nil:
			g.rx.why = fmt.Sprintf("target %s: its %s endpoint is read by the target client, one goroutine per client (the reactor reads a target's SSE over plain HTTP and WebSocket over ws://)", g.cfg.Target, tr.Name)
		case tr.Stream == nil && tr.Poll == nil:
			g.rx.why = fmt.Sprintf("%s: the reactor reads only %s (plaintext)", tr.Name, strings.Join(streamTransports(), ", "))
		case g.cfg.Upstream:
			g.rx.why = "chat clients send upstream on their connection"
		case slow:
			g.rx.why = "a slow reader stalls its own reads, which would stall a reactor's"
		}
		if g.rx.why != "" {
			return
		}
		n := max(1, runtime.GOMAXPROCS(0))
		for i := 0; i < n; i++ {
			r, err := reactor.New()
			if err != nil {
				for _, r := range g.rx.reactors {
					r.Shutdown(nil)
				}
				g.rx.reactors, g.rx.why = nil, err.Error()
				return
			}
			g.rx.reactors = append(g.rx.reactors, r)
		}
		g.rx.mode = ModeReactor
		if tr.Stream != nil {
			g.rx.kind = tr.Stream.Handshake
		}
		rt := g.cfg.Options.ReadTimeout
		sweep := rt / 8
		if g.cfg.Lifetime > 0 {
			sweep = min(sweep, g.cfg.Lifetime/20)
		}
		sweep = min(max(sweep, 10*time.Millisecond), time.Second)
		for _, r := range g.rx.reactors {
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				r.Run(g.ctx, sweep, rt)
			}()
		}
		running := g.rx.reactors
		g.rx.running.Store(&running)
		context.AfterFunc(g.ctx, g.stopReactorClients)
	})
}

// takeLoopLag is the most any reactor loop ran behind its schedule since
// the last call (0 without reactors), and starts over.
func (g *Generator) takeLoopLag() time.Duration {
	var lag time.Duration
	if rs := g.rx.running.Load(); rs != nil {
		for _, r := range *rs {
			lag = max(lag, r.TakeLag())
		}
	}
	return lag
}

// takeClientWait is the reads since the last call over every reactor and
// how long their bytes waited in their sockets (the kernel's receive
// timestamps): reads, stamped reads, their mean and longest wait; and
// starts over.
func (g *Generator) takeClientWait() (reads, n int64, mean, longest time.Duration) {
	rs := g.rx.running.Load()
	if rs == nil {
		return 0, 0, 0, 0
	}
	var sum time.Duration
	for _, r := range *rs {
		all, k, m, l := r.TakeWait()
		reads, n, sum, longest = reads+all, n+k, sum+m*time.Duration(k), max(longest, l)
	}
	if n > 0 {
		mean = sum / time.Duration(n)
	}
	return reads, n, mean, longest
}

// startReactor starts client i in reactor mode; false when the generator
// runs goroutines.
func (g *Generator) startReactor(i int) (bool, error) {
	g.decideMode()
	if g.rx.mode != ModeReactor {
		return false, nil
	}
	// The options are checked once here, as the goroutine path does.
	if _, err := g.cfg.Transport.NewClient(g.cfg.Options); err != nil {
		return true, fmt.Errorf("failed to create %s client: %w", g.cfg.Transport.Name, err)
	}
	c := &vclient{gen: g, shard: g.shards[i%len(g.shards)]}
	c.cursor.Store(g.cfg.Since)
	rs := &g.rx
	rc := &rclient{c: c, index: g.cfg.FirstClient + i, since: g.cfg.Since,
		r: rs.reactors[int(rs.next.Add(1))%len(rs.reactors)]}
	g.mu.Lock()
	g.clients = append(g.clients, c)
	g.mu.Unlock()
	rs.mu.Lock()
	rs.clients = append(rs.clients, rc)
	rs.mu.Unlock()
	g.wg.Add(1)
	go g.rdial(rc)
	return true, nil
}

// rdial makes one connection attempt in the transport's client and hands
// the connection to the client's reactor. It owns one count of g.wg.
func (g *Generator) rdial(rc *rclient) {
	defer g.wg.Done()
	if g.ctx.Err() != nil {
		return
	}
	if g.cfg.Transport.Poll != nil {
		g.rpoll(rc)
		return
	}
	c := rc.c
	c.connectStart = time.Now()
	ctx, cancel := g.ctx, context.CancelFunc(func() {})
	var lifeEnd int64
	if g.cfg.Lifetime > 0 {
		end := c.connectStart.Add(time.Duration(float64(g.cfg.Lifetime) * (0.5 + rand.Float64())))
		ctx, cancel = context.WithDeadline(g.ctx, end)
		lifeEnd = end.UnixNano()
	}
	h := reactor.NewHandoff(c, g.rx.kind)
	rc.dial = h.Dial(dialer(sourceFor(rc.index), g.cfg.Options.Timeout, g.cfg.Allowed, &c.bytesIn, &c.bytesOut, &c.tcpUp))
	err := rc.newClient(g.cfg)
	if err == nil {
		err = rc.client.Run(ctx, rc.since, h)
	}
	churned := ctx.Err() != nil
	cancel()
	fd, head, left, herr := h.Taken()
	switch {
	case fd >= 0:
		g.rhold(rc, fd, head, left, lifeEnd)
	case herr != nil:
		g.rended(rc, herr, false)
	default:
		g.rended(rc, err, churned)
	}
}

// rhold gives the handed-off connection fd, with its parser and what
// arrived past the handshake, to the client's reactor.
func (g *Generator) rhold(rc *rclient, fd int, head, left []byte, lifeEnd int64) {
	var p transports.StreamParser
	var err error
	if sc, ok := rc.client.(transports.StreamClient); ok {
		p, err = sc.NewStreamParser(head) // its own state says how to read it
	} else {
		p, err = g.cfg.Transport.Stream.NewParser(head)
	}
	if err == nil {
		err = rc.r.Hold(fd, p, rc, left, lifeEnd)
	} else {
		unix.Close(fd)
	}
	if err != nil {
		g.rended(rc, err, false)
	}
}

// rended is the end of one connection of a reactor-mode client: the same
// accounting as the goroutine path's session loop, and the next attempt
// (at once after a planned end, else after the reconnect delay).
func (g *Generator) rended(rc *rclient, err error, planned bool) {
	c := rc.c
	if errors.Is(err, transports.ErrPollReconnect) && g.ctx.Err() == nil {
		g.wg.Add(1) // the same poll client, on a new connection
		go g.rdial(rc)
		return
	}
	rc.poller = nil // the next connection is a new session of the client
	if c.connected.Swap(false) {
		g.connected.Add(-1)
	}
	if g.ctx.Err() != nil {
		return
	}
	if cur := c.cursor.Load(); rc.since >= 0 || cur > 0 {
		rc.since = cur
	}
	if planned {
		c.count(func(n *results.Counts) { n.Reconnects++ })
		g.wg.Add(1)
		go g.rdial(rc)
		return
	}
	c.count(func(n *results.Counts) { n.Drops++ })
	if c.droppedAt.IsZero() {
		c.droppedAt = time.Now()
	}
	g.noteErr(err)
	c.failures++
	g.wg.Add(1)
	t := time.AfterFunc(g.reconnectDelay(c), func() {
		if g.ctx.Err() != nil {
			g.wg.Done()
			return
		}
		c.count(func(n *results.Counts) { n.Reconnects++ })
		g.rdial(rc)
	})
	rc.timer.Store(t)
	if g.ctx.Err() != nil && t.Stop() {
		g.wg.Done() // Close's sweep of the timers may have run before the Store
	}
}

// stopReactorClients stops the pending reconnects when the generator
// closes (the reactors close their connections themselves).
func (g *Generator) stopReactorClients() {
	for _, r := range g.rx.reactors {
		r.Wake()
	}
	g.rx.mu.Lock()
	clients := g.rx.clients
	g.rx.mu.Unlock()
	for _, rc := range clients {
		if t := rc.timer.Load(); t != nil && t.Stop() {
			g.wg.Done()
		}
	}
}

// streamTransports are the registered transports whose clients the
// reactor can run (a Stream or a Poll in their descriptor).
func streamTransports() []string {
	var names []string
	for _, t := range transports.All() {
		if t.Stream != nil || t.Poll != nil {
			names = append(names, t.Name)
		}
	}
	return names
}
