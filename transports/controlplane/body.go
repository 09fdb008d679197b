package controlplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Body bounds are a control request body's: at most MaxBody bytes,
// arriving within BodyTimeout.
const (
	MaxBody     = 1 << 20
	BodyTimeout = 10 * time.Second
)

// BodyError is a request body refused, with the status to answer.
type BodyError struct {
	Status int
	Msg    string
}

func (e *BodyError) Error() string { return e.Msg }

// DecodeBody reads r's body into v: at most limit bytes (a declared
// Content-Length over it is refused before a byte is read), arriving
// within timeout (a body trickled slower is cut), one JSON value with no
// unknown fields and nothing after it. Its error is a *BodyError: 413, 408
// or 400.
func DecodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64, timeout time.Duration) error {
	if r.ContentLength > limit {
		return &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the limit of %d", r.ContentLength, limit)}
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout)) // not supported under httptest.ResponseRecorder
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		// The deadline stays: net/http reads what is left of the body
		// after the handler, and a body that stops short would otherwise
		// hold the connection.
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			return &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over the limit of %d bytes", limit)}
		case errors.As(err, &ne) && ne.Timeout():
			return &BodyError{http.StatusRequestTimeout, fmt.Sprintf("body not received within %v", timeout)}
		}
		return &BodyError{http.StatusBadRequest, "failed to read body: " + err.Error()}
	}
	_ = rc.SetReadDeadline(time.Time{})
	if err := DecodeStrict(b, v); err != nil {
		return &BodyError{http.StatusBadRequest, "bad request body: " + err.Error()}
	}
	return nil
}

// DecodeStrict decodes one JSON value from b into v: unknown fields and
// anything after the value are errors. Messages are cut to 200 bytes, as
// they may quote the input.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		return errors.New(msg)
	}
	return nil
}

// BodyDeadline wraps a handler so that a request carrying a body must
// deliver it within timeout even when the handler does not read it (net/
// http reads what is left after the handler returns).
func BodyDeadline(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		next.ServeHTTP(w, r)
	})
}
