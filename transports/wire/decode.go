package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Frame is one decoded wire object: a message or a gap signal.
type Frame struct {
	Gap         bool  // true for a gap signal
	Seq         int64 // message sequence number
	Sent        int64 // message intended publish time, Unix nanoseconds
	PayloadSize int   // payload length in bytes: as encoded for text, decoded for binary
	Binary      bool  // the payload was binary (raw or base64), decoded and checked
	First, Last int64 // gap: the lost messages
}

var (
	prefixMsg = []byte(`{"seq":`)
	prefixGap = []byte(`{"type":"gap","first":`)
	keySent   = []byte(`,"sent":`)
	keyPay    = []byte(`,"payload":"`)
	keyLast   = []byte(`,"last":`)
)

// Decode parses one wire object: a text message, a binary message in its
// JSON form (base64, decoded and checked against its size; see
// DecodeBinary for the raw form) or a gap signal. The canonical form the
// server writes is parsed without allocating; anything else valid is
// parsed with encoding/json.
func Decode(b []byte) (Frame, error) {
	if f, ok := decodeFast(b); ok {
		return f, nil
	}
	return decodeSlow(b)
}

func decodeFast(b []byte) (f Frame, ok bool) {
	var rest []byte
	switch {
	case bytes.HasPrefix(b, prefixMsg):
		if f.Seq, rest, ok = cutInt(b[len(prefixMsg):], keySent); !ok {
			return f, false
		}
		sentAndRest := rest
		if f.Sent, rest, ok = cutInt(rest, keyPay); !ok {
			return decodeBinaryJSON(sentAndRest, f)
		}
		// The canonical payload is printable ASCII with no escapes (see
		// AppendString); anything else is left to encoding/json.
		end := 0
		for end < len(rest) && rest[end] != '"' && rest[end] != '\\' && rest[end] >= 0x20 && rest[end] < 0x7f {
			end++
		}
		if !bytes.Equal(rest[end:], []byte(`"}`)) {
			return f, false
		}
		f.PayloadSize = end
		return f, true
	case bytes.HasPrefix(b, prefixGap):
		f.Gap = true
		if f.First, rest, ok = cutInt(b[len(prefixGap):], keyLast); !ok {
			return f, false
		}
		f.Last, rest, ok = cutInt(rest, []byte(`}`))
		return f, ok && len(rest) == 0
	}
	return f, false
}

// cutInt parses the non-negative decimal integer before sep and returns
// what follows sep. Anything else (a sign, a leading zero, a value past
// math.MaxInt64) is left to the slow path, which errors where it must.
func cutInt(b, sep []byte) (int64, []byte, bool) {
	i := bytes.Index(b, sep)
	if i <= 0 || i > 19 || (b[0] == '0' && i > 1) {
		return 0, nil, false
	}
	var n int64
	for _, c := range b[:i] {
		if c < '0' || c > '9' {
			return 0, nil, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, nil, false
		}
		n = n*10 + d
	}
	return n, b[i+len(sep):], true
}

type slowFrame struct {
	Type    string  `json:"type"`
	Seq     *int64  `json:"seq"`
	Sent    int64   `json:"sent"`
	Payload *string `json:"payload"`
	Size    *int64  `json:"size"`
	Base64  *string `json:"base64"`
	First   int64   `json:"first"`
	Last    int64   `json:"last"`
}

func decodeSlow(b []byte) (Frame, error) {
	var s slowFrame
	if err := json.Unmarshal(b, &s); err != nil {
		return Frame{}, fmt.Errorf("failed to decode wire object %.40q: %w", b, err)
	}
	if s.Type == "gap" {
		return Frame{Gap: true, First: s.First, Last: s.Last}, nil
	}
	if s.Seq != nil && s.Base64 != nil {
		if s.Payload != nil {
			return Frame{}, errors.New("wire object has both payload and base64")
		}
		return decodeBase64Payload(*s.Seq, s.Sent, s.Size, *s.Base64)
	}
	if s.Seq == nil || s.Payload == nil {
		return Frame{}, errors.New("wire object has no seq or payload")
	}
	return Frame{Seq: *s.Seq, Sent: s.Sent, PayloadSize: len(*s.Payload)}, nil
}

// ParseCursor parses a resume cursor (a since= value or a Last-Event-ID):
// a non-negative decimal sequence number. The error says what is allowed.
func ParseCursor(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer (the last seq received), got %s", name, Quote(v))
	}
	return n, nil
}

// QuoteMax is the most bytes of bad input an error message quotes.
const QuoteMax = 40

// Quote quotes at most QuoteMax bytes of bad input for an error message,
// saying how long the rest was: a 1 MiB header gets a short error.
func Quote(s string) string {
	if len(s) <= QuoteMax {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:QuoteMax], len(s))
}

// Digits parses b as a non-negative decimal of 1 to max ASCII digits
// (max at most 18, so that it cannot overflow): HTTP status codes and
// lengths, SSE ids and retry values. ok is false for anything else.
func Digits(b []byte, max int) (n int64, ok bool) {
	if len(b) == 0 || len(b) > max || max > 18 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// Hex parses an HTTP/1.1 chunk size: 1 to 16 hex digits, as net/http
// accepts them; the error names what is wrong.
func Hex(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, errors.New("empty hex number for chunk length")
	}
	var n uint64
	for i, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, errors.New("invalid byte in chunk length")
		}
		if i == 16 {
			return 0, errors.New("http chunk length too large")
		}
		n = n<<4 | uint64(b)
	}
	return n, nil
}
