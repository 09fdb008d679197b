package sselean

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/pushbench/pushbench/transports/wire"
)

// Parser is a WHATWG-conformant event-stream parser that does not allocate
// per event. The id field is reported only to OnID and other unknown
// fields are ignored (pushbench's message carries its own seq). Not safe
// for concurrent use.
type Parser struct {
	// OnEvent is called per dispatched event with its type ("" for
	// message) and data; the slices are reused after it returns.
	OnEvent func(event, data []byte) error
	// OnRetry, when set, is called with each valid retry: field, in
	// milliseconds.
	OnRetry func(ms int64)
	// OnID, when set, is called at each dispatch (a blank line, with or
	// without data, before OnEvent) that follows an id: field, with the
	// last event ID buffer: the value of the latest id: field whose value
	// holds no NUL (an empty one clears it). WHATWG's EventSource keeps
	// that value across events and reconnections and sends it back as
	// Last-Event-ID; a pending event cut off by the end of the stream
	// sets nothing. The slice is reused after OnID returns.
	OnID    func(id []byte)
	id      []byte
	idSet   bool
	line    []byte
	data    []byte
	event   []byte
	hasData bool
}

// parserBuffer is the read buffer: enough for typical events; longer lines
// are assembled in Parser.line.
const parserBuffer = 4096

// MaxEventBytes bounds one line and one event's data: a stream that never
// ends a line or an event cannot take the client's memory (the largest
// pushbench message, 16 MiB escaped six-fold, fits).
const MaxEventBytes = 128 << 20

// ErrEventTooLarge ends a stream whose line or event passes MaxEventBytes.
var ErrEventTooLarge = errors.New("event-stream line or event over 128 MiB")

var bom = []byte("\xef\xbb\xbf")

// Parse reads events from rd until EOF (returns nil) or an error. onLine,
// when set, is called after every line read. Lines end with LF, CRLF or a
// lone CR, and a leading byte-order mark is skipped, as the WHATWG
// event-stream rules say.
func (p *Parser) Parse(rd io.Reader, onLine func()) error {
	br := bufio.NewReaderSize(rd, parserBuffer)
	if b, err := br.Peek(len(bom)); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
	}
	for {
		chunk, err := p.readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		atEOF := err != nil
		if !atEOF {
			chunk = chunk[:len(chunk)-1] // the LF
			if n := len(chunk); n > 0 && chunk[n-1] == '\r' {
				chunk = chunk[:n-1]
			}
		}
		// A chunk ends at LF; lone CRs inside it end lines too. At EOF
		// the last piece has no terminator and is dropped.
		for {
			i := bytes.IndexByte(chunk, '\r')
			if i < 0 && atEOF {
				return nil
			}
			line := chunk
			if i >= 0 {
				line, chunk = chunk[:i], chunk[i+1:]
			}
			if onLine != nil {
				onLine()
			}
			if err := p.field(line); err != nil {
				return err
			}
			if i < 0 {
				break
			}
		}
	}
}

// readLine returns one chunk up to and including LF, or what is left
// with io.EOF.
func (p *Parser) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.line = append(p.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(p.line) > MaxEventBytes {
				return nil, ErrEventTooLarge
			}
			line, err = br.ReadSlice('\n')
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	return line, err
}

// SplitField splits a non-empty, non-comment event-stream line into its
// field name and value: up to the first colon, then the value without one
// leading space; a line without a colon is a name with an empty value.
func SplitField(line []byte) (name, value []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, nil
	}
	name, value = line[:i], line[i+1:]
	if len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	return name, value
}

func (p *Parser) field(line []byte) error {
	if len(line) == 0 {
		return p.dispatch()
	}
	if line[0] == ':' {
		return nil
	}
	name, value := SplitField(line)
	switch string(name) { // no allocation: the compiler compares in place
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		if len(p.data)+len(value) > MaxEventBytes {
			return ErrEventTooLarge
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.event = append(p.event[:0], value...)
	case "id":
		if p.OnID != nil && bytes.IndexByte(value, 0) < 0 {
			p.id = append(p.id[:0], value...)
			p.idSet = true
		}
	case "retry":
		if p.OnRetry != nil {
			if ms, ok := RetryValue(value); ok {
				p.OnRetry(ms)
			}
		}
	}
	return nil
}

func (p *Parser) dispatch() error {
	if p.idSet {
		p.idSet = false
		p.OnID(p.id)
	}
	hasData := p.hasData
	event, data := p.event, p.data
	p.data, p.event, p.hasData = p.data[:0], p.event[:0], false
	if !hasData {
		return nil
	}
	return p.OnEvent(event, data)
}

// RetryValue parses a retry: field's value: ASCII digits only, as the
// spec requires (at most 12); ok is false for anything else, which a
// client ignores.
func RetryValue(b []byte) (ms int64, ok bool) { return wire.Digits(b, 12) }
