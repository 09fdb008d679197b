package loadgen

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

// windowSpec is one measurement window. Each StartWindow makes a new one
// with the next epoch; clients and shards tag what they count with the epoch
// they counted it in, so a message in flight while a window opens is
// counted in the window it was received for, never in both.
type windowSpec struct {
	epoch int64
	base  int64 // messages with seq > base belong to the window
	limit int64 // seqs above base+limit are unexpected at once
	// lateAfter is when the drain deadline passed (Unix ns; 0 while the
	// drain lasts): messages arriving after it are late.
	lateAfter atomic.Int64
}

// clientWindow is one client's accounting of a window. Its fields are
// written by the client's own goroutine and read by the generator, both
// under mu.
type clientWindow struct {
	mu      sync.Mutex
	epoch   int64
	base    int64
	limit   int64
	maxSeen int64
	seen    []uint64 // bitset of seq-base-1 for seqs received
	late    []uint64 // bitset of seqs received after the drain deadline (rare: grown only then)
	counts  results.Counts
	// Bytes at the socket when the window opened (the socket counters are
	// cumulative and written from the connection's goroutines).
	bytesIn0, bytesOut0 int64
}

// sync moves the client to window w (its accounting restarts) when it is
// still on an older one, and says whether what happens now may be counted
// in w: a message of an older window still in flight is counted nowhere.
// c.w.mu is held.
func (c *vclient) sync(w *windowSpec) bool {
	cw := &c.w
	if cw.epoch == w.epoch {
		return true
	}
	if cw.epoch > w.epoch {
		return false
	}
	cw.epoch, cw.base, cw.limit, cw.maxSeen = w.epoch, w.base, w.limit, w.base
	clear(cw.seen)
	cw.seen = cw.seen[:0]
	cw.late = cw.late[:0]
	cw.counts = results.Counts{}
	cw.bytesIn0, cw.bytesOut0 = c.bytesIn.Load(), c.bytesOut.Load()
	return true
}

// count runs f on the client's counts of the current window, if one is open.
func (c *vclient) count(f func(*results.Counts)) {
	w := c.gen.win.Load()
	if w == nil {
		return
	}
	c.w.mu.Lock()
	if c.sync(w) {
		f(&c.w.counts)
	}
	c.w.mu.Unlock()
}

func setBit(set []uint64, i int64) []uint64 {
	word := i / 64
	for int64(len(set)) <= word {
		set = append(set, 0)
	}
	set[word] |= 1 << (i % 64)
	return set
}

// ones counts the set bits of set in [from, to).
func ones(set []uint64, from, to int64) int64 {
	var n int64
	for i := from; i < to && i/64 < int64(len(set)); {
		word, off := i/64, i%64
		v := set[word] >> off
		if span := to - i; span < 64-off {
			v &= 1<<span - 1
		}
		n += int64(bits.OnesCount64(v))
		i += 64 - off
	}
	return n
}

// StartWindow opens a measurement window: from now on, messages with
// seq > base are accounted and timed; counts and the latency histogram
// restart (connect times accumulate over the generator's life). limit is
// the most messages the window can publish: a seq above base+limit is
// counted as unexpected at once (and bounds each client's bitset), one
// between base+published and base+limit when the window closes.
func (g *Generator) StartWindow(base, limit int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if limit <= 0 {
		limit = 1 << 20
	}
	w := &windowSpec{epoch: g.epoch + 1, base: base, limit: limit}
	g.epoch = w.epoch
	for _, s := range g.shards {
		s.mu.Lock()
		s.epoch = w.epoch
		s.latency.Reset()
		s.reconnect.Reset()
		s.tlsFull.Reset()
		s.tlsResumed.Reset()
		s.mu.Unlock()
	}
	g.delivered.Store(0)
	g.takeLoopLag() // the window's lag counts from here
	g.takeClientWait()
	g.startGroups()
	g.win.Store(w)
	// Every client starts the window now, not at its first event: the
	// bytes a quiet client moves (heartbeats, polls) count from here.
	for _, c := range g.clients {
		c.w.mu.Lock()
		c.sync(w)
		c.w.mu.Unlock()
	}
}

// MarkLate says the drain deadline has passed: messages that arrive from
// now until the window is read are counted as late (and still delivered,
// their latency recorded).
func (g *Generator) MarkLate(at time.Time) {
	if w := g.win.Load(); w != nil {
		w.lateAfter.CompareAndSwap(0, at.UnixNano())
	}
}

