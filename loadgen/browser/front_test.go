package browser

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// Front is a TLS reverse proxy on loopback in front of a plaintext
// pushbench server, so a browser can reach it over HTTP/2 (browsers speak
// h2 only over TLS). It is the stand-in until pushbench serve serves TLS
// itself; the browser code only needs its base URL. Its certificate is
// made at start (ECDSA P-256) for 127.0.0.1: the browser must be launched
// with Config.IgnoreCertErrors.
type Front struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	URL  string // https://127.0.0.1:PORT
	// Desc says what it is, for records.
	Desc string
}

// StartFront proxies to backend (http://host:port), offering ALPN h2 when
// h2 is set and HTTP/1.1 only otherwise. Streams are flushed as they come
// (text/event-stream and chunked answers), WebSocket upgrades pass through
// over HTTP/1.1.
func StartFront(backend string, h2 bool) (*Front, error) {
	u, err := url.Parse(backend)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("front: backend %q: want http://host:port", backend)
	}
	cert, err := loopbackCert()
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: false}
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(h2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("front: %w", err)
	}
	f := &Front{ln: ln, done: make(chan struct{}), URL: "https://" + ln.Addr().String()}
	// ErrorLog: Chromium opens spare connections it may drop mid-handshake.
	f.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second, Protocols: &protos, ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}}
	f.Desc = "in-process TLS 1.3 reverse proxy (HTTP/1.1 only) to " + backend
	if h2 {
		f.Desc = "in-process TLS 1.3 reverse proxy (ALPN h2) to " + backend
	}
	go func() {
		defer close(f.done)
		_ = f.srv.ServeTLS(ln, "", "")
	}()
	return f, nil
}

// Close stops the front and its connections.
func (f *Front) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if f.srv.Shutdown(ctx) != nil {
		f.srv.Close()
	}
	<-f.done
	if t, ok := f.srv.Handler.(*httputil.ReverseProxy).Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// loopbackCert is the certificate serve makes at start (transports.NewCert).
func loopbackCert() (tls.Certificate, error) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
