package loadgen

import (
	"errors"
	"io"
	"time"
)

// A pushParser reads one held push connection's byte stream as it arrives
// in pieces of any size, with the state of a partial frame or event kept
// between pieces (and allocated only while one is partial). It reports what
// it decodes to the env's sink, exactly as the transport's own client would
// (the parser tests check this on the same streams split at every byte).
// A parser is used by one goroutine at a time.
type pushParser interface {
	// feed parses b, which is valid only during the call. An error ends
	// the connection; errStreamEnd says the stream ended cleanly.
	feed(b []byte, e *env) error
	// end is told that the connection's byte stream ended (io.EOF) or
	// failed, and returns the connection's error.
	end(err error, e *env) error
}

// pushSink takes what a parser decodes (a *vclient in the generator).
type pushSink interface {
	Message(seq, sent int64, size int)
	Gap(first, last int64)
	Retry(d time.Duration)
}

// env is what a parser works with during one call: where decoded events go,
// a scratch buffer shared by the connections of one reactor (a parser keeps
// nothing in it between calls), and the connection's write side (WebSocket
// pongs and close replies).
type env struct {
	sink    pushSink
	scratch []byte
	out     io.Writer
}

// errStreamEnd ends a connection whose stream ended cleanly by its own
// framing (an SSE body's last chunk).
var errStreamEnd = errors.New("stream ended by the server")

// Transports whose held connection the reactor can read: the push
// transports whose client pushbench controls, in plaintext. Keyed by the
// descriptor's name because the parsers are per protocol.
var reactorProtocols = map[string]handshakeEnd{
	"rawtcp":    rawAck,
	"sse-lean":  httpHead,
	"websocket": httpHead,
}

// newParser returns the parser for a transport's held connection; head is
// the HTTP response head the handshake read (SSE: it says how the body is
// framed).
func newParser(transport string, head []byte) (pushParser, error) {
	switch transport {
	case "rawtcp":
		return &rawParser{}, nil
	case "sse-lean":
		return newSSEParser(head)
	case "websocket":
		return &wsParser{}, nil
	}
	return nil, errors.New("no reactor parser for " + transport)
}
