package loadgen

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/pushbench/pushbench/transports"
)

// connGroup is one shared HTTP/2 connection and the clients on it: the
// generator's clients i*n .. i*n+n-1 for n streams per connection, as a
// browser's tabs share one connection per origin. Its socket bytes and
// dials are counted for the group (a stream's own bytes cannot be told
// apart on a multiplexed connection).
type connGroup struct {
	tr                  *http.Transport
	bytesIn, bytesOut   atomic.Int64
	tcpUp               atomic.Int64
	dials               atomic.Int64 // connections opened
	bytesIn0, bytesOut0 int64        // at the window's start (under Generator.mu)
}

// streamsPerConn is how many clients share a connection.
func (g *Generator) streamsPerConn() int {
	if g.cfg.StreamsPerConn > 0 {
		return g.cfg.StreamsPerConn
	}
	return transports.DefaultStreamsPerConn
}

// shareConn puts client i (index in this generator) on its group's
// connection, making the group when i is its first client. g.mu is not
// held; clients start one at a time (Add).
func (g *Generator) shareConn(c *vclient, i int, opts *transports.ClientOptions) {
	n := i / g.streamsPerConn()
	g.mu.Lock()
	for len(g.groups) <= n {
		g.groups = append(g.groups, nil)
	}
	grp := g.groups[n]
	if grp == nil {
		grp = &connGroup{}
		counted := dialer(sourceFor(g.cfg.FirstClient+i), opts.Timeout, g.cfg.Allowed, &grp.bytesIn, &grp.bytesOut, &grp.tcpUp)
		gopts := *opts
		gopts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			grp.dials.Add(1)
			return counted(ctx, network, addr)
		}
		if gopts.TLS != nil {
			gopts.TLS = gopts.TLS.Clone()
			gopts.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
				c.shard.handshook(c.gen, &grp.tcpUp, cs.DidResume)
				return nil
			}
		}
		grp.tr = transports.SharedHTTP2(gopts)
		g.groups[n] = grp
	}
	g.mu.Unlock()
	opts.Shared = grp.tr
}

// groupBytes adds the shared connections' bytes since the window opened.
// g.mu is held.
func (g *Generator) groupBytes(w *Window) {
	for _, grp := range g.groups {
		if grp == nil {
			continue
		}
		w.BytesIn += grp.bytesIn.Load() - grp.bytesIn0
		w.BytesOut += grp.bytesOut.Load() - grp.bytesOut0
		w.Conns += grp.dials.Load()
	}
}

// startGroups moves the shared connections' byte counts to a new window.
// g.mu is held.
func (g *Generator) startGroups() {
	for _, grp := range g.groups {
		if grp != nil {
			grp.bytesIn0, grp.bytesOut0 = grp.bytesIn.Load(), grp.bytesOut.Load()
		}
	}
}

// closeGroups closes the shared connections once their clients are done.
func (g *Generator) closeGroups() {
	g.mu.Lock()
	groups := g.groups
	g.mu.Unlock()
	for _, grp := range groups {
		if grp != nil {
			grp.tr.CloseIdleConnections()
		}
	}
}
