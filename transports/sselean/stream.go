package sselean

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// stream is how a held sse-lean connection is read past its response head.
var stream = &transports.Stream{
	Handshake: transports.HandshakeHTTPHead,
	NewParser: func(head []byte) (transports.StreamParser, error) { return NewStreamParser(head) },
}

// NewStreamParser returns a parser of the body that follows head, an HTTP
// response head with its blank line: head says how the body is framed
// (chunked, sized, or to the connection's end).
func NewStreamParser(head []byte) (transports.StreamParser, error) { return newSSEParser(head) }

// StreamHooks take a stream's events in place of pushbench's message
// decoding, for a stream whose data is some other server's document:
// Event gets each dispatched event's data (valid during the call), and ID,
// when set, the last event ID buffer at each dispatch that follows an id
// field, as Parser's OnID does (valid during the call).
type StreamHooks struct {
	Event func(data []byte, e *transports.StreamEnv) error
	ID    func(id []byte)
}

// NewStreamParserWith is NewStreamParser with its events given to h.
func NewStreamParserWith(head []byte, h StreamHooks) (transports.StreamParser, error) {
	p, err := newSSEParser(head)
	if err == nil {
		p.hooks = &h
	}
	return p, err
}

// sseParser reads an sse-lean stream as the sse-lean client does: the HTTP
// body de-chunked as net/http's chunked reader does it (over the client's
// 1 KiB head buffer, so a chunk-size line may be at most 1 KiB), then the
// event stream as Parser reads it: lines are taken an LF-ended
// piece at a time (a piece's trailing CR dropped, lone CRs inside it ending
// lines too), the last unterminated piece is read only at a clean end of
// the body, a leading byte-order mark is skipped, "data" fields gather the
// event's data, "event" its type, "retry" the reconnect delay, and an empty
// line dispatches an event that has data to wire.Decode (a gap when the
// frame is one or the type is "gap").
type sseParser struct {
	// The body's framing.
	framing uint8
	cstate  uint8
	left    uint64 // chunked: bytes left in the chunk; sized: in the body
	excess  int64  // chunked: overhead beyond what the data justifies
	ctl     []byte // a chunk-size line or trailer split across reads

	// The event stream.
	bomN    uint8 // body bytes looked at for a byte-order mark (3: decided)
	bom     [3]byte
	line    []byte // the LF-ended piece in progress, while one is partial
	data    []byte // the event's data; nil between events unless it spans reads
	scratch bool   // data is the env's scratch buffer (during feed only)
	hasData bool
	gap     bool // the event's type is "gap"

	hooks *StreamHooks // nil: pushbench's messages
	id    []byte       // the last event ID buffer (with hooks.ID)
	idSet bool
}

const (
	bodyChunked = iota
	bodySized
	bodyToEOF
)

const (
	chunkSize    = iota // reading a chunk-size line
	chunkData           // reading chunk data
	chunkCR             // expecting the CR after the data
	chunkLF             // expecting the LF after the data
	chunkTrailer        // after the last chunk
)

// sseHeadBuffer is the sse-lean client's response buffer: net/http's
// chunked reader reads each chunk-size line within it.
const sseHeadBuffer = 1024

// sseLineLimit is where Parser gives up on a line without an LF:
// its 4 KiB read buffer filled past MaxEventBytes.
const sseLineLimit = MaxEventBytes + 4096

func newSSEParser(head []byte) (*sseParser, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
	if err != nil {
		return nil, fmt.Errorf("failed to read SSE response head again: %w", err)
	}
	p := &sseParser{framing: bodyToEOF}
	switch {
	case slices.Contains(resp.TransferEncoding, "chunked"):
		p.framing = bodyChunked
	case resp.ContentLength >= 0:
		p.framing, p.left = bodySized, uint64(resp.ContentLength)
	}
	return p, nil
}

// Feed implements transports.StreamParser.
func (p *sseParser) Feed(b []byte, e *transports.StreamEnv) error {
	p.begin(e)
	err := p.body(b, e)
	p.settle(e)
	return err
}

// begin gathers the event's data in the env's scratch buffer unless an
// event that spans reads already has its own.
func (p *sseParser) begin(e *transports.StreamEnv) {
	if p.data == nil {
		p.data, p.scratch = e.Scratch[:0], true
	}
}

