package transports

import (
	"errors"
	"io"
	"time"
)

// StreamParser reads one held push connection's byte stream, past its
// handshake, as it arrives in pieces of any size, with the state of a
// partial frame or event kept between pieces (and allocated only while one
// is partial): a whole message in one piece costs no allocation. It reports
// what it decodes to the env's sink exactly as the transport's own client
// reports it to a Receiver (each transport's tests check this on the same
// streams split at every byte). A parser is used by one goroutine at a
// time.
//
// Its shape is bufio.SplitFunc's: the caller owns the bytes and the
// buffers, the parser consumes what it is handed.
type StreamParser interface {
	// Feed parses b, which is valid only during the call. An error ends
	// the connection; ErrStreamEnd says the stream ended cleanly by its
	// own framing (the caller then calls End with it).
	Feed(b []byte, e *StreamEnv) error
	// End is told that the connection's byte stream ended (io.EOF),
	// failed, or ended by its framing (ErrStreamEnd), and returns the
	// connection's error as the transport's client would describe it.
	End(err error, e *StreamEnv) error
}

// StreamSink takes what a StreamParser decodes.
type StreamSink interface {
	Message(seq, sent int64, size int)
	Gap(first, last int64)
	Retry(d time.Duration)
}

// StreamEnv is what a StreamParser works with during one call: where decoded
// events go (Sink), a scratch buffer that may be shared by many connections
// (a parser keeps nothing in it between calls, and may leave it grown), and
// the connection's write side (Out: a WebSocket pong or close reply; it
// must not block).
type StreamEnv struct {
	Sink    StreamSink
	Scratch []byte
	Out     io.Writer
}

// A StreamClient is a client whose held connection is read by a parser it
// makes itself, for the connection its last Run handed off: a client whose
// stream depends on its own state (a target's endpoint and its resume
// cursor), where a transport's Stream.NewParser cannot know it.
type StreamClient interface {
	Client
	// StreamHandshake says where the handshake ends; false when this
	// client's connections cannot be handed off (TLS, a framing the
	// reactor does not read).
	StreamHandshake() (HandshakeEnd, bool)
	// NewStreamParser returns the parser of the connection the client's
	// last Run handed off, past its handshake (head: the HTTP response
	// head).
	NewStreamParser(head []byte) (StreamParser, error)
}

// ErrStreamEnd is a StreamParser's Feed error for a stream that ended
// cleanly by its own framing (an HTTP body's last chunk).
var ErrStreamEnd = errors.New("stream ended by the server")

// HandshakeEnd says where a transport's handshake ends in the bytes its
// server sends first, so that a reader can hand the connection's stream to
// a StreamParser at that point.
type HandshakeEnd uint8

const (
	// HandshakeHTTPHead: the HTTP response head's blank line (an SSE
	// response, a WebSocket upgrade).
	HandshakeHTTPHead HandshakeEnd = iota + 1
	// HandshakeEmptyFrame: a 4-byte zero length prefix (an empty frame of
	// length-prefixed framing); any other first four bytes are the start
	// of an error the client reads itself.
	HandshakeEmptyFrame
)

// Stream is how a push transport's held connection can be read by someone
// other than its client (the load generator's reactor): where its handshake
// ends, and a parser for what follows. The transport's client still makes
// the handshake.
type Stream struct {
	Handshake HandshakeEnd
	// NewParser returns a parser for one connection; head is the HTTP
	// response head the handshake read (nil without one): it says how an
	// HTTP body is framed.
	NewParser func(head []byte) (StreamParser, error)
}
