package loadgen

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

// Latency histograms cover 1 µs to 60 s at 3 significant digits
// (~0.1%), about 139 KB each: one per shard, never one per connection.
const (
	histMin    = 1
	histMax    = 60_000_000
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// shard holds the histograms a group of virtual clients record into.
// Its mutex is taken once per recorded value.
type shard struct {
	mu      sync.Mutex
	epoch   int64                   // the window the latency and reconnect histograms belong to
	latency *hdrhistogram.Histogram // receive time - intended send time, µs
	connect *hdrhistogram.Histogram // dial to handshake complete, µs
	// reconnect: from a connection's unplanned end to the next handshake
	// completing, µs (backoff, failed attempts and the handshake included).
	reconnect *hdrhistogram.Histogram
	// TLS handshakes in the window, µs from TCP connected to the server's
	// Finished verified: full ones and resumed ones.
	tlsFull, tlsResumed *hdrhistogram.Histogram
}

// record adds us to h, clamped into the histogram's range; it reports
// whether the value was negative (-1: the message arrived before it was
// due, clock skew) or above the range (+1). Under 1 µs counts as 1 µs.
func record(h *hdrhistogram.Histogram, us int64) (clamped int) {
	if us < 0 {
		clamped = -1
	}
	if us < histMin {
		us = histMin
	} else if us > histMax {
		us, clamped = histMax, 1
	}
	_ = h.RecordValue(us) // in range by construction
	return clamped
}

// vclient is one virtual client's receive state. Its Receiver methods run on
// the client's own goroutine; what the generator reads while the client
// runs is atomic or under w.mu.
type vclient struct {
	shard *shard
	gen   *Generator
	slow  time.Duration // a slow reader's processing time per message (fault injection)

	connectStart time.Time
	droppedAt    time.Time     // when the last connection ended with an error; zero once reconnected
	failures     int           // consecutive failed connections (for backoff)
	retry        time.Duration // reconnect delay advertised by an SSE server's retry:
	connected    atomic.Bool
	cursor       atomic.Int64 // last seq seen or skipped by a gap: the resume cursor

	w        clientWindow // accounting of the measurement window
	bytesIn  atomic.Int64 // cumulative, at the socket
	bytesOut atomic.Int64
	tcpUp    atomic.Int64 // when the last TCP connection was up, Unix ns (times the TLS handshake)
}

// Connected records the handshake time.
func (c *vclient) Connected() {
	now := time.Now()
	w := c.gen.win.Load()
	c.shard.mu.Lock()
	if !c.connectStart.IsZero() {
		record(c.shard.connect, now.Sub(c.connectStart).Microseconds())
	}
	if !c.droppedAt.IsZero() && w != nil && c.shard.epoch == w.epoch {
		record(c.shard.reconnect, now.Sub(c.droppedAt).Microseconds())
	}
	c.shard.mu.Unlock()
	c.droppedAt = time.Time{}
	c.failures = 0
	c.connected.Store(true)
	c.gen.connected.Add(1)
}

// Message accounts one message and records its latency against the
// intended send time.
func (c *vclient) Message(seq, sent int64, size int) {
	now := time.Now().UnixNano()
	if c.slow > 0 {
		defer time.Sleep(c.slow) // after timing this message: the next ones queue behind it
	}
	c.messageAt(seq, sent, now)
}

// messageAt accounts message seq received at now (Unix ns).
func (c *vclient) messageAt(seq, sent, now int64) {
	if seq > c.cursor.Load() {
		c.cursor.Store(seq)
	}
	w := c.gen.win.Load()
	if w == nil {
		return // warm-up: not measured
	}
	cw := &c.w
	cw.mu.Lock()
	if !c.sync(w) {
		cw.mu.Unlock()
		return // in flight from a window already closed
	}
	cw.counts.Raw++ // the parser handed it over: what the server's ledger is compared with
	if p := c.gen.cfg.PlantDiscardEvery; p > 0 && cw.counts.Raw%p == 0 {
		cw.mu.Unlock()
		return
	}
	if seq <= w.base {
		cw.counts.Discarded++ // before the window (a replay after a reconnect): not measured
		cw.mu.Unlock()
		return
	}
	i := seq - w.base - 1
	if i >= cw.limit {
		cw.counts.Unexpected++ // far beyond anything the window publishes
		cw.mu.Unlock()
		return
	}
	if word := i / 64; word < int64(len(cw.seen)) && cw.seen[word]&(1<<(i%64)) != 0 {
		cw.counts.Duplicates++
		cw.mu.Unlock()
		return
	}
	cw.seen = setBit(cw.seen, i)
	if la := w.lateAfter.Load(); la > 0 && now > la {
		cw.late = setBit(cw.late, i)
	}
	cw.counts.Delivered++
	switch {
	case seq < cw.maxSeen:
		cw.counts.Reorders++
	case seq > cw.maxSeen+1 && cw.maxSeen > w.base:
		cw.counts.Holes++
	}
	cw.maxSeen = max(cw.maxSeen, seq)
	c.shard.mu.Lock()
	if c.shard.epoch == w.epoch {
		switch record(c.shard.latency, (now-sent)/1000) {
		case -1:
			cw.counts.UnderRange++
		case 1:
			cw.counts.ClampedSamples++
		}
	}
	c.shard.mu.Unlock()
	cw.mu.Unlock()
	c.gen.delivered.Add(1)
}

// Gap counts a gap signal and moves the cursor past it.
func (c *vclient) Gap(first, last int64) {
	if last > c.cursor.Load() {
		c.cursor.Store(last)
	}
	c.count(func(n *results.Counts) { n.GapSignals++; n.GapMessages += last - first + 1 })
}

// Retry takes the reconnect delay an SSE server advertised
// (transports.RetryReceiver).
func (c *vclient) Retry(d time.Duration) { c.retry = d }

// Empty counts an empty poll answer.
func (c *vclient) Empty() { c.count(func(n *results.Counts) { n.EmptyPolls++ }) }

// Polled counts a poll answer (transports.PollReceiver).
func (c *vclient) Polled() { c.count(func(n *results.Counts) { n.Polls++ }) }