// settle gives the scratch buffer back, keeping a copy of the data of an
// event that is still partial: between reads a parser holds only that.
func (p *sseParser) settle(e *transports.StreamEnv) {
	if p.scratch && cap(p.data) <= 1<<20 {
		e.Scratch = p.data[:0]
	}
	switch {
	case len(p.data) == 0:
		p.data = nil
	case p.scratch:
		p.data = bytes.Clone(p.data)
	}
	p.scratch = false
}

// take gives events the next p.left bytes of b at most (a sized body, or
// a chunk's data) and returns what follows them.
func (p *sseParser) take(b []byte, e *transports.StreamEnv) ([]byte, error) {
	k := min(uint64(len(b)), p.left)
	p.left -= k
	return b[k:], p.events(b[:k], e)
}

// body takes the body's framing off b and gives the data to events.
func (p *sseParser) body(b []byte, e *transports.StreamEnv) error {
	switch p.framing {
	case bodyToEOF:
		return p.events(b, e)
	case bodySized:
		if _, err := p.take(b, e); err != nil {
			return err
		}
		if p.left == 0 {
			return p.finish(e)
		}
		return nil
	}
	for len(b) > 0 {
		switch p.cstate {
		case chunkSize:
			i := bytes.IndexByte(b, '\n')
			if i < 0 || len(p.ctl) > 0 {
				k := len(b)
				if i >= 0 {
					k = i + 1
				}
				if (i < 0 && len(p.ctl)+k >= sseHeadBuffer) || len(p.ctl)+k > sseHeadBuffer {
					return sseErr(errors.New("header line too long"))
				}
				p.ctl, b = append(p.ctl, b[:k]...), b[k:]
				if i < 0 {
					return nil
				}
				line := p.ctl
				p.ctl = nil
				if err := p.chunkLine(line, e); err != nil {
					return err
				}
				continue
			}
			if i+1 > sseHeadBuffer {
				return sseErr(errors.New("header line too long"))
			}
			line := b[:i+1]
			b = b[i+1:]
			if err := p.chunkLine(line, e); err != nil {
				return err
			}
		case chunkData:
			var err error
			if b, err = p.take(b, e); err != nil {
				return err
			}
			if p.left == 0 {
				p.cstate = chunkCR
			}
		case chunkCR, chunkLF:
			want := byte('\r')
			if p.cstate == chunkLF {
				want = '\n'
			}
			if b[0] != want {
				return sseErr(errors.New("malformed chunked encoding"))
			}
			b = b[1:]
			p.cstate++
			if p.cstate > chunkLF {
				p.cstate = chunkSize
			}
		case chunkTrailer:
			p.ctl = append(p.ctl, b...)
			return p.trailer(e)
		}
	}
	return nil
}

// chunkLine reads a chunk-size line (with its CRLF) as net/http does.
func (p *sseParser) chunkLine(line []byte, e *transports.StreamEnv) error {
	if i := bytes.IndexByte(line, '\r'); i < 0 {
		return sseErr(errors.New("chunked line ends with bare LF"))
	} else if i != len(line)-2 {
		return sseErr(errors.New("invalid CR in chunked line"))
	}
	line = line[:len(line)-2]
	p.excess += int64(len(line)) + 2
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	line, _, _ = bytes.Cut(line, []byte(";"))
	n, err := wire.Hex(line)
	if err != nil {
		return sseErr(err)
	}
	p.excess = max(p.excess-16-2*int64(n), 0)
	if p.excess > 16*1024 {
		return sseErr(errors.New("chunked encoding contains too much non-data"))
	}
	if n == 0 {
		p.cstate = chunkTrailer
		return nil
	}
	p.cstate, p.left = chunkData, n
	return nil
}

// trailer reads what follows the last chunk as net/http does: a CRLF alone
// ends the body; trailer fields end with a blank line within its buffer.
func (p *sseParser) trailer(e *transports.StreamEnv) error {
	if len(p.ctl) < 2 {
		return nil
	}
	if p.ctl[0] == '\r' && p.ctl[1] == '\n' {
		return p.finish(e)
	}
	i := bytes.Index(p.ctl, []byte("\r\n\r\n"))
	if i < 0 || i+4 > sseHeadBuffer {
		if len(p.ctl) >= sseHeadBuffer {
			return sseErr(errors.New("http: suspiciously long trailer after chunked body"))
		}
		return nil
	}
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(p.ctl[:i+4])))
	if _, err := tr.ReadMIMEHeader(); err != nil {
		return sseErr(err)
	}
	return p.finish(e)
}

