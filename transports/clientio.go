package transports

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// ReadInto appends everything rd yields to buf and returns it, growing buf
// only when a message is larger than any before: a client reading whole
// messages (a WebSocket frame, a poll answer) reuses one buffer.
func ReadInto(rd io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// DeadlineConn renews the read deadline before every read, so a
// connection silent for Timeout fails instead of hanging.
type DeadlineConn struct {
	net.Conn
	Timeout time.Duration
}

func (d *DeadlineConn) Read(p []byte) (int, error) {
	if err := d.Conn.SetReadDeadline(time.Now().Add(d.Timeout)); err != nil {
		return 0, err
	}
	return d.Conn.Read(p)
}

// PollPacer spaces a short poll's requests every interval from a random
// phase: real clients start polling at unrelated moments, and a common
// phase would line every client's polls up with the publisher's schedule.
// A poll that ran late skips the slots it missed rather than catching up.
// Not safe for concurrent use; Stop it when done.
type PollPacer struct {
	interval time.Duration
	next     time.Time
	timer    *time.Timer
}

// NewPollPacer returns a pacer whose first slot is within one interval.
func NewPollPacer(interval time.Duration) *PollPacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &PollPacer{interval: interval, next: time.Now().Add(time.Duration(rand.Int64N(int64(interval)))), timer: t}
}

// Wait blocks until the next slot; false when ctx ended first.
func (p *PollPacer) Wait(ctx context.Context) bool {
	now := time.Now()
	for !p.next.After(now) {
		p.next = p.next.Add(p.interval)
	}
	p.timer.Reset(p.next.Sub(now))
	select {
	case <-ctx.Done():
		return false
	case <-p.timer.C:
		return true
	}
}

// Stop releases the pacer's timer.
func (p *PollPacer) Stop() { p.timer.Stop() }
