package target

import (
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sselean"
	"github.com/pushbench/pushbench/transports/websocket"
)

var _ transports.StreamClient = (*Client)(nil)

// StreamHandshake says whether the load generator's reactor may read this
// client's connections once Run has made the handshake: an SSE endpoint
// over plain HTTP, whose body sse-lean's stream parser reads as runSSE
// reads it, and a WebSocket endpoint over ws://, whose frames the
// websocket transport's parser reads as receiveWebSocket does
// (NewStreamParser). Socket.IO, the polls and TLS stay with Run.
func (c *Client) StreamHandshake() (transports.HandshakeEnd, bool) {
	scheme := map[string]string{"sse": "http", "websocket": "ws"}[c.ep.Framing]
	if scheme == "" {
		return 0, false
	}
	u, _, err := c.expandVars(c.vars)
	if err != nil || u.Scheme != scheme {
		return 0, false
	}
	return transports.HandshakeHTTPHead, true
}

// NewStreamParser returns the parser of what follows head, the response
// head of the connection Run handed off: each SSE event's data or
// WebSocket message goes to document (a message over MaxDocumentBytes
// ends the connection), the last event ID to the client's resume state
// (resume.kind last-event-id), as Run does. Its sink gets the messages;
// the client keeps what it resumes from for its next Run.
func (c *Client) NewStreamParser(head []byte) (transports.StreamParser, error) {
	doc := func(data []byte, e *transports.StreamEnv) error {
		c.sink.StreamSink = e.Sink
		_, err := c.document(data, &c.sink, nil)
		c.sink.StreamSink = nil
		return err
	}
	if c.ep.Framing == "websocket" {
		return websocket.NewStreamParserWith(websocket.StreamHooks{Message: doc, Limit: MaxDocumentBytes}), nil
	}
	h := sselean.StreamHooks{Event: doc}
	if c.kind == "last-event-id" {
		h.ID = func(id []byte) { c.lastID = append(c.lastID[:0], id...) }
	}
	return sselean.NewStreamParserWith(head, h)
}

// streamReceiver is a StreamSink as the Receiver document reports to.
type streamReceiver struct{ transports.StreamSink }

func (streamReceiver) Connected() {}
func (streamReceiver) Empty()     {}
