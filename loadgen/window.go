package loadgen

import (
	"github.com/HdrHistogram/hdrhistogram-go"
)

// counters is one client's cumulative counts at a moment.
type counters struct {
	unique, dups, reorders, holes, gapSignals, gapMsgs   int64
	empties, polls, reconnects, drops, bytesIn, bytesOut int64
}

func (c *vclient) counters() counters {
	return counters{
		unique: c.unique.Load(), dups: c.dups.Load(), reorders: c.reorders.Load(),
		holes: c.holes.Load(), gapSignals: c.gapSignals.Load(), gapMsgs: c.gapMsgs.Load(),
		empties: c.empties.Load(), polls: c.polls.Load(), reconnects: c.reconnects.Load(),
		drops: c.drops.Load(), bytesIn: c.bytesIn.Load(), bytesOut: c.bytesOut.Load(),
	}
}

func (a counters) minus(b counters) counters {
	return counters{
		a.unique - b.unique, a.dups - b.dups, a.reorders - b.reorders, a.holes - b.holes,
		a.gapSignals - b.gapSignals, a.gapMsgs - b.gapMsgs, a.empties - b.empties,
		a.polls - b.polls, a.reconnects - b.reconnects, a.drops - b.drops,
		a.bytesIn - b.bytesIn, a.bytesOut - b.bytesOut,
	}
}

// StartWindow opens a measurement window: from now on, messages with
// seq > base are accounted and timed; counters and the latency histogram
// restart (connect times accumulate over the generator's life).
func (g *Generator) StartWindow(base int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.window = make([]counters, len(g.clients))
	for i, c := range g.clients {
		g.window[i] = c.counters()
	}
	for _, s := range g.shards {
		s.mu.Lock()
		s.latency.Reset()
		s.reconnect.Reset()
		s.clamped = 0
		s.mu.Unlock()
	}
	g.delivered.Store(0)
	g.base.Store(base)
}

// Window is what the clients measured since StartWindow.
type Window struct {
	Clients         int   // clients started
	Connected       int64 // connected at the end
	Expected        int64 // messages each client should have, times clients
	Delivered       int64 // unique messages delivered
	Lost            int64 // Expected - Delivered
	ClientsWithLoss int   // clients missing at least one message
	Duplicates      int64
	Reorders        int64 // messages that arrived after a later one
	Holes           int64 // jumps past the next expected seq
	GapSignals      int64
	GapMessages     int64 // messages the gap signals named
	Reconnects      int64
	Drops           int64 // connections that ended with an error
	EmptyPolls      int64
	Polls           int64
	BytesIn         int64 // server to client, at the socket
	BytesOut        int64 // client to server, at the socket
	Clamped         int64 // latency samples outside 1 µs..60 s
	Latency         *hdrhistogram.Histogram
	Connect         *hdrhistogram.Histogram // every handshake since New, reconnects included
	Reconnect       *hdrhistogram.Histogram // in the window: unplanned disconnect to the next handshake
	Errors          map[string]int
}

// Window sums the current window. perClient is how many messages each
// client should have received (published in the window).
func (g *Generator) Window(perClient int64) Window {
	g.mu.Lock()
	w := Window{Clients: len(g.clients), Connected: g.connected.Load(), Latency: newHist(), Connect: newHist(), Reconnect: newHist()}
	for i, c := range g.clients {
		var base counters
		if i < len(g.window) {
			base = g.window[i]
		}
		d := c.counters().minus(base)
		w.Delivered += d.unique
		if d.unique < perClient {
			w.ClientsWithLoss++
		}
		w.Duplicates += d.dups
		w.Reorders += d.reorders
		w.Holes += d.holes
		w.GapSignals += d.gapSignals
		w.GapMessages += d.gapMsgs
		w.Reconnects += d.reconnects
		w.Drops += d.drops
		w.EmptyPolls += d.empties
		w.Polls += d.polls
		w.BytesIn += d.bytesIn
		w.BytesOut += d.bytesOut
	}
	g.mu.Unlock()
	w.Expected = perClient * int64(w.Clients)
	w.Lost = w.Expected - w.Delivered
	for _, s := range g.shards {
		s.mu.Lock()
		w.Clamped += s.clamped + w.Latency.Merge(s.latency) // Merge returns values it dropped
		w.Connect.Merge(s.connect)
		w.Reconnect.Merge(s.reconnect)
		s.mu.Unlock()
	}
	w.Errors = g.Errors()
	return w
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
