package loadgen

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// PortsPerSource is how many client connections are put on one 127.0.0.x
// source address. Linux offers about 28,000 ephemeral ports per (source,
// destination) pair, but connect() searches a source's ports for a free
// one, and the search costs system time as they fill: at 16,000 clients a
// source, 100,000 connections on this machine spent most of two cores in
// the kernel and stalled. 4,000 a source keeps the search short.
const PortsPerSource = 4000

// ClientsPerWorker is the most clients one generator holds (within the
// open-file limit here), so workers spaced this far apart in client index
// never share a source address.
const ClientsPerWorker = 20000

// countingConn counts the bytes that cross the socket in each direction:
// headers, framing, handshakes, polls and heartbeats included.
type countingConn struct {
	net.Conn
	in, out *atomic.Int64
}

// NetConn is the connection c counts (the reactor's handoff unwraps it).
func (c *countingConn) NetConn() net.Conn { return c.Conn }

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
func dialer(source net.IP, timeout time.Duration, allowed Targets, in, out, up *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	// A source address with port 0 would make bind() pick the port before
	// connect() knows the destination: the kernel then searches one
	// source address's whole port range per socket (the even half first),
	// which at 15,000 clients a source took two thirds of the machine's CPU
	// in system time and stalled new connections. IP_BIND_ADDRESS_NO_PORT
	// leaves the port to connect(), unique per (source, destination).
	loopbackSource := &net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: source}, Control: bindNoPort}
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
		if up != nil { // a TLS handshake that follows is timed from here
			up.Store(time.Now().UnixNano())
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

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be bound.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
