package serve

import (
	"context"
	"encoding/binary"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports/msglog"
)

// Payload returns a printable payload of n bytes.
func Payload(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(letters[i%len(letters)])
	}
	return b.String()
}

// BinaryPayload returns a binary payload of n bytes: a deterministic
// pseudo-random pattern (splitmix64 from a fixed seed), so incompressible,
// whose first byte is 0xff, which never occurs in UTF-8: it is not text at
// any length, as a real binary payload (an image, a protobuf) is not.
func BinaryPayload(n int) []byte {
	b := make([]byte, n+7)
	x := uint64(0x9e3779b97f4a7c15)
	for i := 0; i < n; i += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(b[i:], z^(z>>31))
	}
	b = b[:n:n]
	if n > 0 {
		b[0] = 0xff
	}
	return b
}

// Message is what a publisher publishes: a text payload, or binary bytes.
type Message struct {
	Text   string
	Binary []byte // non-nil: a binary message, Text unused
}

// MessageOf is the publisher's message of n payload bytes: BinaryPayload
// when binary, else Payload.
func MessageOf(n int, binary bool) Message {
	if binary {
		return Message{Binary: BinaryPayload(n)}
	}
	return Message{Text: Payload(n)}
}

// TryPublishMessage appends m, text or binary, stamped with its intended
// send time, or says why the log refuses it.
func (s *Service) TryPublishMessage(sent time.Time, m Message) (*msglog.Entry, error) {
	if m.Binary != nil {
		return s.Log.TryAppendBinary(sent.UnixNano(), m.Binary)
	}
	return s.Log.TryAppend(sent.UnixNano(), m.Text)
}

// RunPublisher publishes open-loop at rate messages per second until ctx is
// done: message i is due at start + i/rate and is stamped with that
// intended time, so a publisher that falls behind shows up as latency
// instead of silently slowing the schedule. It returns the count published.
func (s *Service) RunPublisher(ctx context.Context, rate float64, m Message) int64 {
	if rate <= 0 {
		<-ctx.Done()
		return 0
	}
	start := time.Now()
	pace := newPacer()
	defer pace.close()
	var n int64
	for {
		due := start.Add(dueAfter(n, rate))
		if !pace.until(ctx, due) {
			return n
		}
		if _, err := s.TryPublishMessage(due, m); err != nil {
			return n // the log refuses (seq exhausted; the payload was checked to fit)
		}
		n++
	}
}
