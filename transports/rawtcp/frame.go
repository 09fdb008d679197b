package rawtcp

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// readBufferSize is the client's read buffer.
const readBufferSize = 4 << 10

// frameReader reads length-prefixed frames into one reusable body buffer.
// It is used by one goroutine.
type frameReader struct {
	br   *bufio.Reader
	hdr  [frameHeaderSize]byte
	body []byte
}

// reset starts reading from rd, keeping the buffers.
func (f *frameReader) reset(rd io.Reader) {
	if f.br == nil {
		f.br = bufio.NewReaderSize(rd, readBufferSize)
		return
	}
	f.br.Reset(rd)
}

// buffered reports whether the next frame is whole in the read buffer, so
// reading it will not touch the connection.
func (f *frameReader) buffered() bool {
	n := f.br.Buffered()
	if n < frameHeaderSize {
		return false
	}
	hdr, err := f.br.Peek(frameHeaderSize)
	if err != nil {
		return false
	}
	return uint64(n-frameHeaderSize) >= uint64(binary.BigEndian.Uint32(hdr))
}

// next returns the next frame's body, valid until the following call. The
// body buffer grows only when a frame is larger than any before it, and
// then only as fast as the frame's bytes arrive.
func (f *frameReader) next() ([]byte, error) {
	if _, err := io.ReadFull(f.br, f.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(f.hdr[:])
	if n > MaxFrameSize {
		return nil, fmt.Errorf("frame of %d bytes is over the %d-byte limit", n, MaxFrameSize)
	}
	if int(n) <= cap(f.body) {
		body := f.body[:n]
		if _, err := io.ReadFull(f.br, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	// A larger frame than any before: grow the buffer as its bytes
	// arrive, not by what the header claims, so a header alone cannot
	// make the client allocate MaxFrameSize.
	body := f.body[:0]
	for len(body) < int(n) {
		if len(body) == cap(body) {
			grown := make([]byte, len(body), min(int(n), max(2*cap(body), 64<<10)))
			copy(grown, body)
			body = grown
		}
		m, err := io.ReadFull(f.br, body[len(body):min(cap(body), int(n))])
		body = body[:len(body)+m]
		if err != nil {
			f.body = body[:0]
			return nil, err
		}
	}
	f.body = body
	return body, nil
}

// parseServerError returns the reason carried by an error frame body.
func parseServerError(body []byte) *ServerError {
	var e struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Reason == "" {
		return &ServerError{Reason: fmt.Sprintf("unreadable error frame %.80q", body)}
	}
	if len(e.Reason) > 200 { // a hostile server's reason is quoted short
		e.Reason = fmt.Sprintf("%.200s... (%d bytes)", e.Reason, len(e.Reason))
	}
	return &ServerError{Reason: e.Reason}
}
