package loadgen

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

// The reactor path lets the transport's own client make the handshake (its
// request, its checks, its errors), on a connection that never hands it a
// byte past the handshake's end. When the client reports Connected, the
// connection's descriptor is duplicated for the reactor and the client's
// next read fails, so its Run returns and closes its own descriptor.

// maxHead bounds the response head kept to learn the body's framing.
const maxHead = 64 << 10

var errHandedOff = errors.New("connection handed to the reactor")

// handoff is the transports.Receiver a handshake runs with, and the
// connection it dialled. It is used by the handshake's goroutine only.
type handoff struct {
	c    *vclient
	kind transports.HandshakeEnd
	conn *handoffConn
	fd   int // the reactor's descriptor once handed off; -1 before
	err  error
	head []byte // the HTTP response head
	left []byte // bytes read past the handshake
}

func (h *handoff) dial(d transports.DialFunc) transports.DialFunc {
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
func (h *handoff) Connected() {
	h.c.Connected()
	if err := h.take(); err != nil {
		h.err = fmt.Errorf("failed to hand the connection to the reactor: %w", err)
	}
}

func (h *handoff) take() error {
	hc := h.conn
	if hc == nil {
		return errors.New("no connection")
	}
	hc.handed = true
	if !hc.ended {
		return errors.New("the handshake's end was not seen")
	}
	if hc.headTooLong {
		return fmt.Errorf("response head over %d bytes", maxHead)
	}
	cc, ok := hc.Conn.(*countingConn)
	if !ok {
		return errors.New("not a counted connection")
	}
	tcp, ok := cc.Conn.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("a %T, not TCP", cc.Conn)
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return err
	}
	var derr error
	if err := raw.Control(func(fd uintptr) {
		h.fd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return err
	}
	if derr != nil {
		h.fd = -1
		return fmt.Errorf("failed to duplicate the descriptor: %w", derr)
	}
	h.head, h.left = hc.head, hc.left
	hc.head, hc.left = nil, nil
	return nil
}

// The handshake's client never receives a message: the reactor does.
func (h *handoff) Message(seq, sent int64, size int) { h.c.Message(seq, sent, size) }
func (h *handoff) Gap(first, last int64)             { h.c.Gap(first, last) }
func (h *handoff) Empty()                            { h.c.Empty() }
func (h *handoff) Retry(d time.Duration)             { h.c.Retry(d) }

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
	if len(hc.head)+len(seen) > maxHead {
		hc.headTooLong = true
	} else {
		hc.head = append(hc.head, seen...)
	}
	return end
}
