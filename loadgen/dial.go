package loadgen

import (
	"context"
	"fmt"
	"net"
	"strings"
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

// Targets is what a load generator may send load to: always loopback
// (127.0.0.0/8, ::1, localhost), and beyond it only the networks and host
// names its operator allowed (pushbench worker --allow-target), never what
// a coordinator asks for. The zero value allows loopback only.
type Targets struct {
	nets  []*net.IPNet
	hosts map[string]bool
}

// ParseTargets reads allowed targets: CIDRs (198.18.0.0/24), addresses
// (198.18.0.2) or host names (pushbench-target).
func ParseTargets(list []string) (Targets, error) {
	t := Targets{hosts: map[string]bool{}}
	for _, s := range list {
		if _, n, err := net.ParseCIDR(s); err == nil {
			t.nets = append(t.nets, n)
			continue
		}
		if ip := net.ParseIP(s); ip != nil {
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			t.nets = append(t.nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		if s == "" || strings.ContainsAny(s, "/:* ") {
			return t, fmt.Errorf("allowed target %q: want a CIDR (198.18.0.0/24), an address or a host name", s)
		}
		t.hosts[strings.ToLower(s)] = true
	}
	return t, nil
}

// check refuses addr unless it is loopback or allowed.
func (t Targets) check(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad target address %q: %w", addr, err)
	}
	if host == "localhost" || t.hosts[strings.ToLower(host)] {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return nil
		}
		for _, n := range t.nets {
			if n.Contains(ip) {
				return nil
			}
		}
	}
	return fmt.Errorf("refusing to send load to %s: pushbench only targets 127.0.0.0/8 or ::1 unless the worker is started with --allow-target for it", addr)
}

// dialer builds the Dial function of one virtual client: it binds the
// client's source address when the target is on loopback, refuses targets
// it is not allowed, and counts bytes.
func dialer(source net.IP, timeout time.Duration, allowed Targets, in, out *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	loopbackSource := &net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: source}}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := allowed.check(addr); err != nil {
			return nil, err
		}
		dd := d
		if host, _, _ := net.SplitHostPort(addr); source != nil && (host == "localhost" || net.ParseIP(host).IsLoopback()) {
			dd = loopbackSource
		}
		c, err := dd.DialContext(ctx, network, addr)
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

// checkLoopback refuses any target outside 127.0.0.0/8 and ::1.
func checkLoopback(addr string) error { return Targets{}.check(addr) }
