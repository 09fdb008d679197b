package serve

import (
	"context"
	"strings"
	"time"
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

// RunPublisher publishes open-loop at rate messages per second until ctx is
// done: message i is due at start + i/rate and is stamped with that
// intended time, so a publisher that falls behind shows up as latency
// instead of silently slowing the schedule. It returns the count published.
func (s *Service) RunPublisher(ctx context.Context, rate float64, payload string) int64 {
	if rate <= 0 {
		<-ctx.Done()
		return 0
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var n int64
	for {
		due := start.Add(dueAfter(n, rate))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return n
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return n
		}
		if _, err := s.TryPublish(due, payload); err != nil {
			return n // the log refuses (seq exhausted; the payload was checked to fit)
		}
		n++
	}
}
