package serve_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/serve"
)

func tlsService(t *testing.T, certPEM, keyPEM, ticket []byte) *serve.Service {
	t.Helper()
	return start(t, serve.Config{Transports: []string{"sse-lean+tls", "rawtcp+tls"}, Control: true,
		TLSAddr: "127.0.0.1:0", RawTLSAddr: "127.0.0.1:0", TLSCert: certPEM, TLSKey: keyPEM, TicketKey: ticket})
}

// TestTLSListenerIsTLS13WithTheGivenCertificate: the TLS listener presents
// the certificate it was given, which a client trusting only it verifies,
// speaks HTTP/2 or HTTP/1.1 as ALPN chooses, and refuses TLS 1.2.
func TestTLSListenerIsTLS13WithTheGivenCertificate(t *testing.T) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	svc := tlsService(t, certPEM, keyPEM, nil)
	if !bytes.Equal(svc.CertPEM(), certPEM) || !strings.HasPrefix(svc.TLSBaseURL(), "https://127.0.0.1:") || svc.RawTLSAddr() == "" {
		t.Fatalf("cert given back %v, TLS base %q, raw TLS %q", bytes.Equal(svc.CertPEM(), certPEM), svc.TLSBaseURL(), svc.RawTLSAddr())
	}
	cfg, err := transports.ClientTLS(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, h2 := range []bool{false, true} {
		tr := &http.Transport{TLSClientConfig: cfg.Clone(), ForceAttemptHTTP2: h2}
		resp, err := (&http.Client{Transport: tr}).Get(svc.TLSBaseURL() + "/stats")
		if err != nil {
			t.Fatalf("GET /stats over TLS (h2 %v): %v", h2, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if want := map[bool]int{false: 1, true: 2}[h2]; resp.ProtoMajor != want || resp.TLS.Version != tls.VersionTLS13 {
			t.Errorf("h2 %v: %s over TLS %x, want HTTP/%d over TLS 1.3", h2, resp.Proto, resp.TLS.Version, want)
		}
	}
	old := cfg.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	for _, addr := range []string{strings.TrimPrefix(svc.TLSBaseURL(), "https://"), svc.RawTLSAddr()} {
		if c, err := tls.Dial("tcp", addr, old); err == nil {
			c.Close()
			t.Errorf("%s accepted a TLS 1.2 client; want TLS 1.3 only", addr)
		}
	}
}

// TestTicketKeyResumesAcrossProcesses: two services given one certificate
// and one ticket key (as the processes of a run sharing a port are)
// resume each other's sessions; with keys of their own they cannot.
func TestTicketKeyResumesAcrossProcesses(t *testing.T) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, transports.TicketKeySize)
	for _, shared := range []bool{true, false} {
		a := tlsService(t, certPEM, keyPEM, key)
		var bKey []byte // nil: a random key of its own
		if shared {
			bKey = key
		}
		b := tlsService(t, certPEM, keyPEM, bKey)
		cfg, err := transports.ClientTLS(certPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		var resumed []bool
		for _, svc := range []*serve.Service{a, b} {
			c, err := tls.Dial("tcp", svc.RawTLSAddr(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Read the handshake's acknowledgement (after sending one), so
			// the session ticket that precedes it is taken in.
			if _, err := c.Write(make([]byte, 9)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
				t.Fatal(err)
			}
			resumed = append(resumed, c.ConnectionState().DidResume)
			c.Close()
		}
		if resumed[0] || resumed[1] != shared {
			t.Errorf("shared key %v: first handshake resumed %v, second (other process) resumed %v; want false, %v", shared, resumed[0], resumed[1], shared)
		}
	}
}
