package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"time"

	"github.com/pushbench/pushbench/loadgen/reactor"
)

// rpoll opens a connection for a reactor-mode poll client and gives it,
// with the client's poller, to the client's reactor: a new poller (a new
// session, from rc.since) unless the last connection ended for the poller
// to replace. Its dial is the goroutine client's (source address, allowed
// targets, the handshake timeout).
func (g *Generator) rpoll(rc *rclient) {
	c := rc.c
	if rc.poller == nil {
		p, err := g.cfg.Transport.Poll.NewPoller(g.cfg.Options, rc.since)
		if err != nil {
			g.rended(rc, fmt.Errorf("failed to create %s client: %w", g.cfg.Transport.Name, err), false)
			return
		}
		rc.poller = p
		c.connectStart = time.Now()
		rc.lifeEnd = 0
		if g.cfg.Lifetime > 0 {
			rc.lifeEnd = c.connectStart.Add(time.Duration(float64(g.cfg.Lifetime) * (0.5 + rand.Float64()))).UnixNano()
		}
	}
	fd, err := g.dialFD(rc)
	if err != nil {
		g.rended(rc, fmt.Errorf("failed to poll: %w", err), false)
		return
	}
	if err := rc.r.HoldPoll(fd, rc.poller, rc, rc.lifeEnd); err != nil {
		g.rended(rc, err, false)
	}
}

// dialFD dials the server for rc and returns a duplicate of the
// connection's descriptor (non-blocking, close-on-exec), the Go connection
// closed.
func (g *Generator) dialFD(rc *rclient) (int, error) {
	opts := g.cfg.Options
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return -1, err
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	c := rc.c
	dial := dialer(sourceFor(rc.index), opts.Timeout, g.cfg.Allowed, &c.bytesIn, &c.bytesOut, &c.tcpUp)
	ctx, cancel := context.WithTimeout(g.ctx, opts.Timeout)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	return reactor.DupFD(conn)
}
