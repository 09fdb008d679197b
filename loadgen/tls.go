package loadgen

import (
	"crypto/tls"
	"sync/atomic"
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
		c.shard.handshook(g, &c.tcpUp, cs.DidResume)
		return nil
	}
	opts.TLS = cfg
}

// handshook records one TLS handshake into the shard, timed from when its
// TCP connection was up (*up, Unix ns). It runs on the goroutine that
// dialled.
func (s *shard) handshook(g *Generator, up *atomic.Int64, resumed bool) {
	t := up.Load()
	if t == 0 {
		return
	}
	us := time.Since(time.Unix(0, t)).Microseconds()
	w := g.win.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if w == nil || s.epoch != w.epoch {
		return // before the first window
	}
	if resumed {
		record(s.tlsResumed, us)
	} else {
		record(s.tlsFull, us)
	}
}
