package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
)

// tlsListenerFor is the address a TLS variant is served on, and the flag
// that sets it.
func tlsListenerFor(t transports.Transport, cfg Config) (addr, flag string) {
	if t.Path == "" {
		return cfg.RawTLSAddr, "--raw-tls-addr"
	}
	return cfg.TLSAddr, "--tls-addr"
}

// httpServer is the HTTP server of one listener. No server-wide
// ReadTimeout or WriteTimeout: either would end the push streams. Headers
// have their own timeout, bodies guard's, and every write its own deadline
// (the transports' WriteTimeout).
func (s *Service) httpServer(mux http.Handler) *http.Server {
	return &http.Server{Handler: guard(mux, s.cfg.BodyTimeout), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
}

// listenTLS serves mux over TLS on Config.TLSAddr and the raw transport
// over TLS on Config.RawTLSAddr, when set, with one certificate and ticket
// key. Connections count against the same cap as the plain listeners (a
// refused one is closed: a plaintext refusal would mean nothing inside a
// TLS handshake).
func (s *Service) listenTLS(mux http.Handler) error {
	if s.cfg.TLSAddr == "" && s.cfg.RawTLSAddr == "" {
		return nil
	}
	certPEM, keyPEM := s.cfg.TLSCert, s.cfg.TLSKey
	if len(certPEM) == 0 {
		var err error
		if certPEM, keyPEM, err = transports.NewCert(); err != nil {
			return err
		}
	}
	cfg, err := transports.ServerTLS(certPEM, keyPEM, s.cfg.TicketKey, []string{"h2", "http/1.1"})
	if err != nil {
		return err
	}
	s.certPEM = certPEM
	if s.cfg.TLSAddr != "" {
		ln, err := s.listenTCP(s.cfg.TLSAddr)
		if err != nil {
			return fmt.Errorf("failed to listen on %s for TLS (use --tls-addr to pick another): %w", s.cfg.TLSAddr, err)
		}
		s.tlsLn = ln
		s.tlsSrv = s.httpServer(mux)
		transports.ServerProtocols(s.tlsSrv, transports.VariantH2, s.cfg.MaxStreams)
		tln := tls.NewListener(&cappedListener{Listener: ln, cap: s.conns}, cfg)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.tlsSrv.Serve(tln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.errs <- err
			}
		}()
	}
	if s.cfg.RawTLSAddr == "" {
		return nil
	}
	for _, t := range s.order {
		l, ok := s.servers[t.Name].(transports.Listener)
		if !ok {
			continue
		}
		ln, err := s.listenTCP(s.cfg.RawTLSAddr)
		if err != nil {
			s.closeTLS()
			return fmt.Errorf("failed to listen on %s for %s over TLS (use --raw-tls-addr to pick another): %w", s.cfg.RawTLSAddr, t.Name, err)
		}
		s.rawTLSLn = ln
		tln := tls.NewListener(&cappedListener{Listener: ln, cap: s.conns}, cfg)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := l.Serve(context.Background(), tln); err != nil {
				s.errs <- err
			}
		}()
		break
	}
	return nil
}

// closeTLS closes the TLS listeners (Start failing after listenTLS).
func (s *Service) closeTLS() {
	if s.tlsSrv != nil {
		s.tlsSrv.Close()
	}
	if s.rawTLSLn != nil {
		s.rawTLSLn.Close()
	}
}

// TLSBaseURL is the HTTPS base URL ("" without Config.TLSAddr).
func (s *Service) TLSBaseURL() string {
	if s.tlsLn == nil {
		return ""
	}
	return "https://" + s.tlsLn.Addr().String()
}

// RawTLSAddr is the raw-TCP-over-TLS address ("" when not served).
func (s *Service) RawTLSAddr() string {
	if s.rawTLSLn == nil {
		return ""
	}
	return s.rawTLSLn.Addr().String()
}

// CertPEM is the certificate clients must trust for the TLS listeners
// (nil without them).
func (s *Service) CertPEM() []byte { return s.certPEM }

// tlsURLs describes the TLS endpoints, one line each.
func (s *Service) tlsURLs() []string {
	var out []string
	for _, t := range s.order {
		switch {
		case t.Path != "" && s.tlsLn != nil:
			name := facts.VariantName(t.Name, facts.VariantTLS)
			if slices.Contains(t.Variants, facts.VariantH2) {
				name += ", " + facts.VariantName("", facts.VariantH2) + " by ALPN"
			}
			out = append(out, fmt.Sprintf("%-10s %s%s", name, s.TLSBaseURL(), t.Path))
		case t.Path == "" && s.rawTLSLn != nil:
			out = append(out, fmt.Sprintf("%-10s tls://%s", facts.VariantName(t.Name, facts.VariantTLS), s.RawTLSAddr()))
		}
	}
	return out
}

var _ net.Listener = (*cappedListener)(nil)
