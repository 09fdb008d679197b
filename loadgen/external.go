package loadgen

import (
	"time"

	"github.com/pushbench/pushbench/results"
)

// External is a client the generator accounts but does not run: its
// connection lives elsewhere (a stream in a browser page) and reports what
// it received, each message with its own receive time. Its messages go
// through the same window, bitset and histograms as the generator's own
// clients. Its methods are called from one goroutine at a time.
type External struct{ c *vclient }

// Attach adds an external client starting from the generator's Since.
func (g *Generator) Attach() *External {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := &vclient{gen: g, shard: g.shards[len(g.clients)%len(g.shards)]}
	c.cursor.Store(g.cfg.Since)
	g.clients = append(g.clients, c)
	if w := g.win.Load(); w != nil {
		c.w.mu.Lock()
		c.sync(w)
		c.w.mu.Unlock()
	}
	return &External{c: c}
}

// Connected records that the client's connection opened, took after
// having waited (recorded as its connect time). A reconnect after Dropped
// is counted as one.
func (e *External) Connected(took time.Duration) {
	c := e.c
	if c.connected.Load() {
		return
	}
	c.connectStart = time.Now().Add(-took)
	if !c.droppedAt.IsZero() {
		c.count(func(n *results.Counts) { n.Reconnects++ })
	}
	c.Connected()
}

// Dropped records that the connection ended with an error.
func (e *External) Dropped() {
	c := e.c
	if c.connected.Swap(false) {
		c.gen.connected.Add(-1)
	}
	c.count(func(n *results.Counts) { n.Drops++ })
	if c.droppedAt.IsZero() {
		c.droppedAt = time.Now()
	}
}

// Closed records that the connection ended as planned.
func (e *External) Closed() {
	if e.c.connected.Swap(false) {
		e.c.gen.connected.Add(-1)
	}
}

// Message accounts message seq (intended send time sent, Unix ns) that
// arrived at at.
func (e *External) Message(seq, sent int64, at time.Time) { e.c.messageAt(seq, sent, at.UnixNano()) }

// Gap counts a gap signal for first..last.
func (e *External) Gap(first, last int64) { e.c.Gap(first, last) }

// Polled counts a poll answer; Empty an empty one.
func (e *External) Polled() { e.c.Polled() }

// Empty counts an empty poll answer.
func (e *External) Empty() { e.c.Empty() }

// Cursor is the last seq the client saw (or skipped by a gap).
func (e *External) Cursor() int64 { return e.c.cursor.Load() }
