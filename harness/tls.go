package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pushbench/pushbench/transports"
)

// startTLSServers starts the server processes for tr; for a TLS variant
// it first makes the run's certificate, key and session ticket key (files
// in a private temporary folder, removed when the servers stop), so every
// process of the run presents the same certificate and resumes the
// others' sessions: SO_REUSEPORT sends a reconnect to any of them.
func startTLSServers(ctx context.Context, bin string, a serverArgs, n int, tr transports.Transport) (*servers, error) {
	if !tr.TLS() {
		return startServers(ctx, bin, a, n)
	}
	dir, err := os.MkdirTemp("", "pushbench-tls-")
	if err != nil {
		return nil, fmt.Errorf("failed to make a folder for the TLS files: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		cleanup()
		return nil, err
	}
	ticket := make([]byte, transports.TicketKeySize)
	if _, err := rand.Read(ticket); err != nil {
		cleanup()
		return nil, fmt.Errorf("failed to make a session ticket key: %w", err)
	}
	a.TLS, a.Raw = true, tr.Path == ""
	a.CertFile, a.KeyFile, a.TicketKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ticket.key")
	for _, f := range []struct {
		path string
		data []byte
	}{{a.CertFile, certPEM}, {a.KeyFile, keyPEM}, {a.TicketKey, []byte(hex.EncodeToString(ticket))}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			cleanup()
			return nil, fmt.Errorf("failed to write %s: %w", f.path, err)
		}
	}
	s, err := startServers(ctx, bin, a, n)
	if err != nil {
		cleanup()
		return nil, err
	}
	if (a.Raw && s.raw == "") || (!a.Raw && s.base == "") {
		s.stop()
		cleanup()
		return nil, errors.New("the server did not report its TLS listener")
	}
	s.certPEM, s.cleanup = string(certPEM), cleanup
	return s, nil
}

// useRemoteTLS points the clients at remote servers' TLS listeners and
// learns the certificate to trust from their /control/status.
func (s *servers) useRemoteTLS(ctx context.Context, tr transports.Transport) error {
	p := s.now()[0]
	st, err := p.status(ctx, false)
	if err != nil {
		return err
	}
	addr := st.TLSBase
	if tr.Path == "" {
		addr = st.RawTLS
	}
	if addr == "" || st.CertPEM == "" {
		return fmt.Errorf("%s is TLS, but the server at %s serves no TLS listener for it: start it with --tls-addr (and --raw-tls-addr for rawtcp)", tr.Name, p.control)
	}
	if tr.Path == "" {
		s.raw = addr
	} else {
		s.base = addr
	}
	s.certPEM = st.CertPEM
	for _, q := range s.now() {
		q.base, q.raw = s.base, s.raw
	}
	return nil
}
