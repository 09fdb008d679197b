package sselean

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Parser is a WHATWG-conformant event-stream parser that does not allocate
// per event. Fields other than event and data are ignored (the message
// carries its own seq). Not safe for concurrent use.
type Parser struct {
	// OnEvent is called per dispatched event with its type ("" for
	// message) and data; the slices are reused after it returns.
	OnEvent func(event, data []byte) error
	// OnRetry, when set, is called with each valid retry: field, in
	// milliseconds.
	OnRetry func(ms int64)
	line    []byte
	data    []byte
	event   []byte
	hasData bool
}

// parserBuffer is the read buffer: enough for typical events; longer lines
// are assembled in Parser.line.
const parserBuffer = 4096

// Parse reads events from rd until EOF (returns nil) or an error. onLine,
// when set, is called after every line read.
func (p *Parser) Parse(rd io.Reader, onLine func()) error {
	br := bufio.NewReaderSize(rd, parserBuffer)
	for {
		line, err := p.readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if onLine != nil {
			onLine()
		}
		if err := p.field(line); err != nil {
			return err
		}
	}
}

// readLine returns one line without its terminator (LF or CRLF).
func (p *Parser) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.line = append(p.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (p *Parser) field(line []byte) error {
	if len(line) == 0 {
		return p.dispatch()
	}
	if line[0] == ':' {
		return nil
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) { // no allocation: the compiler compares in place
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.event = append(p.event[:0], value...)
	case "retry":
		if p.OnRetry != nil {
			if ms, ok := digits(value); ok {
				p.OnRetry(ms)
			}
		}
	}
	return nil
}

func (p *Parser) dispatch() error {
	hasData := p.hasData
	event, data := p.event, p.data
	p.data, p.event, p.hasData = p.data[:0], p.event[:0], false
	if !hasData {
		return nil
	}
	return p.OnEvent(event, data)
}

// digits parses a retry value: ASCII digits only, as the spec requires.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
