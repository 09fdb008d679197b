package reactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/transports"
)

// MaxHead bounds the response head kept to learn the body's framing.
const MaxHead = 64 << 10

var errHandedOff = errors.New("connection handed to the reactor")

// Receiver is what a Handoff passes the client's reports on to.
type Receiver interface {
	transports.Receiver
	transports.RetryReceiver
}

// Handoff lets the transport's own client make the handshake (its request,
// its checks, its errors) on a connection that never hands it a byte past
// the handshake's end. When the client reports Connected, the connection's
// descriptor is duplicated for the reactor and the client's next read
// fails, so its Run returns and closes its own descriptor.
//
// A Handoff is the transports.Receiver the client runs with (passing every
// report on to its Receiver) and wraps the client's dial (Dial). It is used
// by the handshake's goroutine only, for one connection attempt.
type Handoff struct {
	r    Receiver
	kind transports.HandshakeEnd
	conn *handoffConn
	fd   int // the reactor's descriptor once handed off; -1 before
	err  error
	head []byte // the HTTP response head
	left []byte // bytes read past the handshake
}

// NewHandoff returns a Handoff for a transport whose handshake ends as kind
// says, passing the client's reports to r.
func NewHandoff(r Receiver, kind transports.HandshakeEnd) *Handoff {
	return &Handoff{r: r, kind: kind, fd: -1}
}

// Taken is what the handoff took once the client's Run returned: the
// duplicated descriptor (fd < 0: none; the connection stayed the client's
// and ended with Run's error), the HTTP response head and the bytes that
// arrived past the handshake; err says why a connection that reached
// Connected could not be taken.
func (h *Handoff) Taken() (fd int, head, left []byte, err error) {
	return h.fd, h.head, h.left, h.err
}

// Dial wraps the client's dial: the connection it opens is the one handed
// off. d's connections must unwrap (NetConn() net.Conn, as tls.Conn does)
// to a *net.TCPConn.
func (h *Handoff) Dial(d transports.DialFunc) transports.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		h.conn = &handoffConn{Conn: conn, kind: h.kind}
		return h.conn, nil
	}
}

// Connected takes the connection for the reactor.
func (h *Handoff) Connected() {
	h.r.Connected()
	if err := h.take(); err != nil {
		h.err = fmt.Errorf("failed to hand the connection to the reactor: %w", err)
	}
}

func (h *Handoff) take() error {
	hc := h.conn
	if hc == nil {
		return errors.New("no connection")
	}
	hc.handed = true
	if !hc.ended {
		return errors.New("the handshake's end was not seen")
	}
	if hc.headTooLong {
		return fmt.Errorf("response head over %d bytes", MaxHead)
	}
	fd, err := DupFD(hc.Conn)
	if err != nil {
		return err
	}
	h.fd = fd
	h.head, h.left = hc.head, hc.left
	hc.head, hc.left = nil, nil
	return nil
}

// Message passes a message the client read before the handoff on (none
// does: the reactor reads what follows the handshake).
func (h *Handoff) Message(seq, sent int64, size int) { h.r.Message(seq, sent, size) }

// Gap passes a gap signal on.
func (h *Handoff) Gap(first, last int64) { h.r.Gap(first, last) }

// Empty passes an empty poll on.
func (h *Handoff) Empty() { h.r.Empty() }

// Retry passes a server's reconnect delay on.
func (h *Handoff) Retry(d time.Duration) { h.r.Retry(d) }

// handoffConn gives its reader the handshake and nothing past it, keeping
// what arrived after (left); once handed off, reads fail.
type handoffConn struct {
	net.Conn
	kind        transports.HandshakeEnd
	ended       bool // the handshake's end was seen
	through     bool // reads pass through (the handshake failed or ended)
	handed      bool
	lineLen     int
	lastCR      bool
	ack         [4]byte
	ackN        int
	head        []byte
	headTooLong bool
	left        []byte
}

func (hc *handoffConn) Read(p []byte) (int, error) {
	if hc.handed {
		return 0, errHandedOff
	}
	if len(hc.left) > 0 {
		n := copy(p, hc.left)
		hc.left = hc.left[n:]
		return n, nil
	}
	n, err := hc.Conn.Read(p)
	if hc.through || n == 0 {
		return n, err
	}
	end := hc.scan(p[:n])
	if end < 0 {
		return n, err
	}
	hc.through, hc.ended = true, true
	if end < n {
		hc.left = append([]byte(nil), p[end:n]...)
		return end, nil // a read error comes again on the next read
	}
	return n, err
}

// scan looks for the handshake's end in b: the index just past it, or -1.
func (hc *handoffConn) scan(b []byte) int {
	if hc.kind == transports.HandshakeEmptyFrame {
		k := copy(hc.ack[hc.ackN:], b)
		hc.ackN += k
		if hc.ackN < len(hc.ack) {
			return -1
		}
		if binary.BigEndian.Uint32(hc.ack[:]) != 0 {
			hc.through = true // an error frame: the client reads it and fails
			return -1
		}
		return k
	}
	end := -1
	for i, x := range b {
		if x == '\n' {
			if hc.lineLen == 0 || (hc.lineLen == 1 && hc.lastCR) {
				end = i + 1
				break
			}
			hc.lineLen, hc.lastCR = 0, false
			continue
		}
		hc.lineLen++
		hc.lastCR = x == '\r'
	}
	seen := b
	if end >= 0 {
		seen = b[:end]
	}
	if len(hc.head)+len(seen) > MaxHead {
		hc.headTooLong = true
	} else {
		hc.head = append(hc.head, seen...)
	}
	return end
}

// DupFD is a duplicate (close-on-exec) of the descriptor of c's TCP
// connection, under any wrappers that expose it with NetConn: the
// reactor's own, to hold after c is closed.
func DupFD(c net.Conn) (int, error) {
	for {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return -1, fmt.Errorf("a %T, not TCP", c)
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, errors.New("no descriptor")
	if err := raw.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, fmt.Errorf("failed to duplicate the descriptor: %w", derr)
	}
	return fd, nil
}
