package rawtcp

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/pushbench/pushbench/transports/push"
	"github.com/pushbench/pushbench/transports/wire"
)

// lingerMax bounds how long a refused connection is drained after its error
// frame, so the client reads the frame instead of a connection reset.
const lingerMax = time.Second

// handshake reads the client's handshake (within opts.WriteTimeout) and
// fixes its cursor with push.Start. The error text is the reason sent to
// the client.
func (s *Server) handshake(conn net.Conn) (int64, error) {
	if err := conn.SetReadDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil {
		return 0, fmt.Errorf("failed to set handshake deadline: %w", err)
	}
	var hs [HandshakeSize]byte
	if _, err := io.ReadFull(conn, hs[:]); err != nil {
		return 0, fmt.Errorf("handshake must be %d bytes (1 flag byte, 8-byte big-endian cursor): %w", HandshakeSize, err)
	}
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return 0, fmt.Errorf("failed to clear handshake deadline: %w", err)
	}
	since, err := parseHandshake(hs)
	if err != nil {
		return 0, err
	}
	return push.Start(s.log, since)
}

// parseHandshake returns the cursor a handshake asks for: -1 for "from now".
func parseHandshake(hs [HandshakeSize]byte) (int64, error) {
	cursor := int64(binary.BigEndian.Uint64(hs[1:]))
	switch hs[0] {
	case FlagFromNow:
		if cursor != 0 {
			return 0, fmt.Errorf("handshake flag %d (from now) must carry cursor 0, got %d", FlagFromNow, cursor)
		}
		return -1, nil
	case FlagResume:
		return wire.ParseCursor("cursor", strconv.FormatInt(cursor, 10))
	default:
		return 0, fmt.Errorf("unknown handshake flag %d (want %d = from now or %d = resume)", hs[0], FlagFromNow, FlagResume)
	}
}

// reject writes an error frame carrying reason, then half-closes the
// connection and drains it briefly so the frame is not lost to a reset.
func (s *Server) reject(conn net.Conn, reason error) {
	frame := appendErrorFrame(nil, reason.Error())
	if err := conn.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil {
		return
	}
	if _, err := conn.Write(frame); err != nil {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err != nil {
			return
		}
	}
	if err := conn.SetReadDeadline(time.Now().Add(min(s.opts.WriteTimeout, lingerMax))); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, s.opts.ReadLimit))
}

// appendErrorFrame appends a whole error frame, header included, to dst.
func appendErrorFrame(dst []byte, reason string) []byte {
	quoted, _ := json.Marshal(reason) // a string always marshals
	n := len(`{"type":"error","reason":}`) + len(quoted)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, `{"type":"error","reason":`...)
	dst = append(dst, quoted...)
	return append(dst, '}')
}

// Refusal is the bytes a listener in front of this server writes to a
// connection it refuses before the handshake (service's connection cap):
// an error frame the client reports as the reason it could not connect.
func (s *Server) Refusal(reason string) []byte { return appendErrorFrame(nil, reason) }
