package sse

import (
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sselean"
)

// stream is how the load generator's reactor reads a held sse connection
// past its response head, after the library client made the handshake.
// The library server writes SSE as the standard frames it, which
// sse-lean's parser reads (chunked body, id, event, data, comments), so
// that parser reads it here, with one difference kept from this package's
// client: a retry field is not reported (dispatch drops the library's
// retry-only event), so the reconnect delay is the scenario's in both
// client modes. TestStreamParserMatchesLibraryClient checks the two on the
// library server's own bytes.
var stream = &transports.Stream{
	Handshake: transports.HandshakeHTTPHead,
	NewParser: func(head []byte) (transports.StreamParser, error) {
		p, err := sselean.NewStreamParser(head)
		if err != nil {
			return nil, err
		}
		return &noRetry{p: p}, nil
	},
}

// noRetry is a parser whose retry fields are not reported. Its sink wraps
// the env's for the length of one call; it allocates nothing.
type noRetry struct {
	p    transports.StreamParser
	sink retryless
}

type retryless struct{ transports.StreamSink }

func (retryless) Retry(time.Duration) {}

func (n *noRetry) Feed(b []byte, e *transports.StreamEnv) error {
	n.sink.StreamSink, e.Sink = e.Sink, &n.sink
	err := n.p.Feed(b, e)
	e.Sink, n.sink.StreamSink = n.sink.StreamSink, nil
	return err
}

func (n *noRetry) End(err error, e *transports.StreamEnv) error {
	n.sink.StreamSink, e.Sink = e.Sink, &n.sink
	err = n.p.End(err, e)
	e.Sink, n.sink.StreamSink = n.sink.StreamSink, nil
	return err
}
