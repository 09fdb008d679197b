// Package reactor holds idle push connections without a goroutine each, for
// the load generator's reactor mode: Handoff takes a connection out of Go's
// netpoller once the transport's own client has made its handshake, and a
// Reactor reads it with the transport's StreamParser. A poll client's
// connection is held whole (HoldPoll): the reactor writes its requests and
// reads its answers with the transport's Poller.
package reactor

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/transports"
)

// A Reactor holds idle push connections without a goroutine each: their
// descriptors (duplicated out of Go's netpoller at handoff) are registered
// with an epoll instance of its own, one goroutine waits on it, reads each
// ready connection into one buffer shared by all of them and hands the bytes
// to the connection's parser, which keeps only a partial frame or event
// between reads. It also ends connections silent for the read timeout and
// those whose churn lifetime is over (a sweep, every sweepEvery).
//
// Why an epoll set of its own and not Go's netpoller for each connection
// (syscall.RawConn.Read with a callback): RawConn.Read parks the calling
// goroutine until its descriptor is readable, so it needs a goroutine per
// connection again, with its stack (at least 2 KiB, grown to 8 KiB by the
// decode and accounting the callback runs) and its g: the cost this path
// exists to remove. The two are combined instead: the epoll descriptor is
// the one descriptor the reactor's goroutine waits on through Go's
// netpoller (wait). Measured on 6,000 idle loopback connections: 6.5 KiB a
// connection parked in RawConn.Read, 1.7 in an epoll set (both ends in one
// process); docs/ARCHITECTURE.md has the rest.
//
// Hold, Wake and Shutdown are safe for concurrent use; Run is the loop,
// run by one goroutine.
type Reactor struct {
	epfd int
	ep   *os.File        // epfd, in Go's netpoller: the loop parks there
	raw  syscall.RawConn // ep's
	evfd int             // eventfd: wakes the loop for new connections and shutdown

	mu      sync.Mutex
	pending []*conn // handed off, not yet registered
	closed  bool

	lag atomic.Int64 // the most the loop ran behind its sweep schedule (ns), see TakeLag

	// Client lag (see rxstamp.go): every read, those with a kernel receive
	// timestamp, their summed and their largest wait in the socket (ns).
	reads, waitN, waitSum, waitMax atomic.Int64

	// Owned by the loop's goroutine.
	conns []*conn // by slot (the epoll event's data)
	free  []int32
	buf   []byte
	oob   []byte // a read's control bytes: the kernel's receive timestamp
	env   transports.StreamEnv
	penv  transports.PollEnv
	wbuf  []byte    // a poll request being written
	queue pollQueue // poll connections waiting for their next request
}

// Owner is the client a held connection belongs to: it takes what the
// connection's parser decodes, counts the bytes read and written, and is
// told of the connection's end (planned: its lifetime is over), after which
// the reactor holds the connection no more. Arrived comes before the bytes
// of each read are parsed, with the time they reached this host (Unix ns):
// the kernel's receive timestamp of the read's newest byte where the
// socket gives one (rxstamp.go), else the time they were read. One time
// per read, shared by the messages it carried: neither the loop's delay
// in reading a connection nor the parse time of a read's last message
// counts as its latency, and a message that came in an earlier segment
// of the same read is given the newest one's time, never an earlier one
// than its own. Its
// methods are called from the reactor's loop, or from the goroutine that
// calls Hold or Shutdown.
type Owner interface {
	transports.StreamSink
	Arrived(at int64)
	BytesRead(n int)
	BytesWritten(n int)
	Ended(err error, planned bool)
}

// conn is one held connection.
type conn struct {
	fd       int
	slot     int32
	o        Owner
	p        transports.StreamParser
	lastRead int64 // Unix ns
	lifeEnd  int64 // Unix ns; 0: no churn lifetime
	stamped  bool  // the kernel stamps its reads (SO_TIMESTAMPING)

	// A poll client's connection (HoldPoll): p is nil.
	poll     transports.Poller
	po       PollOwner
	deadline int64 // Unix ns: the answer to the request out is due; 0: none out
	due      int64 // Unix ns: the next request, while queued
	qi       int   // index in the queue; -1: not queued
}

// reactorBuffer is each reactor's read buffer, shared by its connections.
const reactorBuffer = 64 << 10

const wakeSlot = -1

// New returns a reactor with its epoll set; Run starts its loop.
func New() (*Reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	// The epoll descriptor is itself readable while any of its connections
	// is: registered with Go's netpoller, the loop parks in it like any
	// goroutine reading a socket, instead of blocking a thread in
	// epoll_wait (which cost twice the CPU per idle connection: every wake
	// took a P back from the scheduler).
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	ep := os.NewFile(uintptr(epfd), "epoll")
	raw, err := ep.SyscallConn()
	if err == nil {
		err = ep.SetReadDeadline(time.Time{}) // fails unless the netpoller holds it
	}
	if err != nil {
		ep.Close()
		unix.Close(evfd)
		return nil, fmt.Errorf("epoll in Go's netpoller: %w", err)
	}
	return &Reactor{epfd: epfd, ep: ep, raw: raw, evfd: evfd, buf: make([]byte, reactorBuffer), oob: make([]byte, oobSize)}, nil
}

