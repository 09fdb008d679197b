package transports

import (
	"errors"
	"time"
)

// Poller is one poll client's protocol state, for a reader that owns the
// client's connection itself (the load generator's reactor): the request
// bytes, the incremental parse of each answer, the cursor and the pacing.
// It reports to the env's sink exactly what the transport's own client
// reports to its Receiver, in the same order. The caller writes each
// request, feeds the answer's bytes as they arrive, in pieces of any size,
// and asks for the next request when Next says. A Poller outlives a
// connection that ends with ErrPollReconnect (its cursor carries on); it
// is used by one goroutine at a time.
type Poller interface {
	// Request appends the next poll request to dst (one HTTP/1.1 request
	// on a kept-alive connection) and starts reading its answer.
	Request(dst []byte, e *PollEnv) []byte
	// Feed parses b, the next bytes of the answer (valid only during the
	// call). done: the answer is complete and b held nothing past it. An
	// error ends the connection.
	Feed(b []byte, e *PollEnv) (done bool, err error)
	// End is told that the connection ended (io.EOF) or failed, and
	// returns the connection's error as the client would describe it;
	// ErrPollReconnect when the client would open a new connection
	// without a failure (the server closed a kept-alive connection, or
	// said it would).
	End(err error, e *PollEnv) error
	// KeepAlive is false once an answer said the connection closes after
	// it (Connection: close).
	KeepAlive() bool
	// Next is when the next request is due (Unix ns) after an answer
	// completed at now: now for a long poll, the next slot for a short one.
	Next(now int64) int64
	// Timeout is how long an answer may take after its request.
	Timeout() time.Duration
}

// PollSink takes what a Poller reports: a Receiver's calls, with
// PollReceiver's Polled.
type PollSink interface {
	StreamSink
	Connected()
	Polled()
	Empty()
}

// PollEnv is what a Poller works with during one call: where its reports
// go, and a scratch buffer that may be shared by many connections (a
// poller keeps nothing in it between calls).
type PollEnv struct {
	Sink    PollSink
	Scratch []byte
}

// ErrPollReconnect is a Poller's End error for a connection the client
// replaces at once without counting a failure, as net/http does: the
// server closed it between answers, or before a byte of the answer to a
// request sent on it after another, or announced it would close.
var ErrPollReconnect = errors.New("the server closed the kept-alive poll connection")

// Poll is how a poll transport's client can run inside someone else's
// event loop (the load generator's reactor), over plaintext HTTP/1.1.
// Variants have none: their bytes are TLS or HTTP/2.
type Poll struct {
	// NewPoller returns the state of one client resuming after cursor
	// since (-1: from now) with opts (BaseURL, PollInterval, Timeout,
	// ReadTimeout), as NewClient's Run would.
	NewPoller func(opts ClientOptions, since int64) (Poller, error)
}
