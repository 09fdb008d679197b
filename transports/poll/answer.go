package poll

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// answer reads one HTTP/1.1 poll answer as it arrives: the status line
// and headers (the head may be split anywhere; a head whole in one piece
// is read in place), then the body, sized, chunked or to the connection's
// end, whose JSON array is scanned as wire.EachInArray scans it, each
// object decoded by wire.Decode as soon as it is whole. It keeps between
// pieces only what is partial: a head, a chunk-size line, an object.
type answer struct {
	inHead  bool
	started bool   // a byte of the answer arrived
	hbuf    []byte // a head split across pieces
	code    int
	statusT string // a non-200 status ("503 Service Unavailable")
	close   bool   // Connection: close
	head    int64  // X-Pushbench-Head
	toEOF   bool   // no length: the body ends with the connection
	chunked bool
	left    uint64 // sized: body bytes left; chunked: chunk bytes left
	cstate  uint8
	ctl     []byte // a chunk-size or trailer line split across pieces
	body    []byte // a non-200 body, for the error (at most maxErrBody)

	astate uint8 // where the array scan is
	depth  int
	inStr  bool
	esc    bool
	obj    []byte // an object split across pieces
	n      int    // objects in the answer
}

const (
	maxHead    = 64 << 10 // the most head bytes read (net/http's default is 1 MiB; the server's is tiny)
	maxCtlLine = 4 << 10
	maxErrBody = 4 << 10
)

// The chunked body's states.
const (
	chunkSize = iota
	chunkData
	chunkCR
	chunkLF
	chunkTrailer
)

// The array scan's states.
const (
	arrStart = iota // before '['
	arrFirst        // after '[': an object or ']'
	arrNext         // after ',': an object
	arrObj          // in an object
	arrAfter        // after an object: ',' or ']'
	arrTail         // after ']'
)

var errNotArray = fmt.Errorf("failed to parse poll answer: %w", wire.ErrNotArray)

func (a *answer) reset() {
	hbuf, ctl, obj := a.hbuf[:0], a.ctl[:0], a.obj[:0]
	*a = answer{inHead: true, hbuf: hbuf, ctl: ctl, obj: obj}
}

// feed reads b; done: the answer is complete, rest is what followed it.
func (a *answer) feed(b []byte, p *poller, e *transports.PollEnv) (rest []byte, done bool, err error) {
	if len(b) > 0 {
		a.started = true
	}
	if a.inHead {
		var ok bool
		if b, ok, err = a.readHead(b); err != nil || !ok {
			return nil, false, err
		}
		a.inHead = false
		if !a.chunked && !a.toEOF && a.left == 0 {
			return b, true, a.finish()
		}
	}
	switch {
	case a.chunked:
		return a.readChunked(b, p, e)
	case a.toEOF:
		return nil, false, a.data(b, p, e)
	}
	k := min(uint64(len(b)), a.left)
	a.left -= k
	if err := a.data(b[:k], p, e); err != nil {
		return nil, false, err
	}
	if a.left > 0 {
		return nil, false, nil
	}
	return b[k:], true, a.finish()
}

var crlfcrlf = []byte("\r\n\r\n")

// readHead gathers the head; ok once it is whole (and parsed).
func (a *answer) readHead(b []byte) (rest []byte, ok bool, err error) {
	if len(a.hbuf) == 0 {
		if i := bytes.Index(b, crlfcrlf); i >= 0 {
			return b[i+4:], true, a.parseHead(b[:i+4])
		}
	}
	from := max(0, len(a.hbuf)-3)
	had := len(a.hbuf)
	a.hbuf = append(a.hbuf, b...)
	i := bytes.Index(a.hbuf[from:], crlfcrlf)
	if i < 0 {
		if len(a.hbuf) > maxHead {
			return nil, false, fmt.Errorf("failed to poll: response head over %d bytes", maxHead)
		}
		return nil, false, nil
	}
	end := from + i + 4
	err = a.parseHead(a.hbuf[:end])
	a.hbuf = a.hbuf[:0]
	return b[end-had:], true, err
}

