package transports

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// NewCert makes a self-signed ECDSA P-256 certificate for 127.0.0.1, ::1
// and localhost, valid for a week from an hour ago, and returns it and its
// key in PEM. It is what serve makes at start when given none, and what the
// harness makes once for every server process of a run (so they share it).
func NewCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to make a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to make a certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "pushbench", Organization: []string{"pushbench"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own trust anchor in the client's pool
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to make a certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to encode the TLS key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// TicketKeySize is the size of a session ticket key.
const TicketKeySize = 32

// ServerTLS is the server side's TLS configuration: TLS 1.3 only, session
// tickets on, and, when ticketKey is set, tickets sealed with it, so every
// server process given the same key resumes the others' sessions (without
// it each process has its own random key, and a reconnect that lands on
// another process pays a full handshake). nextProtos are offered by ALPN.
func ServerTLS(certPEM, keyPEM []byte, ticketKey []byte, nextProtos []string) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("failed to load the TLS certificate and key: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		NextProtos:   nextProtos,
	}
	if ticketKey != nil {
		if len(ticketKey) != TicketKeySize {
			return nil, fmt.Errorf("session ticket key has %d bytes, want %d", len(ticketKey), TicketKeySize)
		}
		var k [TicketKeySize]byte
		copy(k[:], ticketKey)
		cfg.SetSessionTicketKeys([][TicketKeySize]byte{k})
	}
	return cfg, nil
}

// ClientTLS is a client configuration that trusts only the certificate in
// certPEM (never InsecureSkipVerify), TLS 1.3 only. Give each virtual
// client its own Clone with its own ClientSessionCache to resume as a
// browser does.
func ClientTLS(certPEM []byte) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("no PEM certificate to trust: give the server's certificate (serve --tls-cert, or /control/status's cert_pem)")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}, nil
}

// DialTLS returns a DialFunc that dials through opts.Dial (a plain
// net.Dialer when nil) and completes a TLS handshake with opts.TLS over
// that connection, offering nextProtos by ALPN; dial and handshake
// together are bounded by opts.Timeout (10 s when zero). So the bytes the
// dial function counts are the encrypted ones, handshakes included.
func DialTLS(opts ClientOptions, nextProtos ...string) DialFunc {
	opts = opts.WithDefaults()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if opts.TLS == nil {
			return nil, errors.New("DialTLS: ClientOptions.TLS is nil")
		}
		ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		raw, err := opts.Dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := opts.TLS.Clone()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		if len(nextProtos) > 0 {
			cfg.NextProtos = nextProtos
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("failed TLS handshake with %s: %w", addr, err)
		}
		return tc, nil
	}
}
