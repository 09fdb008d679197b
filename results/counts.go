package results

import "fmt"

// Counts is the message accounting of one client, of a load-generator
// worker, or of a whole window: the one type the load generator fills per
// client, sums per window and the record keeps. Every field is counted
// where it happens, none is derived from the others, so Reconcile is a
// real check.
type Counts struct {
	Expected        int64 `json:"expected"`          // window messages the clients should have (published x clients)
	Delivered       int64 `json:"delivered"`         // distinct window messages that arrived (Late included)
	Lost            int64 `json:"lost"`              // window messages that never arrived
	ClientsWithLoss int64 `json:"clients_with_loss"` // clients with at least one lost message
	Late            int64 `json:"late"`              // arrived after the drain deadline, within the grace period
	Unexpected      int64 `json:"unexpected"`        // seqs outside the window's published range
	Duplicates      int64 `json:"duplicates"`
	Reorders        int64 `json:"reorders"`    // messages that arrived after a later one
	Holes           int64 `json:"holes"`       // jumps past the next expected seq
	GapSignals      int64 `json:"gap_signals"` // explicit gap signals received
	GapMessages     int64 `json:"gap_messages"`
	Reconnects      int64 `json:"reconnects"`
	Drops           int64 `json:"drops"` // connections that ended with an error
	Polls           int64 `json:"polls"`
	EmptyPolls      int64 `json:"empty_polls"`
	ClampedSamples  int64 `json:"clamped_samples"` // latencies above 60 s, recorded as 60 s
	UnderRange      int64 `json:"under_range"`     // negative latencies (clock skew), recorded as 1 µs
	// Raw is every message a client's parser handed over while the window
	// was open, counted before anything looks at its seq: the figure the
	// server's ledger of messages written is compared with.
	Raw int64 `json:"raw"`
	// Discarded arrived in the window but belongs before it (a warm-up
	// message replayed after a reconnect): not measured, but counted.
	Discarded int64 `json:"discarded"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Expected += o.Expected
	c.Delivered += o.Delivered
	c.Lost += o.Lost
	c.ClientsWithLoss += o.ClientsWithLoss
	c.Late += o.Late
	c.Unexpected += o.Unexpected
	c.Duplicates += o.Duplicates
	c.Reorders += o.Reorders
	c.Holes += o.Holes
	c.GapSignals += o.GapSignals
	c.GapMessages += o.GapMessages
	c.Reconnects += o.Reconnects
	c.Drops += o.Drops
	c.Polls += o.Polls
	c.EmptyPolls += o.EmptyPolls
	c.ClampedSamples += o.ClampedSamples
	c.UnderRange += o.UnderRange
	c.Raw += o.Raw
	c.Discarded += o.Discarded
}

// Reconcile checks that the counts agree with each other: every raw
// arrival was delivered, a duplicate, unexpected or discarded (so a path
// that drops a message after the parser handed it over shows here), every
// expected message was either delivered or lost, and late ones are among
// the delivered. The server's ledger is the other witness, compared with
// Raw where the record has one (Delivery.ServerWritten).
func (c Counts) Reconcile() error {
	if sum := c.Delivered + c.Duplicates + c.Unexpected + c.Discarded; sum != c.Raw {
		return fmt.Errorf("clients parsed %d messages but accounted for %d (delivered %d + duplicates %d + unexpected %d + discarded %d)",
			c.Raw, sum, c.Delivered, c.Duplicates, c.Unexpected, c.Discarded)
	}
	if c.Delivered+c.Lost != c.Expected {
		return fmt.Errorf("delivered %d + lost %d = %d, expected %d", c.Delivered, c.Lost, c.Delivered+c.Lost, c.Expected)
	}
	if c.Late > c.Delivered {
		return fmt.Errorf("late %d exceeds delivered %d", c.Late, c.Delivered)
	}
	return nil
}
