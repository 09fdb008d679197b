package loadgen

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pushbench/pushbench/transports/rawtcp"
	"github.com/pushbench/pushbench/transports/wire"
)

// rawParser reads rawtcp frames (4-byte big-endian length, then the body)
// as rawtcp.Client does: empty frames are heartbeats, an error frame ends
// the connection with the server's reason, a frame over
// rawtcp.MaxFrameSize is refused, every other body goes to wire.Decode.
type rawParser struct {
	hdr  [4]byte
	hdrN uint8
	need int    // length of the body being assembled
	body []byte // the partial body; nil between frames
}

func (p *rawParser) feed(b []byte, e *env) error {
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
			if n > rawtcp.MaxFrameSize {
				return fmt.Errorf("failed to read frame: frame of %d bytes is over the %d-byte limit", n, rawtcp.MaxFrameSize)
			}
			if n == 0 {
				continue // heartbeat
			}
			if int(n) <= len(b) {
				if err := rawFrame(b[:n], e); err != nil {
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
			if err := rawFrame(body, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func rawFrame(body []byte, e *env) error {
	if se, ok := rawtcp.ErrorFrame(body); ok {
		return fmt.Errorf("failed to receive: %w", se)
	}
	f, err := wire.DecodeFrame(body)
	if err != nil {
		return fmt.Errorf("failed to decode frame: %w", err)
	}
	if f.Gap {
		e.sink.Gap(f.First, f.Last)
	} else {
		e.sink.Message(f.Seq, f.Sent, f.PayloadSize)
	}
	return nil
}

func (p *rawParser) end(err error, _ *env) error {
	if err == io.EOF && (p.body != nil || p.hdrN > 0) {
		err = io.ErrUnexpectedEOF
	}
	p.body = nil
	return fmt.Errorf("failed to read frame: %w", err)
}