// parseHead reads the status line and the headers that matter: the
// body's framing, Connection and the server's head.
func (a *answer) parseHead(h []byte) error {
	line, h, _ := bytes.Cut(h, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return fmt.Errorf("failed to poll: malformed HTTP response %q", line)
	}
	code, ok := wire.Digits(line[9:12], 3)
	if !ok {
		return fmt.Errorf("failed to poll: malformed HTTP status code %q", line[9:12])
	}
	a.code = int(code)
	a.close = line[7] == '0' // HTTP/1.0 closes after the answer
	if a.code != 200 {
		a.statusT = string(line[9:])
	}
	if a.code < 200 {
		return fmt.Errorf("failed to poll: unexpected informational response %s", a.statusT)
	}
	sized := false
	for len(h) > 2 {
		line, h, _ = bytes.Cut(h, []byte("\r\n"))
		name, value, found := bytes.Cut(line, []byte(":"))
		if !found {
			return fmt.Errorf("failed to poll: malformed MIME header line: %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := wire.Digits(value, 18)
			if !ok || (sized && uint64(n) != a.left) {
				return fmt.Errorf("failed to poll: bad Content-Length %q", value)
			}
			sized, a.left = true, uint64(n)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return fmt.Errorf("failed to poll: unsupported transfer encoding: %q", value)
			}
			a.chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			a.close = a.close || bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte(transports.HeadHeader)):
			a.head, _ = wire.Digits(value, 18)
		}
	}
	if a.chunked {
		a.left = 0
	}
	a.toEOF = !a.chunked && !sized
	return nil
}

// readChunked takes the chunked framing off b and gives the data to data.
func (a *answer) readChunked(b []byte, p *poller, e *transports.PollEnv) ([]byte, bool, error) {
	for len(b) > 0 {
		switch a.cstate {
		case chunkSize, chunkTrailer:
			line, rest, ok := a.ctlLine(b)
			if !ok {
				return nil, false, a.ctlTooLong()
			}
			if line == nil {
				return nil, false, nil
			}
			b = rest
			if a.cstate == chunkTrailer {
				if len(line) == 2 { // the blank line: the body's end
					return b, true, a.finish()
				}
				continue
			}
			n, err := chunkLen(line)
			if err != nil {
				return nil, false, fmt.Errorf("failed to read poll answer: %w", err)
			}
			a.left, a.cstate = n, chunkData
			if n == 0 {
				a.cstate = chunkTrailer
			}
		case chunkData:
			k := min(uint64(len(b)), a.left)
			a.left -= k
			if err := a.data(b[:k], p, e); err != nil {
				return nil, false, err
			}
			b = b[k:]
			if a.left == 0 {
				a.cstate = chunkCR
			}
		case chunkCR, chunkLF:
			if want := "\r\n"[a.cstate-chunkCR]; b[0] != want {
				return nil, false, errors.New("failed to read poll answer: malformed chunked encoding")
			}
			b = b[1:]
			a.cstate = (a.cstate + 1) % (chunkLF + 1)
		}
	}
	return nil, false, nil
}

// ctlLine returns the next CRLF-ended line of chunk framing (nil while it
// is partial: kept in ctl) and what follows it; false when it is too long.
func (a *answer) ctlLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		a.ctl = append(a.ctl, b...)
		return nil, nil, len(a.ctl) <= maxCtlLine
	}
	line, rest = b[:i+1], b[i+1:]
	if len(a.ctl) > 0 {
		a.ctl = append(a.ctl, line...)
		line = a.ctl
		a.ctl = a.ctl[:0] // line aliases it until the caller is done with it
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, nil, false
	}
	return line, rest, len(line) <= maxCtlLine
}

func (a *answer) ctlTooLong() error {
	return errors.New("failed to read poll answer: malformed chunked encoding")
}

// chunkLen reads a chunk-size line (with its CRLF; extensions ignored).
func chunkLen(line []byte) (uint64, error) {
	line = line[:len(line)-2]
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	return wire.Hex(bytes.TrimRight(line, " \t"))
}

// status is the answer's error when it is not a 200.
func (a *answer) status() error {
	if a.code == 200 {
		return nil
	}
	return fmt.Errorf("poll answered %s: %s", a.statusT, strings.TrimSpace(string(a.body)))
}

// finish checks a whole 200 body: the array closed.
func (a *answer) finish() error {
	a.obj = a.obj[:0]
	if a.code == 200 && a.astate != arrTail {
		return errNotArray
	}
	return nil
}

// endToEOF ends a body that had no length at the connection's end.
func (a *answer) endToEOF() error {
	a.toEOF = false
	return a.finish()
}
