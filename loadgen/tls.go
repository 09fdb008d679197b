package loadgen

import (
	"crypto/tls"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// clientTLS gives client c its own copy of the TLS configuration, when the
// transport is TLS: its own session cache when resuming (a browser keeps
// one per profile; one entry is all one origin needs), and a hook that
// times and classifies every handshake (full or resumed) into c's shard.
func (g *Generator) clientTLS(c *vclient, opts *transports.ClientOptions) {
	if opts.TLS == nil {
		return
	}
	cfg := opts.TLS.Clone()
	if g.cfg.Resumption {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	} else {
		cfg.ClientSessionCache = nil
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		c.handshook(cs.DidResume)
		return nil
	}
	opts.TLS = cfg
}

// handshook records one TLS handshake, timed from the TCP connection. It
// runs on the goroutine that dialled.
func (c *vclient) handshook(resumed bool) {
	up := c.tcpUp.Load()
	if up == 0 {
		return
	}
	us := time.Since(time.Unix(0, up)).Microseconds()
	w := c.gen.win.Load()
	c.shard.mu.Lock()
	defer c.shard.mu.Unlock()
	if w == nil || c.shard.epoch != w.epoch {
		return // before the first window
	}
	if resumed {
		record(c.shard.tlsResumed, us)
	} else {
		record(c.shard.tlsFull, us)
	}
}
