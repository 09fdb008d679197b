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
