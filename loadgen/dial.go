package loadgen

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// PortsPerSource is how many client connections are put on one 127.0.0.x
// source address: below the ~28k ephemeral ports Linux offers per
// (source, destination) pair by default.
const PortsPerSource = 20000

// countingConn counts the bytes that cross the socket in each direction:
// headers, framing, handshakes, polls and heartbeats included.
type countingConn struct {
	net.Conn
	in, out *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(int64(n))
	return n, err
}

// dialer builds the Dial function of one virtual client: it binds the
// client's source address when the target is on loopback and counts bytes.
func dialer(source net.IP, timeout time.Duration, in, out *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	if source != nil {
		d.LocalAddr = &net.TCPAddr{IP: source}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := checkLoopback(addr); err != nil {
			return nil, err
		}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, in: in, out: out}, nil
	}
}

// sourceFor returns client i's source address: 127.0.0.1 for the first
// PortsPerSource clients, then 127.0.0.2, and so on.
func sourceFor(i int) net.IP {
	n := 1 + i/PortsPerSource
	return net.IPv4(127, 0, byte(n>>8), byte(n))
}

// checkLoopback refuses any target outside 127.0.0.0/8 and ::1: load is
// only ever sent to this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad target address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to send load to %s: pushbench only targets 127.0.0.0/8 or ::1", addr)
	}
	return nil
}
