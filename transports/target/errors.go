package target

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pushbench/pushbench/transports/wire"
)

// The kinds of document errors, for errors.Is. Each arrives wrapped in a
// *SyntaxError or a *MessageError that says where.
var (
	// ErrNotJSON: a document is not one JSON value.
	ErrNotJSON = errors.New("document is not JSON")
	// ErrSentFloat: sent arrived as a JSON number with a fraction or an
	// exponent, so a server decoded pushbench's message into float64 and
	// wrote it back: nanoseconds past 2^53 were rounded and latencies
	// would be wrong. Publish sent as a string (publish.sent: string).
	ErrSentFloat = errors.New(`sent is a float: the server re-encoded pushbench's message through float64 and rounded it (publish sent as a string, publish.sent: "string")`)
	// ErrMissingField: pushbench's message has no seq, sent or payload.
	ErrMissingField = errors.New("pushbench's message lacks a field")
	// ErrBadField: a field of pushbench's message has the wrong type or
	// is out of range.
	ErrBadField = errors.New("pushbench's message has a bad field")
	// ErrNotObject: the value at the message pointer (or an element of
	// its array) is not a JSON object.
	ErrNotObject = errors.New("pushbench's message is not a JSON object")
	// ErrNotArray: the endpoint says array but the value at the message
	// pointer is not an array.
	ErrNotArray = errors.New("the value at the message pointer is not an array (the endpoint says array: true)")
	// ErrDocumentTooLarge: a poll answer or WebSocket message is larger
	// than MaxDocumentBytes.
	ErrDocumentTooLarge = errors.New("document over 128 MiB")
)

// SyntaxError is a document that is not JSON; it wraps ErrNotJSON.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	Reason string // what was wrong there
}

func syntaxError(offset int, reason string) error {
	return &SyntaxError{Offset: offset, Reason: reason}
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("document is not JSON: %s at byte %d", e.Reason, e.Offset)
}

// Unwrap returns ErrNotJSON.
func (e *SyntaxError) Unwrap() error { return ErrNotJSON }

// MessageError is a document whose value at the message pointer is not
// pushbench's message. Err is one of the sentinel errors above.
type MessageError struct {
	Pointer string // the endpoint's message pointer
	Field   string // "seq", "sent", "payload", or "" for the value itself
	Err     error
	Value   string // the offending value, quoted and cut to 40 bytes
}

func (e *MessageError) Error() string {
	where := "message at " + pointerName(e.Pointer)
	if e.Field != "" {
		where += " field " + e.Field
	}
	if e.Value != "" {
		return fmt.Sprintf("%s: %v: %s", where, e.Err, e.Value)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

// Unwrap returns Err.
func (e *MessageError) Unwrap() error { return e.Err }

func pointerName(p string) string {
	if p == "" {
		return `"" (the whole document)`
	}
	return p
}

// StatusError is a poll answered with a status that is neither 200 nor
// one of the endpoint's empty statuses, or a push handshake refused.
type StatusError struct {
	Framing string
	Code    int
	Body    string // the start of the answer's body
}

func (e *StatusError) Error() string {
	body := strings.TrimSpace(e.Body)
	if body == "" {
		body = "(no body)"
	}
	return fmt.Sprintf("%s answered %d %s: %s", e.Framing, e.Code, http.StatusText(e.Code), wire.Quote(body))
}
