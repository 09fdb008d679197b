package rawtcp

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// stream is how a held rawtcp connection is read past its handshake (the
// server's empty acknowledgement frame).
var stream = &transports.Stream{
	Handshake: transports.HandshakeEmptyFrame,
	NewParser: func([]byte) (transports.StreamParser, error) { return NewStreamParser(), nil },
}

// NewStreamParser returns a parser of a rawtcp stream past the handshake.
func NewStreamParser() transports.StreamParser { return &streamParser{} }

// streamParser reads frames (4-byte big-endian length, then the body) as
// Client does: empty frames are heartbeats, an error frame ends the
// connection with the server's reason, a frame over MaxFrameSize is
// refused, every other body goes to wire.DecodeFrame.
type streamParser struct {
	hdr  [4]byte
	hdrN uint8
	need int    // length of the body being assembled
	body []byte // the partial body; nil between frames
}

// Feed implements transports.StreamParser.
func (p *streamParser) Feed(b []byte, e *transports.StreamEnv) error {
	for len(b) > 0 {
		if p.body == nil {
			var n uint32
			if p.hdrN == 0 && len(b) >= len(p.hdr) {
				n, b = binary.BigEndian.Uint32(b), b[len(p.hdr):]
			} else {
				k := copy(p.hdr[p.hdrN:], b)
				p.hdrN, b = p.hdrN+uint8(k), b[k:]
				if int(p.hdrN) < len(p.hdr) {
					return nil
				}
				n, p.hdrN = binary.BigEndian.Uint32(p.hdr[:]), 0
			}
			if n > MaxFrameSize {
				return fmt.Errorf("failed to read frame: frame of %d bytes is over the %d-byte limit", n, MaxFrameSize)
			}
			if n == 0 {
				continue // heartbeat
			}
			if int(n) <= len(b) {
				if err := streamFrame(b[:n], e); err != nil {
					return err
				}
				b = b[n:]
				continue
			}
			// Grown as its bytes arrive, never by what the header claims.
			p.need, p.body = int(n), make([]byte, 0, min(int(n), max(2*len(b), 4<<10)))
		}
		k := min(p.need-len(p.body), len(b))
		if len(p.body)+k > cap(p.body) {
			grown := make([]byte, len(p.body), min(p.need, max(2*cap(p.body), len(p.body)+k)))
			copy(grown, p.body)
			p.body = grown
		}
		p.body, b = append(p.body, b[:k]...), b[k:]
		if len(p.body) == p.need {
			body := p.body
			p.body = nil
			if err := streamFrame(body, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func streamFrame(body []byte, e *transports.StreamEnv) error {
	if se, ok := ErrorFrame(body); ok {
		return fmt.Errorf("failed to receive: %w", se)
	}
	f, err := wire.DecodeFrame(body)
	if err != nil {
		return fmt.Errorf("failed to decode frame: %w", err)
	}
	if f.Gap {
		e.Sink.Gap(f.First, f.Last)
	} else {
		e.Sink.Message(f.Seq, f.Sent, f.PayloadSize)
	}
	return nil
}

// End implements transports.StreamParser.
func (p *streamParser) End(err error, _ *transports.StreamEnv) error {
	if err == io.EOF && (p.body != nil || p.hdrN > 0) {
		err = io.ErrUnexpectedEOF
	}
	p.body = nil
	return fmt.Errorf("failed to read frame: %w", err)
}
