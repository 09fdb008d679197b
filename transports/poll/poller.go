package poll

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// poller is a poll client's state for a reader that owns the connection
// (transports.Poller): the same requests, cursor, pacing and reports as
// client.Run, with the answer parsed as it arrives (answer.go).
type poller struct {
	hold     bool
	interval int64 // short poll: ns between slots
	next     int64 // short poll: the next slot (Unix ns)
	timeout  time.Duration
	prefix   string // "GET /path"
	suffix   string // " HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n"

	cursor int64
	since  int64 // the cursor the client started from (-1: from now)
	first  bool  // no answer yet
	onConn int   // requests sent on the current connection
	busy   bool  // a request is out, its answer not complete
	told   bool  // Connected was reported
	closes bool  // an answer said Connection: close
	a      answer
}

// newPollState returns the Poll descriptor of the transport at path.
func newPollState(hold bool, path string) *transports.Poll {
	return &transports.Poll{NewPoller: func(opts transports.ClientOptions, since int64) (transports.Poller, error) {
		return newPoller(opts, hold, path, since)
	}}
}

// newPoller builds the request net/http's client sends for client's URL
// (the Host, the User-Agent, no Accept-Encoding: compression is off).
func newPoller(opts transports.ClientOptions, hold bool, path string, since int64) (*poller, error) {
	opts = opts.WithDefaults()
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/") + path)
	if err != nil {
		return nil, fmt.Errorf("failed to build poll request: %w", err)
	}
	if u.Scheme != "http" || opts.TLS != nil || opts.HTTP2 || opts.Shared != nil {
		return nil, errors.New("poll: the poller speaks plaintext HTTP/1.1 only")
	}
	p := &poller{hold: hold, timeout: opts.Timeout, cursor: since, since: since, first: true,
		prefix: "GET " + u.EscapedPath(),
		suffix: " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: Go-http-client/1.1\r\n\r\n"}
	if hold {
		p.timeout = opts.ReadTimeout
	} else {
		p.interval = int64(opts.PollInterval)
		p.next = time.Now().UnixNano() + rand.Int64N(p.interval)
	}
	return p, nil
}

// Request implements transports.Poller. With a cursor the client is
// connected at its first request (client.Run: once the connection is up).
func (p *poller) Request(dst []byte, e *transports.PollEnv) []byte {
	if !p.told && p.since >= 0 {
		p.told = true
		e.Sink.Connected()
	}
	p.onConn++
	p.busy = true
	p.a.reset()
	dst = append(dst, p.prefix...)
	if p.cursor >= 0 {
		dst = append(dst, "?since="...)
		dst = strconv.AppendInt(dst, p.cursor, 10)
	}
	return append(dst, p.suffix...)
}

// Feed implements transports.Poller.
func (p *poller) Feed(b []byte, e *transports.PollEnv) (bool, error) {
	if !p.busy {
		return false, fmt.Errorf("failed to poll: unsolicited response %q on an idle connection", b[:min(len(b), 64)])
	}
	rest, done, err := p.a.feed(b, p, e)
	if err != nil || !done {
		return false, err
	}
	if len(rest) > 0 {
		return false, fmt.Errorf("failed to poll: %d bytes past the answer", len(rest))
	}
	return true, p.answered(e)
}

// answered ends an answer as client.Run does: a non-200 is the
// connection's error; else Polled, the head as the cursor of a client
// that started from now, and Empty.
func (p *poller) answered(e *transports.PollEnv) error {
	p.busy = false
	if p.a.close {
		p.closes = true
	}
	if err := p.a.status(); err != nil {
		return err
	}
	e.Sink.Polled()
	fromNow := p.first && p.since < 0
	if fromNow {
		p.cursor = p.a.head
		p.told = true
		e.Sink.Connected()
	}
	if p.a.n == 0 && !fromNow {
		e.Sink.Empty()
	}
	p.first = false
	return nil
}

// End implements transports.Poller. An answer without a length ends with
// the connection. A connection that ends or fails between answers, or
// before a byte of the answer to a request that followed another on it,
// is replaced, as net/http replaces it (a timeout is never: it is the
// request's own).
func (p *poller) End(err error, e *transports.PollEnv) error {
	busy, reused, started := p.busy, p.onConn > 1, p.a.started
	p.onConn, p.busy, p.closes = 0, false, false
	p.a.obj, p.a.ctl, p.a.hbuf, p.a.body = nil, nil, nil, nil
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("failed to poll: %w", err)
	case err == io.EOF && busy && p.a.toEOF && !p.a.inHead:
		if aerr := p.a.endToEOF(); aerr != nil {
			return aerr
		}
		if aerr := p.answered(e); aerr != nil {
			return aerr
		}
		return transports.ErrPollReconnect
	case !busy, reused && !started:
		return transports.ErrPollReconnect
	case err != io.EOF:
		return fmt.Errorf("failed to poll: %w", err)
	case started:
		return fmt.Errorf("failed to read poll answer: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("failed to poll: %w", io.EOF)
}

// KeepAlive implements transports.Poller.
func (p *poller) KeepAlive() bool { return !p.closes }

// Next implements transports.Poller: a short poll's slots are every
// interval from a random phase, and a late poll skips those it missed
// (transports.PollPacer).
func (p *poller) Next(now int64) int64 {
	if p.hold {
		return now
	}
	for p.next <= now {
		p.next += p.interval
	}
	return p.next
}

// Timeout implements transports.Poller.
func (p *poller) Timeout() time.Duration { return p.timeout }

// message reports one object of the answer and advances the cursor.
func (p *poller) message(f wire.Frame, e *transports.PollEnv) {
	if f.Gap {
		e.Sink.Gap(f.First, f.Last)
		p.cursor = f.Last
		return
	}
	e.Sink.Message(f.Seq, f.Sent, f.PayloadSize)
	p.cursor = f.Seq
}
