package serve

import (
	"context"
	"testing"
	"time"
)

// TestPacerWaitsUntilDue: until returns no earlier than each due time,
// through the timerfd for a wait long enough to arm it, at once for a
// time already passed, and false once its context has ended; close ends
// the alarm (TestMain checks for leaked goroutines).
func TestPacerWaitsUntilDue(t *testing.T) {
	p := newPacer()
	defer p.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, d := range []time.Duration{armMin / 2, 200 * time.Microsecond, 3 * time.Millisecond} {
		due := time.Now().Add(d)
		if !p.until(ctx, due) {
			t.Fatalf("until %v: false with its context live", d)
		}
		if early := time.Until(due); early > 0 {
			t.Errorf("until %v returned %v early", d, early)
		}
	}
	if p.f == nil {
		t.Log("no timerfd on this kernel: the Timer alone paced")
	} else if p.fired.Load() == 0 {
		t.Error("waits of 200 us and 3 ms armed the timerfd, and its alarm never read an expiration")
	}
	if !p.until(ctx, time.Now().Add(-time.Second)) {
		t.Error("a time already passed: want true at once")
	}
	cancel()
	if p.until(ctx, time.Now().Add(time.Hour)) {
		t.Error("until returned true after its context ended")
	}
}
