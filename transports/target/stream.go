package target

import (
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sselean"
)

var _ transports.StreamClient = (*Client)(nil)

// StreamHandshake says whether the load generator's reactor may read this
// client's connections once Run has made the handshake: an SSE endpoint
// over plain HTTP, whose body sse-lean's stream parser reads as runSSE
// reads it (NewStreamParser). The other framings, and SSE over TLS, stay
// with Run.
func (c *Client) StreamHandshake() (transports.HandshakeEnd, bool) {
	if c.ep.Framing != "sse" {
		return 0, false
	}
	u, _, err := c.expandVars(c.vars)
	if err != nil || u.Scheme != "http" {
		return 0, false
	}
	return transports.HandshakeHTTPHead, true
}

// NewStreamParser returns the parser of the SSE body that follows head:
// each event's data goes to document, the last event ID to the client's
// resume state (resume.kind last-event-id), as in runSSE. Its sink gets
// the messages; the client keeps what it resumes from for its next Run.
func (c *Client) NewStreamParser(head []byte) (transports.StreamParser, error) {
	h := sselean.StreamHooks{Event: func(data []byte, e *transports.StreamEnv) error {
		c.sink.StreamSink = e.Sink
		_, err := c.document(data, &c.sink, nil)
		c.sink.StreamSink = nil
		return err
	}}
	if c.kind == "last-event-id" {
		h.ID = func(id []byte) { c.lastID = append(c.lastID[:0], id...) }
	}
	return sselean.NewStreamParserWith(head, h)
}

// streamReceiver is a StreamSink as the Receiver document reports to.
type streamReceiver struct{ transports.StreamSink }

func (streamReceiver) Connected() {}
func (streamReceiver) Empty()     {}
