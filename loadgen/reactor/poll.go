package reactor

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/transports"
)

// PollOwner is the client a held poll connection belongs to: an Owner
// that also takes a poll client's reports (transports.PollSink).
type PollOwner interface {
	Owner
	Connected()
	Polled()
	Empty()
}

// HoldPoll gives the reactor a poll client's connection: fd, connected and
// not yet used (the reactor's to close from now on), and the client's
// poller. The loop writes each request, feeds the answer to the poller as
// it arrives, and writes the next request when the poller says it is due
// (at once for a long poll; a short poll waits in the reactor's queue, not
// in a timer of its own). An answer late past the poller's timeout ends
// the connection. lifeEnd is as for Hold. An error (the reactor has shut
// down) means the connection is closed and o will not hear of it.
func (r *Reactor) HoldPoll(fd int, p transports.Poller, o PollOwner, lifeEnd int64) error {
	c := &conn{fd: fd, o: o, po: o, poll: p, lifeEnd: lifeEnd, stamped: enableRxStamps(fd), qi: -1}
	if !r.register(c) {
		unix.Close(fd)
		return errors.New("the reactor has stopped")
	}
	return nil
}

// request writes c's next poll request.
func (r *Reactor) request(c *conn, now int64) {
	r.penv.Sink = c.po
	r.wbuf = c.poll.Request(r.wbuf[:0], &r.penv)
	if _, err := c.Write(r.wbuf); err != nil {
		r.close(c, c.poll.End(err, &r.penv), false)
		return
	}
	c.deadline = now + int64(c.poll.Timeout())
}

// feedPoll gives c's poller the bytes of a read (at: when they were
// read) and, once its answer is whole, asks for the next one: at once, or
// at its slot in the queue.
func (r *Reactor) feedPoll(c *conn, b []byte, at int64) {
	r.penv.Sink = c.po
	done, err := c.poll.Feed(b, &r.penv)
	switch {
	case err != nil:
		r.close(c, err, false)
		return
	case !done:
		return
	case !c.poll.KeepAlive():
		r.close(c, c.poll.End(io.EOF, &r.penv), false)
		return
	}
	c.deadline = 0
	due := c.poll.Next(at)
	if due <= at {
		r.request(c, at)
		return
	}
	c.due = due
	heap.Push(&r.queue, c)
}

// fire writes the requests due by now.
func (r *Reactor) fire(now int64) {
	for len(r.queue) > 0 && r.queue[0].due <= now {
		c := heap.Pop(&r.queue).(*conn)
		r.request(c, now)
	}
}

// nextDue is the earliest of deadline and the first queued request.
func (r *Reactor) nextDue(deadline time.Time) time.Time {
	if len(r.queue) > 0 && r.queue[0].due < deadline.UnixNano() {
		return time.Unix(0, r.queue[0].due)
	}
	return deadline
}

// overdue ends a poll connection whose answer is late.
func (r *Reactor) overdue(c *conn, now int64) bool {
	if c.deadline == 0 || now <= c.deadline {
		return false
	}
	err := fmt.Errorf("no answer within %v: %w", c.poll.Timeout(), os.ErrDeadlineExceeded)
	r.penv.Sink = c.po
	r.close(c, c.poll.End(err, &r.penv), false)
	return true
}

// pollQueue is the loop's queue of poll connections waiting for their
// next request's slot, earliest first: one heap for every short-poll
// client of the reactor.
type pollQueue []*conn

func (q pollQueue) Len() int           { return len(q) }
func (q pollQueue) Less(i, j int) bool { return q[i].due < q[j].due }
func (q pollQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].qi, q[j].qi = i, j
}

func (q *pollQueue) Push(x any) {
	c := x.(*conn)
	c.qi = len(*q)
	*q = append(*q, c)
}

func (q *pollQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	c.qi = -1
	return c
}
