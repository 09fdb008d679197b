package transports

import (
	"net/http"
)

// ServerProtocols sets what an HTTP server speaks for a variant's
// listener: HTTP/1.1 always; on a TLS listener HTTP/2 too (chosen by ALPN,
// so a TLS variant's HTTP/1.1 clients are unaffected); for h2c, HTTP/2 in
// cleartext with prior knowledge as well. maxStreams is the most
// concurrent streams a client may open on one HTTP/2 connection (0: Go's
// default, 250).
func ServerProtocols(s *http.Server, variant string, maxStreams int) {
	var p http.Protocols
	p.SetHTTP1(true)
	switch variant {
	case VariantTLS, VariantH2:
		p.SetHTTP2(true)
	case VariantH2C:
		p.SetUnencryptedHTTP2(true)
	}
	s.Protocols = &p
	if maxStreams > 0 {
		s.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: maxStreams}
	}
}

// DefaultStreamsPerConn is how many clients share one HTTP/2 connection
// unless told otherwise: a browser's usual stream limit.
const DefaultStreamsPerConn = 100

// SharedHTTP2 returns an http.Transport for several virtual clients that
// speaks only HTTP/2 (h2 by ALPN when opts.TLS is set, else h2c with prior
// knowledge) over at most one connection, dialled through opts.Dial. With
// StrictMaxConcurrentRequests a request past the server's stream limit
// waits for a stream instead of opening another connection, as a browser
// does, so a benchmark of multiplexing never silently measures more
// connections.
func SharedHTTP2(opts ClientOptions) *http.Transport {
	opts = opts.WithDefaults()
	var p http.Protocols
	if opts.TLS != nil {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         opts.Dial,
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     opts.ReadTimeout,
		DisableCompression:  true,
		Protocols:           &p,
		HTTP2:               &http.HTTP2Config{StrictMaxConcurrentRequests: true},
	}
	if opts.TLS != nil {
		tr.DialTLSContext = DialTLS(opts, "h2")
	}
	return tr
}

// ClientTransport is the http.Transport one client's Run uses: opts.Shared
// when set (release does nothing: the connection carries other clients),
// else one of its own (HTTPTransport; SharedHTTP2 when opts.HTTP2), which
// release closes.
func ClientTransport(opts ClientOptions) (tr *http.Transport, release func()) {
	if opts.Shared != nil {
		return opts.Shared, func() {}
	}
	if opts.HTTP2 {
		tr = SharedHTTP2(opts)
	} else {
		tr = HTTPTransport(opts)
	}
	return tr, tr.CloseIdleConnections
}
