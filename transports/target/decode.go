package target

import (
	"math"

	"github.com/pushbench/pushbench/transports/wire"
)

// Message is pushbench's message as found in a document: its seq, its
// intended send time in Unix nanoseconds and its payload's length in
// bytes once decoded.
type Message struct {
	Seq, Sent   int64
	PayloadSize int
}

// Decoder finds pushbench's messages in a target's documents (an SSE
// event's data, a WebSocket message, a poll answer's body) without a
// general JSON decode and without allocating: Reset checks the document
// and resolves the message pointer, then Next returns each message.
//
// A message is a JSON object with seq (an integer), sent (a string of a
// decimal integer, or an integer) and payload (a string); other members,
// their order and white space do not matter, and where a name repeats the
// last one counts, as with encoding/json. Not safe for concurrent use.
type Decoder struct {
	ptr   Pointer
	array bool
	stack []byte // validate's scratch

	doc  []byte
	at   int  // the next message's start, or the array's next element
	done bool // no message left in doc
}

// NewDecoder returns a decoder for messages at the JSON Pointer msg;
// array says the value there is an array of messages.
func NewDecoder(msg string, array bool) (*Decoder, error) {
	p, err := ParsePointer(msg)
	if err != nil {
		return nil, err
	}
	return &Decoder{ptr: p, array: array}, nil
}

// Reset takes a new document. found is false when the message pointer
// does not resolve in it, or when it is empty or white space: it holds
// no message (a connect reply, a ping). err wraps ErrNotJSON when the
// document is not JSON, ErrNotArray when the value is not the array the
// decoder expects. The decoder reads doc until the next Reset.
func (d *Decoder) Reset(doc []byte) (found bool, err error) {
	d.doc, d.done = nil, true
	if skipSpace(doc, 0) == len(doc) {
		return false, nil
	}
	if d.stack, err = validate(doc, d.stack); err != nil {
		return false, err
	}
	d.doc = doc
	at, ok := lookup(doc, d.ptr)
	if !ok {
		return false, nil
	}
	d.done = false
	if !d.array {
		d.at = at
		return true, nil
	}
	if doc[at] != '[' {
		d.done = true
		return true, &MessageError{Pointer: d.ptr.text, Err: ErrNotArray, Value: excerpt(doc, at)}
	}
	d.at = skipSpace(doc, at+1)
	if doc[d.at] == ']' {
		d.done = true
	}
	return true, nil
}

// Next returns the document's next message; more is false when none is
// left. An error (a *MessageError) ends the document.
func (d *Decoder) Next() (m Message, more bool, err error) {
	if d.done {
		return Message{}, false, nil
	}
	at := d.at
	if !d.array {
		d.done = true
	} else {
		i := skipSpace(d.doc, valueEnd(d.doc, at))
		if d.doc[i] == ']' {
			d.done = true
		} else {
			d.at = skipSpace(d.doc, i+1)
		}
	}
	m, err = d.message(at)
	if err != nil {
		d.done = true
		return Message{}, false, err
	}
	return m, true, nil
}

// Lookup returns the raw JSON value at p in the current document, or ok
// false; a document Reset found empty or not JSON has none.
func (d *Decoder) Lookup(p Pointer) (raw []byte, ok bool) {
	if d.doc == nil {
		return nil, false
	}
	at, ok := lookup(d.doc, p)
	if !ok {
		return nil, false
	}
	return d.doc[at:valueEnd(d.doc, at)], true
}

// lookup returns where the value at p starts in the validated document b.
func lookup(b []byte, p Pointer) (int, bool) {
	i := skipSpace(b, 0)
	for _, t := range p.tokens {
		switch b[i] {
		case '{':
			found := -1
			members(b, i, func(name []byte, v, _ int) bool {
				if nameIs(name, t.name) {
					found = v // the last of repeated names counts
				}
				return true
			})
			if found < 0 {
				return 0, false
			}
			i = found
		case '[':
			if t.index < 0 {
				return 0, false
			}
			if i = element(b, i, t.index); i < 0 {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return i, true
}

// message decodes the message object at d.doc[at].
func (d *Decoder) message(at int) (Message, error) {
	b := d.doc
	if b[at] != '{' {
		return Message{}, d.fail("", ErrNotObject, at)
	}
	var seq, sent, payload [2]int // start and end of each value; start 0 when absent
	members(b, at, func(name []byte, start, end int) bool {
		switch {
		case nameIs(name, "seq"):
			seq = [2]int{start, end}
		case nameIs(name, "sent"):
			sent = [2]int{start, end}
		case nameIs(name, "payload"):
			payload = [2]int{start, end}
		}
		return true
	})
	var m Message
	var ok bool
	switch {
	case seq[0] == 0:
		return m, d.fail("seq", ErrMissingField, -1)
	case !isNumber(b[seq[0]]):
		return m, d.fail("seq", ErrBadField, seq[0])
	}
	if m.Seq, ok = parseInt(b[seq[0]:seq[1]]); !ok {
		return m, d.fail("seq", ErrBadField, seq[0])
	}
	ok = false
	switch {
	case sent[0] == 0:
		return m, d.fail("sent", ErrMissingField, -1)
	case isNumber(b[sent[0]]):
		num := b[sent[0]:sent[1]]
		for _, c := range num {
			if c == '.' || c == 'e' || c == 'E' {
				return m, d.fail("sent", ErrSentFloat, sent[0])
			}
		}
		m.Sent, ok = parseInt(num)
	case b[sent[0]] == '"':
		m.Sent, ok = parseIntString(b[sent[0]+1 : sent[1]-1])
	}
	if !ok {
		return m, d.fail("sent", ErrBadField, sent[0])
	}
	switch {
	case payload[0] == 0:
		return m, d.fail("payload", ErrMissingField, -1)
	case b[payload[0]] != '"':
		return m, d.fail("payload", ErrBadField, payload[0])
	}
	m.PayloadSize = decodedLen(b[payload[0]+1 : payload[1]-1])
	return m, nil
}

func (d *Decoder) fail(field string, err error, at int) error {
	e := &MessageError{Pointer: d.ptr.text, Field: field, Err: err}
	if at >= 0 {
		e.Value = excerpt(d.doc, at)
	}
	return e
}

func excerpt(b []byte, at int) string {
	return wire.Quote(string(b[at:min(valueEnd(b, at), at+wire.QuoteMax+1)]))
}

func isNumber(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// parseInt parses an optionally negative decimal integer that fits in
// int64; anything else (a fraction, an exponent, overflow) is not ok.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxUint64-9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return signed(n, neg)
}

func signed(n uint64, neg bool) (int64, bool) {
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true // -(1<<63) wraps to itself
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// parseIntString parses a validated string's raw contents as parseInt
// would its decoded text (escapes such as \u0031 decode to digits).
func parseIntString(raw []byte) (int64, bool) {
	var n uint64
	neg, digit := false, false
	for i := 0; i < len(raw); {
		var r rune
		start := i
		r, i = nextRune(raw, i)
		switch {
		case r == '-' && start == 0:
			neg = true
		case r >= '0' && r <= '9':
			if n > (math.MaxUint64-9)/10 {
				return 0, false
			}
			n = n*10 + uint64(r-'0')
			digit = true
		default:
			return 0, false
		}
	}
	if !digit {
		return 0, false
	}
	return signed(n, neg)
}
