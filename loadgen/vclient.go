package loadgen

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
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
	latency *hdrhistogram.Histogram // receive time - intended send time, µs
	connect *hdrhistogram.Histogram // dial to handshake complete, µs
	// reconnect: from a connection's unplanned end to the next handshake
	// completing, µs (backoff, failed attempts and the handshake included).
	reconnect *hdrhistogram.Histogram
	clamped   int64 // values outside the histogram range
}

func (s *shard) record(h *hdrhistogram.Histogram, us int64) {
	if us < histMin {
		us = histMin
	} else if us > histMax {
		us = histMax
		s.clamped++
	}
	_ = h.RecordValue(us) // in range by construction
}

// vclient is one virtual client's receive state. Its Receiver methods run on
// the client's own goroutine; the counters the generator reads while the
// client runs are atomic.
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

	// Accounting of the measurement window (seq > base).
	base       int64
	maxSeen    int64
	seen       []uint64 // bitset of seq-base-1
	unique     atomic.Int64
	dups       atomic.Int64
	reorders   atomic.Int64
	holes      atomic.Int64 // jumps past maxSeen+1
	gapSignals atomic.Int64
	gapMsgs    atomic.Int64
	empties    atomic.Int64
	polls      atomic.Int64
	reconnects atomic.Int64
	drops      atomic.Int64 // connections that ended with an error
	bytesIn    atomic.Int64
	bytesOut   atomic.Int64
}

// Connected records the handshake time.
func (c *vclient) Connected() {
	now := time.Now()
	c.shard.mu.Lock()
	if !c.connectStart.IsZero() {
		c.shard.record(c.shard.connect, now.Sub(c.connectStart).Microseconds())
	}
	if !c.droppedAt.IsZero() && c.gen.base.Load() >= 0 {
		c.shard.record(c.shard.reconnect, now.Sub(c.droppedAt).Microseconds())
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
	if seq > c.cursor.Load() {
		c.cursor.Store(seq)
	}
	base := c.gen.base.Load()
	if base < 0 || seq <= base {
		return // warm-up, or before the window: not measured
	}
	if base != c.base {
		c.resetWindow(base)
	}
	i := seq - base - 1
	word, bit := i/64, uint64(1)<<(i%64)
	for int64(len(c.seen)) <= word {
		c.seen = append(c.seen, 0)
	}
	if c.seen[word]&bit != 0 {
		c.dups.Add(1)
		return
	}
	c.seen[word] |= bit
	c.unique.Add(1)
	switch {
	case seq < c.maxSeen:
		c.reorders.Add(1)
	case seq > c.maxSeen+1 && c.maxSeen > 0:
		c.holes.Add(1)
	}
	if seq > c.maxSeen {
		c.maxSeen = seq
	}
	c.gen.delivered.Add(1)
	c.shard.mu.Lock()
	c.shard.record(c.shard.latency, (now-sent)/1000)
	c.shard.mu.Unlock()
}

func (c *vclient) resetWindow(base int64) {
	c.base, c.maxSeen = base, base
	clear(c.seen)
	c.seen = c.seen[:0]
}

// Gap counts a gap signal and moves the cursor past it.
func (c *vclient) Gap(first, last int64) {
	if last > c.cursor.Load() {
		c.cursor.Store(last)
	}
	c.gapSignals.Add(1)
	c.gapMsgs.Add(last - first + 1)
}

// Retry takes the reconnect delay an SSE server advertised
// (transports.RetryReceiver).
func (c *vclient) Retry(d time.Duration) { c.retry = d }

// Empty counts an empty poll answer.
func (c *vclient) Empty() { c.empties.Add(1) }

// Polled counts a poll answer (transports.PollReceiver).
func (c *vclient) Polled() { c.polls.Add(1) }
