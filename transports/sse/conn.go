package sse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/push"
	"github.com/pushbench/pushbench/transports/wire"
)

// conn is the http.ResponseWriter the library writes one subscriber's
// stream to. It adds what the library lacks:
//
//   - WriteHeader(200), which the library calls only after it registered the
//     subscriber (http.go:60-72), writes the retry line and replays the log
//     from the cursor to the head, so nothing published after registration
//     is missed and nothing before it is lost;
//   - a filter that drops live events the replay already sent;
//   - a write deadline of opts.WriteTimeout on every write; on the first
//     failure it cancels the request context the library watches
//     (http.go:62), so the library deregisters the subscriber, and it fails
//     every later write at once so the library's loop drains fast.
//
// The queue bound (log head minus last seq written over opts.QueueLen) is
// checked before each replay batch and, as in push.Follow, counts only the
// messages published since the connection started: what was in the log
// then is replay, read as fast as the client takes it, so a client that
// resumes far behind (one the shared stream delayed, say) catches up
// instead of being refused on every reconnect. It is not checked on live
// writes: in the library a subscriber's own queue is its 64-slot channel,
// and what lies beyond it backs up into the stream shared by everyone
// (stream.go:77-79), so when one subscriber stalls every subscriber's
// backlog grows alike. A live check would cut every healthy subscriber
// after any stall (and, by the same rule, refuse their resumes), instead of
// showing the delay the library causes.
//
// A conn is used by the library's handler goroutine only.
type conn struct {
	s       *Server
	w       http.ResponseWriter
	rc      *http.ResponseController
	cancel  context.CancelFunc
	cursor  int64
	f       filter
	armed   bool  // the write deadline is set for the writes before the next flush
	started bool  // WriteHeader(200) ran the replay
	err     error // the first failure; every later write returns it
	buf     []byte
}

func newConn(s *Server, w http.ResponseWriter, cursor int64, cancel context.CancelFunc) *conn {
	return &conn{s: s, w: w, rc: http.NewResponseController(w), cancel: cancel, cursor: cursor}
}

// Header returns the response header.
func (c *conn) Header() http.Header { return c.w.Header() }

// WriteHeader writes the status; for 200 it then writes the retry line and
// the replay.
func (c *conn) WriteHeader(code int) {
	c.w.WriteHeader(code)
	if code != http.StatusOK || c.started {
		return
	}
	c.started = true
	b := append(c.buf[:0], "retry: "...)
	b = strconv.AppendInt(b, c.s.opts.Retry.Milliseconds(), 10)
	c.buf = append(b, "\n\n"...)
	if c.write(c.buf) != nil {
		return
	}
	last, err := c.replay()
	if err != nil {
		c.fail(err)
		return
	}
	c.f.last = last
}

// replay writes every entry after the cursor up to the head as it is now,
// checking the queue bound on what arrived since it started before each
// batch, as push.Follow does, and
// returns the last seq written. Entries after that head were appended after
// the library registered this subscriber, so the library delivers them.
func (c *conn) replay() (int64, error) {
	cursor, target := c.cursor, int64(-1)
	entries := make([]*msglog.Entry, 0, batch)
	for target < 0 || cursor < target {
		got, gap, head, err := c.s.log.Since(cursor, batch, entries[:0])
		if err != nil {
			return cursor, err
		}
		if target < 0 {
			target = head
		}
		if err := c.checkBacklog(head, max(cursor, target)); err != nil {
			return cursor, err
		}
		b := c.buf[:0]
		if gap != nil {
			b = appendGap(b, gap.First, gap.Last)
			c.s.CountGap()
			cursor = gap.Last
		}
		n := 0
		for _, e := range got {
			if e.Seq > target {
				break
			}
			b = append(b, "id: "...)
			b = strconv.AppendInt(b, e.Seq, 10)
			b = append(b, "\ndata: "...)
			b = append(b, e.JSON...)
			b = append(b, "\n\n"...)
			cursor = e.Seq
			n++
		}
		c.buf = b
		if len(b) == 0 {
			break
		}
		c.armed = false // a new batch gets a fresh deadline
		if err := c.write(b); err != nil {
			return cursor, err
		}
		c.s.CountSent(n)
	}
	return cursor, nil
}

// appendGap appends the gap signal event; its id moves the client's cursor
// past the gap.
func appendGap(b []byte, first, last int64) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, last, 10)
	b = append(b, "\nevent: gap\ndata: "...)
	b = wire.AppendGapJSON(b, first, last)
	return append(b, "\n\n"...)
}

// Write takes one of the library's writes and passes, drops or prefixes it
// as the filter says.
func (c *conn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	a, id, gapFirst := c.f.step(p)
	switch a {
	case drop:
		return len(p), nil
	case pass:
		return len(p), c.write(p)
	}
	if a == gapThen {
		c.buf = appendGap(c.buf[:0], gapFirst, id-1)
		if err := c.write(c.buf); err != nil {
			return 0, err
		}
		c.s.CountGap()
	}
	if err := c.write(p); err != nil {
		return 0, err
	}
	c.s.CountSent(1)
	return len(p), nil
}

// Flush sends what is buffered; the library calls it after every event.
func (c *conn) Flush() {
	if c.err != nil {
		return
	}
	if err := c.arm(); err != nil {
		return
	}
	c.armed = false
	if err := c.rc.Flush(); err != nil {
		c.fail(err)
	}
}

// write writes p under the write deadline.
func (c *conn) write(p []byte) error {
	if err := c.arm(); err != nil {
		return err
	}
	if _, err := c.w.Write(p); err != nil {
		return c.fail(err)
	}
	return nil
}

// arm sets the write deadline once per flush cycle: the writes of one event
// (or one replay batch) and the flush after them happen back to back, so
// each of them must finish within opts.WriteTimeout of the cycle's start.
func (c *conn) arm() error {
	if c.armed {
		return nil
	}
	if err := c.rc.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout)); err != nil {
		return c.fail(fmt.Errorf("failed to set write deadline: %w", err))
	}
	c.armed = true
	return nil
}

// finish gives net/http's closing write (the last chunk) a fresh deadline
// after the library's handler returns; the last event's may have passed
// while the stream was idle.
func (c *conn) finish() {
	if c.err == nil {
		_ = c.rc.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	}
}

// checkBacklog applies the queue bounds: head minus the last seq written,
// and the bytes held after it.
func (c *conn) checkBacklog(head, last int64) error {
	if backlog := head - last; backlog > int64(c.s.opts.QueueLen) {
		c.s.CountSlow()
		return fmt.Errorf("%w (backlog %d > %d)", push.ErrSlowConsumer, backlog, c.s.opts.QueueLen)
	}
	if backlog := c.s.log.BytesAfter(last); backlog > c.s.opts.QueueBytes {
		c.s.CountSlow()
		return fmt.Errorf("%w (backlog %d bytes > %d)", push.ErrSlowConsumer, backlog, c.s.opts.QueueBytes)
	}
	return nil
}

// fail records the first failure, counts a timed-out write as a slow
// consumer, and cancels the library's request context so it deregisters
// the subscriber.
func (c *conn) fail(err error) error {
	if c.err != nil {
		return c.err
	}
	var ne net.Error
	if !errors.Is(err, push.ErrSlowConsumer) &&
		(errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		c.s.CountSlow()
		err = fmt.Errorf("%w: %v", push.ErrSlowConsumer, err)
	}
	c.err = err
	c.cancel()
	return err
}