// Hold gives the reactor a handed-off connection: fd (the reactor's to
// close from now on), the parser of its stream, and left, the bytes that
// arrived with the handshake, parsed at once; lifeEnd (Unix ns; 0 for none)
// is when the sweep ends it as planned. An error (left failed to parse, or
// the reactor has shut down) means the connection is closed and o will not
// hear of it.
func (r *Reactor) Hold(fd int, p transports.StreamParser, o Owner, left []byte, lifeEnd int64) error {
	c := &conn{fd: fd, o: o, p: p, lifeEnd: lifeEnd, stamped: enableRxStamps(fd), qi: -1}
	e := transports.StreamEnv{Sink: o, Out: c}
	o.Arrived(time.Now().UnixNano())
	if err := p.Feed(left, &e); err != nil {
		if errors.Is(err, transports.ErrStreamEnd) {
			err = p.End(err, &e)
		}
		unix.Close(fd)
		return err
	}
	if !r.register(c) {
		unix.Close(fd)
		return errors.New("the reactor has stopped")
	}
	return nil
}

// register queues c for the loop; false when the reactor has shut down.
func (r *Reactor) register(c *conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.pending = append(r.pending, c)
	r.wakeLocked()
	return true
}

// Wake makes the loop look at its context and its pending connections.
func (r *Reactor) Wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.wakeLocked()
	}
}

func (r *Reactor) wakeLocked() {
	var one = [8]byte{1}
	_, _ = unix.Write(r.evfd, one[:]) // EAGAIN: a wake-up is already pending
}

// Run is the loop: it reads the connections as they become readable and,
// every sweepEvery, ends those silent for readTimeout and those whose
// lifetime is over. It returns when ctx is done (noticed at the next wake:
// call Wake), after closing every connection and its own descriptors.
func (r *Reactor) Run(ctx context.Context, sweepEvery time.Duration, readTimeout time.Duration) {
	events := make([]unix.EpollEvent, 256)
	next := time.Now().Add(sweepEvery)
	for {
		n, err := r.wait(events, r.nextDue(next))
		if err != nil {
			r.Shutdown(err)
			return
		}
		if ctx.Err() != nil {
			r.Shutdown(nil)
			return
		}
		now := time.Now()
		r.adopt(now.UnixNano())
		for _, ev := range events[:max(n, 0)] {
			if ev.Fd == wakeSlot {
				var b [8]byte
				_, _ = unix.Read(r.evfd, b[:])
				continue
			}
			if c := r.conns[ev.Fd]; c != nil {
				r.read(c)
			}
		}
		r.fire(now.UnixNano())
		if !now.Before(next) {
			r.noteLag(now.Sub(next))
			r.sweep(now.UnixNano(), readTimeout)
			next = now.Add(sweepEvery)
		}
	}
}

// noteLag keeps the most the loop ran behind its sweep schedule: a loop
// busy parsing (or starved of CPU) notices its deadline late, and so do
// the reads waiting on it.
func (r *Reactor) noteLag(d time.Duration) {
	for {
		old := r.lag.Load()
		if int64(d) <= old || r.lag.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// TakeLag returns the most the loop ran behind its sweep schedule since
// the last call, and starts over.
func (r *Reactor) TakeLag() time.Duration { return time.Duration(r.lag.Swap(0)) }

// wait returns the ready events, or none at the deadline.
func (r *Reactor) wait(events []unix.EpollEvent, deadline time.Time) (int, error) {
	if err := r.ep.SetReadDeadline(deadline); err != nil {
		return 0, fmt.Errorf("epoll deadline: %w", err)
	}
	var n int
	var werr error
	err := r.raw.Read(func(fd uintptr) bool {
		for {
			n, werr = unix.EpollWait(int(fd), events, 0)
			if !errors.Is(werr, unix.EINTR) {
				return n > 0 || werr != nil
			}
		}
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("epoll wait: %w", err)
	case werr != nil:
		return 0, fmt.Errorf("epoll_wait: %w", werr)
	}
	return n, nil
}

// adopt registers the pending connections.
func (r *Reactor) adopt(now int64) {
	r.mu.Lock()
	pending := r.pending
	r.pending = nil
	r.mu.Unlock()
	for _, c := range pending {
		if len(r.free) > 0 {
			c.slot = r.free[len(r.free)-1]
			r.free = r.free[:len(r.free)-1]
			r.conns[c.slot] = c
		} else {
			c.slot = int32(len(r.conns))
			r.conns = append(r.conns, c)
		}
		c.lastRead = now
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: c.slot}
		switch err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); {
		case err != nil:
			r.close(c, fmt.Errorf("failed to register with epoll: %w", err), false)
		case c.poll != nil:
			r.request(c, now)
		}
	}
}

// read reads once from a ready connection (level-triggered: more is
// reported again) and parses what arrived.
func (r *Reactor) read(c *conn) {
	for {
		n, kernelAt, err := r.recv(c)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return
		case err != nil:
			r.end(c, os.NewSyscallError("read", err))
			return
		case n == 0:
			r.end(c, io.EOF)
			return
		}
		at := time.Now().UnixNano() // one reading per read, for every message in it
		r.reads.Add(1)
		arrived := at
		if kernelAt > 0 {
			r.noteWait(at - kernelAt)
			arrived = min(at, kernelAt)
		}
		c.o.BytesRead(n)
		c.o.Arrived(arrived)
		c.lastRead = at
		if c.poll != nil {
			r.feedPoll(c, r.buf[:n], at)
			return
		}
		r.env.Sink, r.env.Out = c.o, c
		if err := c.p.Feed(r.buf[:n], &r.env); err != nil {
			if errors.Is(err, transports.ErrStreamEnd) {
				err = c.p.End(err, &r.env)
			}
			r.close(c, err, false)
		}
		return
	}
}

