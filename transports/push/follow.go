// Package push holds the one connection loop every push transport (SSE,
// WebSocket, raw TCP) runs per connection, so they share one slow-consumer
// policy, one resume rule and one heartbeat rule.
package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// ErrSlowConsumer ends a connection whose backlog passed the queue bound or
// whose write passed its deadline.
var ErrSlowConsumer = errors.New("slow consumer: backlog over the queue bound or write deadline passed")

// Writer writes one connection's frames. Writes may be buffered; Flush sends
// them. Each call must honour the server's write deadline. A Writer is used
// by one goroutine.
type Writer interface {
	WriteMessages(entries []*msglog.Entry) error
	WriteGap(g msglog.Gap) error
	WriteHeartbeat() error
	Flush() error
}

// Start resolves a client's cursor: since < 0 means "from now". A cursor
// beyond the newest message is an error that names the head.
func Start(log *msglog.Log, since int64) (int64, error) {
	head := log.Head()
	if since < 0 {
		return head, nil
	}
	if since > head {
		return 0, fmt.Errorf("cursor %d is ahead of the newest message %d: %w", since, head, msglog.ErrAhead)
	}
	return since, nil
}

// batch is the most entries written between two flushes, batchBytes the
// most message bytes (past the first message), so one write deadline
// covers a bounded amount of data.
const (
	batch      = 256
	batchBytes = 1 << 20
)

// Follow writes every entry after cursor to w, in order, until ctx is done
// (returns nil) or the connection fails. The connection's backlog (newest
// seq minus the last seq written) is its queue: when it exceeds
// opts.QueueLen messages or opts.QueueBytes bytes, or a write times out, Follow counts a slow-consumer
// disconnect and returns ErrSlowConsumer. Only live messages count towards
// the backlog: what was already in the log when the connection started is
// replay, read from the log as fast as the client takes it, so a client that
// resumes far behind can still catch up. Messages that left the ring are
// reported with WriteGap, never skipped silently. When nothing is written
// for opts.Heartbeat, a heartbeat is sent.
func Follow(ctx context.Context, log *msglog.Log, cursor int64, opts transports.ServerOptions, c *transports.Counters, w Writer) error {
	hb := time.NewTimer(opts.Heartbeat)
	defer hb.Stop()
	buf := make([]*msglog.Entry, 0, batch)
	live := log.Head() // messages after this one are queued for this connection
	for {
		changed := log.Changed()
		entries, gap, head, err := log.SinceBytes(cursor, batch, batchBytes, buf[:0])
		if err != nil {
			return err
		}
		if backlog := head - max(cursor, live); backlog > int64(opts.QueueLen) {
			c.CountSlow()
			return fmt.Errorf("%w (backlog %d > %d)", ErrSlowConsumer, backlog, opts.QueueLen)
		}
		if backlog := log.BytesAfter(max(cursor, live)); backlog > opts.QueueBytes {
			c.CountSlow()
			return fmt.Errorf("%w (backlog %d bytes > %d)", ErrSlowConsumer, backlog, opts.QueueBytes)
		}
		wrote := false
		if gap != nil {
			if err := w.WriteGap(*gap); err != nil {
				return writeFailed(c, err)
			}
			c.CountGap()
			cursor, wrote = gap.Last, true
		}
		if len(entries) > 0 {
			if err := w.WriteMessages(entries); err != nil {
				return writeFailed(c, err)
			}
			c.CountSent(len(entries))
			cursor, wrote = entries[len(entries)-1].Seq, true
		}
		if wrote {
			if err := w.Flush(); err != nil {
				return writeFailed(c, err)
			}
			resetTimer(hb, opts.Heartbeat)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-hb.C:
			if err := w.WriteHeartbeat(); err != nil {
				return writeFailed(c, err)
			}
			if err := w.Flush(); err != nil {
				return writeFailed(c, err)
			}
			hb.Reset(opts.Heartbeat)
		}
	}
}

// writeFailed classifies a write error: a deadline is the slow-consumer
// policy at work; anything else is the peer going away.
func writeFailed(c *transports.Counters, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		c.CountSlow()
		return fmt.Errorf("%w: %v", ErrSlowConsumer, err)
	}
	return err
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}
