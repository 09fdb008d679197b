package transports

import "sync/atomic"

// Stats is a snapshot of a server half's counters.
type Stats struct {
	Open            int64 `json:"open"`             // connections (or held requests) open now
	Accepted        int64 `json:"accepted"`         // connections or requests accepted
	Rejected        int64 `json:"rejected"`         // requests refused for bad input
	SlowDisconnects int64 `json:"slow_disconnects"` // push connections cut by the slow-consumer policy
	GapsSent        int64 `json:"gaps_sent"`        // gap signals sent
	MessagesSent    int64 `json:"messages_sent"`    // messages written to clients
	EmptyAnswers    int64 `json:"empty_answers"`    // poll answers with no messages
}

// Counters is the live, concurrency-safe form of Stats; servers embed it.
type Counters struct {
	open, accepted, rejected, slow, gaps, sent, empty atomic.Int64
}

// Stats returns a snapshot.
func (c *Counters) Stats() Stats {
	return Stats{
		Open: c.open.Load(), Accepted: c.accepted.Load(), Rejected: c.rejected.Load(),
		SlowDisconnects: c.slow.Load(), GapsSent: c.gaps.Load(), MessagesSent: c.sent.Load(),
		EmptyAnswers: c.empty.Load(),
	}
}

// Opened counts a new connection; call the returned func when it closes.
func (c *Counters) Opened() (closed func()) {
	c.accepted.Add(1)
	c.open.Add(1)
	return func() { c.open.Add(-1) }
}

// CountRejected counts a refused request.
func (c *Counters) CountRejected() { c.rejected.Add(1) }

// CountSlow counts a slow-consumer disconnect.
func (c *Counters) CountSlow() { c.slow.Add(1) }

// CountGap counts a gap signal sent.
func (c *Counters) CountGap() { c.gaps.Add(1) }

// CountSent counts n messages written.
func (c *Counters) CountSent(n int) { c.sent.Add(int64(n)) }

// CountEmpty counts an empty poll answer.
func (c *Counters) CountEmpty() { c.empty.Add(1) }