// recv reads once from c: with recvmsg and the kernel's receive timestamp
// (Unix ns; 0 without one) when c is stamped, else with read.
func (r *Reactor) recv(c *conn) (n int, kernelAt int64, err error) {
	if !c.stamped {
		n, err = unix.Read(c.fd, r.buf)
		return n, 0, err
	}
	n, oobn, _, _, err := unix.Recvmsg(c.fd, r.buf, r.oob, 0)
	if err != nil || n == 0 {
		return n, 0, err
	}
	return n, rxStamp(r.oob[:oobn]), nil
}

// noteWait counts one read whose bytes waited d in the socket.
func (r *Reactor) noteWait(d int64) {
	d = max(d, 0) // the two clocks are one; a negative wait is rounding
	r.waitN.Add(1)
	r.waitSum.Add(d)
	for {
		old := r.waitMax.Load()
		if d <= old || r.waitMax.CompareAndSwap(old, d) {
			return
		}
	}
}

// TakeWait returns the reads since the last call and how long their bytes
// waited in their sockets, by the kernel's receive timestamps: the number
// of reads, of stamped reads (whose messages were timed at the stamp),
// their mean and their longest wait; and starts over.
func (r *Reactor) TakeWait() (reads, stamped int64, mean, longest time.Duration) {
	reads, stamped, sum, most := r.reads.Swap(0), r.waitN.Swap(0), r.waitSum.Swap(0), r.waitMax.Swap(0)
	if stamped > 0 {
		mean = time.Duration(sum / stamped)
	}
	return reads, stamped, mean, time.Duration(most)
}

// end ends a connection whose stream ended or failed with err.
func (r *Reactor) end(c *conn, err error) {
	if c.poll != nil {
		r.penv.Sink = c.po
		r.close(c, c.poll.End(err, &r.penv), false)
		return
	}
	r.env.Sink, r.env.Out = c.o, c
	r.close(c, c.p.End(err, &r.env), false)
}

// sweep ends connections silent for the read timeout (polls: whose
// answer is late), and those whose lifetime is over.
func (r *Reactor) sweep(now int64, readTimeout time.Duration) {
	for _, c := range r.conns {
		switch {
		case c == nil:
		case c.lifeEnd > 0 && now >= c.lifeEnd:
			r.close(c, nil, true)
		case c.poll != nil:
			r.overdue(c, now)
		case now-c.lastRead > int64(readTimeout):
			r.env.Sink, r.env.Out = c.o, c
			r.close(c, c.p.End(fmt.Errorf("stream silent for %v: %w", readTimeout, os.ErrDeadlineExceeded), &r.env), false)
		}
	}
}

// close closes a connection and tells its owner (planned: its lifetime is
// over).
func (r *Reactor) close(c *conn, err error, planned bool) {
	unix.Close(c.fd)
	if c.qi >= 0 {
		heap.Remove(&r.queue, c.qi)
	}
	if r.conns[c.slot] == c {
		r.conns[c.slot] = nil
		r.free = append(r.free, c.slot)
	}
	c.o.Ended(err, planned)
}

// Shutdown closes every connection, the pending ones too (their owners are
// told, with err), and the reactor's descriptors. Run calls it as it ends;
// call it only for a reactor whose Run never started.
func (r *Reactor) Shutdown(err error) {
	r.mu.Lock()
	r.closed = true
	pending := r.pending
	r.pending = nil
	r.mu.Unlock()
	for _, c := range pending {
		unix.Close(c.fd)
		c.o.Ended(err, false)
	}
	for _, c := range r.conns {
		if c != nil {
			r.close(c, err, false)
		}
	}
	r.conns = nil
	r.ep.Close()
	unix.Close(r.evfd)
}

// Write writes a whole reply (a WebSocket pong or close) on a non-blocking
// socket; a full send buffer is an error, not a wait: the reactor never
// blocks on one connection.
func (c *conn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(c.fd, b[done:])
		if n > 0 {
			done += n
			c.o.BytesWritten(n)
		}
		switch {
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return done, errors.New("send buffer full")
		case err != nil:
			return done, os.NewSyscallError("write", err)
		}
	}
	return done, nil
}
