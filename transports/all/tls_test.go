package all_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// TestTLSVariantsVerifyTheServer: every TLS variant really speaks TLS and
// verifies the server: the same client trusting another certificate is
// refused at the handshake and never connects.
func TestTLSVariantsVerifyTheServer(t *testing.T) {
	forEach(t, func(t *testing.T, tr transports.Transport) {
		if !tr.TLS() {
			return
		}
		e := newEnv(t, tr, 100, transports.ServerOptions{})
		_, other := testTLS(t, tr.Variant)
		opts := e.dopts
		opts.TLS = other
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rec := newRecorder()
		err := e.clientWith(t, opts).Run(ctx, 0, rec)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Run with a client trusting another certificate: %v; want a certificate error", err)
		}
		if rec.Connects != 0 {
			t.Errorf("connected %d times to a server it does not trust", rec.Connects)
		}
	})
}
