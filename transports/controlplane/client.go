package controlplane

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
)

// ErrUnauthorized marks a control call the other process refused with
// 401: the coordinator has no token, or not its token.
var ErrUnauthorized = errors.New("refused our token (401): give pushbench run the same token as the process, with --token-file PATH or " + EnvVar)

// Client is how a coordinator reaches control APIs: the token it sends
// and the certificates it trusts for https:// addresses (nil: the
// system's).
type Client struct {
	Token Token
	Roots *x509.CertPool
}

// HTTP returns an HTTP client that sends the token with every request,
// uses no proxy and keeps up to idle connections per host.
func (c Client) HTTP(idle int) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: idle, ForceAttemptHTTP2: false}
	if c.Roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: c.Roots, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = tr
	if c.Token.Set() {
		rt = bearer{tr, "Bearer " + c.Token.Secret()}
	}
	return &http.Client{Transport: rt}
}

// Env is the environment entry that hands the token to a child process
// (nil with no token).
func (c Client) Env() []string {
	if !c.Token.Set() {
		return nil
	}
	return []string{EnvVar + "=" + c.Token.Secret()}
}

type bearer struct {
	next   *http.Transport
	header string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", b.header)
	return b.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (b bearer) CloseIdleConnections() { b.next.CloseIdleConnections() }