// Window is what the clients measured since StartWindow.
type Window struct {
	results.Counts
	Clients   int   // clients started
	Connected int64 // connected at the end
	BytesIn   int64 // server to client, at the socket
	BytesOut  int64 // client to server, at the socket
	Latency   *hdrhistogram.Histogram
	Connect   *hdrhistogram.Histogram // every handshake since New, reconnects included
	Reconnect *hdrhistogram.Histogram // in the window: unplanned disconnect to the next handshake
	Errors    map[string]int
	// TLS handshakes in the window (TLS variants): full and resumed, each
	// timed from TCP connected to the handshake verified.
	TLSFull, TLSResumed *hdrhistogram.Histogram
	// Conns is the HTTP/2 connections the clients' streams shared, opened
	// since the generator started (0 when each client has its own).
	Conns int64
	// ClientMode is how the clients ran (ModeGoroutine, ModeReactor; "mixed"
	// when merged workers differ), ClientModeWhy why not the reactor when
	// it was asked for.
	ClientMode, ClientModeWhy string
	// LoopLag is the most a reactor loop ran behind its schedule in the
	// window (0 without the reactor).
	LoopLag time.Duration
	// The reactors' reads in the window, those the kernel stamped (TCP;
	// their messages were timed at the stamp), and how long the newest
	// of their bytes waited in the socket: mean and longest.
	Reads, StampedReads       int64
	ClientWait, ClientWaitMax time.Duration
}

// Window counts the current window. published is how many messages the
// server published in it (seqs base+1 .. base+published): each client
// should have every one of them. Delivered is counted as messages arrive,
// Lost from each client's bitset when the window is read, so
// Counts.Reconcile checks one against the other.
func (g *Generator) Window(published int64) Window {
	g.mu.Lock()
	ws := g.win.Load()
	w := Window{Clients: len(g.clients), Connected: g.connected.Load(), Latency: newHist(), Connect: newHist(), Reconnect: newHist(),
		TLSFull: newHist(), TLSResumed: newHist()}
	for _, c := range g.clients {
		c.w.mu.Lock()
		if ws != nil {
			c.sync(ws) // a client that saw nothing in this window counts from zero
		}
		w.Counts.Add(c.closeWindow(published))
		w.BytesIn += c.bytesIn.Load() - c.w.bytesIn0
		w.BytesOut += c.bytesOut.Load() - c.w.bytesOut0
		c.w.mu.Unlock()
	}
	g.groupBytes(&w)
	g.mu.Unlock()
	for _, s := range g.shards {
		s.mu.Lock()
		w.ClampedSamples += w.Latency.Merge(s.latency) // Merge returns values it dropped
		w.Connect.Merge(s.connect)
		w.Reconnect.Merge(s.reconnect)
		w.TLSFull.Merge(s.tlsFull)
		w.TLSResumed.Merge(s.tlsResumed)
		s.mu.Unlock()
	}
	w.Errors = g.Errors()
	w.ClientMode, w.ClientModeWhy = g.ClientMode()
	w.LoopLag = g.takeLoopLag()
	w.Reads, w.StampedReads, w.ClientWait, w.ClientWaitMax = g.takeClientWait()
	return w
}

// closeWindow is the client's counts of the window given what was
// published. c.w.mu is held.
func (c *vclient) closeWindow(published int64) results.Counts {
	cw := &c.w
	n := cw.counts
	published = min(published, cw.limit)
	inRange := ones(cw.seen, 0, published)
	beyond := ones(cw.seen, published, cw.limit)
	n.Expected = published
	n.Delivered -= beyond // arrived, but never published in this window
	n.Unexpected += beyond
	n.Lost = published - inRange
	n.Late = ones(cw.late, 0, published)
	if n.Lost > 0 {
		n.ClientsWithLoss = 1
	}
	return n
}

// LatencyQuantile is the latency (µs) at quantile q (0-100) of the current
// window so far, for progress displays.
func (g *Generator) LatencyQuantile(q float64) int64 {
	h := newHist()
	for _, s := range g.shards {
		s.mu.Lock()
		h.Merge(s.latency)
		s.mu.Unlock()
	}
	return h.ValueAtQuantile(q)
}