// finish ends a body that ended cleanly: the unterminated piece is read
// as Parser reads it at EOF.
func (p *sseParser) finish(e *transports.StreamEnv) error {
	if p.bomN < 3 {
		pending := p.bom[:p.bomN]
		p.bomN = 3
		if err := p.lines(pending, e); err != nil {
			return err
		}
	}
	chunk := p.line
	p.line = nil
	for {
		i := bytes.IndexByte(chunk, '\r')
		if i < 0 {
			return transports.ErrStreamEnd
		}
		if err := p.field(chunk[:i], e); err != nil {
			return err
		}
		chunk = chunk[i+1:]
	}
}

// End implements transports.StreamParser.
func (p *sseParser) End(err error, e *transports.StreamEnv) error {
	if err == io.EOF {
		if p.framing == bodyToEOF {
			p.begin(e)
			err = p.finish(e)
			p.settle(e)
			if !errors.Is(err, transports.ErrStreamEnd) {
				p.line, p.ctl, p.data = nil, nil, nil
				return err // already described
			}
		} else {
			err = io.ErrUnexpectedEOF
		}
	}
	p.line, p.ctl, p.data = nil, nil, nil
	if errors.Is(err, transports.ErrStreamEnd) {
		return errors.New("SSE stream ended by the server")
	}
	return sseErr(err)
}

func sseErr(err error) error { return fmt.Errorf("failed to read SSE stream: %w", err) }

var sseBOM = [3]byte{0xef, 0xbb, 0xbf}

// events reads body data: the byte-order mark, then lines.
func (p *sseParser) events(d []byte, e *transports.StreamEnv) error {
	if p.bomN < 3 {
		k := copy(p.bom[p.bomN:], d)
		p.bomN += uint8(k)
		d = d[k:]
		if p.bomN < 3 {
			return nil
		}
		if p.bom != sseBOM {
			if err := p.lines(p.bom[:], e); err != nil {
				return err
			}
		}
	}
	return p.lines(d, e)
}

// lines reads LF-ended pieces of d, keeping an unterminated one.
func (p *sseParser) lines(d []byte, e *transports.StreamEnv) error {
	for len(d) > 0 {
		i := bytes.IndexByte(d, '\n')
		if i < 0 {
			if len(p.line)+len(d) >= sseLineLimit {
				return sseErr(ErrEventTooLarge)
			}
			p.line = append(p.line, d...)
			return nil
		}
		if len(p.line)+i >= sseLineLimit {
			return sseErr(ErrEventTooLarge)
		}
		chunk := d[:i]
		d = d[i+1:]
		if len(p.line) > 0 {
			chunk = append(p.line, chunk...)
			p.line = nil
		}
		if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
			chunk = chunk[:n-1]
		}
		for {
			j := bytes.IndexByte(chunk, '\r')
			line := chunk
			if j >= 0 {
				line, chunk = chunk[:j], chunk[j+1:]
			}
			if err := p.field(line, e); err != nil {
				return err
			}
			if j < 0 {
				break
			}
		}
	}
	return nil
}

func (p *sseParser) field(line []byte, e *transports.StreamEnv) error {
	if len(line) == 0 {
		return p.dispatch(e)
	}
	if line[0] == ':' {
		return nil
	}
	name, value := SplitField(line)
	switch string(name) {
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		if len(p.data)+len(value) > MaxEventBytes {
			return sseErr(ErrEventTooLarge)
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.gap = string(value) == "gap"
	case "id":
		if p.hooks != nil && p.hooks.ID != nil && bytes.IndexByte(value, 0) < 0 {
			p.id, p.idSet = append(p.id[:0], value...), true
		}
	case "retry":
		if ms, ok := RetryValue(value); ok {
			e.Sink.Retry(time.Duration(ms) * time.Millisecond)
		}
	}
	return nil
}

func (p *sseParser) dispatch(e *transports.StreamEnv) error {
	hasData, gap, data := p.hasData, p.gap, p.data
	p.data, p.gap, p.hasData = p.data[:0], false, false
	if !p.scratch {
		p.data, p.scratch = e.Scratch[:0], true // the event that spanned reads is done
	}
	if p.idSet {
		p.idSet = false
		p.hooks.ID(p.id)
	}
	if !hasData {
		return nil
	}
	if p.hooks != nil {
		return p.hooks.Event(data, e)
	}
	f, err := wire.Decode(data)
	if err != nil {
		return sseErr(err)
	}
	if f.Gap || gap {
		e.Sink.Gap(f.First, f.Last)
	} else {
		e.Sink.Message(f.Seq, f.Sent, f.PayloadSize)
	}
	return nil
}
