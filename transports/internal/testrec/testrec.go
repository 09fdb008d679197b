// Package testrec holds the helpers the transports' tests share: a
// transports.Receiver that keeps what it is told and lets a test wait for a
// condition on it without sleeping, a transport's server on an httptest
// server, and the check that messages arrived once and in order.
package testrec

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports/msglog"
)

// Recorder keeps every message seq, gap and connect it receives. Hold Mu
// to read its fields while clients run. When Block is non-nil, Message
// waits for it to close (a stalled consumer) after closing Blocked once.
type Recorder struct {
	Mu       sync.Mutex
	Seqs     []int64
	Sizes    []int // each message's payload size, as the client reported it
	Gaps     []msglog.Gap
	Connects int
	Empties  int
	Block    chan struct{}
	Blocked  chan struct{}
	once     sync.Once
	changed  chan struct{}
}

// New returns an empty recorder.
func New() *Recorder { return &Recorder{changed: make(chan struct{})} }

func (r *Recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Connected counts a handshake.
func (r *Recorder) Connected() {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Connects++
	r.notify()
}

// Message records a seq.
func (r *Recorder) Message(seq, sent int64, size int) {
	if r.Block != nil {
		r.once.Do(func() { close(r.Blocked) })
		<-r.Block
	}
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Seqs = append(r.Seqs, seq)
	r.Sizes = append(r.Sizes, size)
	r.notify()
}

// Gap records a gap signal.
func (r *Recorder) Gap(first, last int64) {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Gaps = append(r.Gaps, msglog.Gap{First: first, Last: last})
	r.notify()
}

// Empty counts an empty poll answer.
func (r *Recorder) Empty() {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Empties++
	r.notify()
}

// Count is the number of messages so far.
func (r *Recorder) Count() int {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	return len(r.Seqs)
}

// Last is the cursor a resuming client sends: the newest seq or gap end,
// or since when nothing arrived.
func (r *Recorder) Last(since int64) int64 {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	cur := since
	if n := len(r.Seqs); n > 0 && r.Seqs[n-1] > cur {
		cur = r.Seqs[n-1]
	}
	if n := len(r.Gaps); n > 0 && r.Gaps[n-1].Last > cur {
		cur = r.Gaps[n-1].Last
	}
	return cur
}

// WaitFor blocks until cond (called with Mu held) is true, or fails the
// test when ctx ends.
func (r *Recorder) WaitFor(ctx context.Context, t testing.TB, what string, cond func(*Recorder) bool) {
	t.Helper()
	for {
		r.Mu.Lock()
		ok, ch := cond(r), r.changed
		r.Mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			r.Mu.Lock()
			defer r.Mu.Unlock()
			t.Fatalf("timed out waiting for %s: connected=%d messages=%d gaps=%v", what, r.Connects, len(r.Seqs), r.Gaps)
		}
	}
}

// Event is one Receiver call, as a Stream hands it to a test.
type Event struct {
	Gap         bool
	Seq, Sent   int64
	Size        int
	First, Last int64
}

// Stream is a Receiver that hands every call to the test over channels:
// Up is closed at Connected, Events receives messages and gaps in order
// (buffered for 4096).
type Stream struct {
	Up     chan struct{}
	Events chan Event
}

// NewStream returns a Stream.
func NewStream() *Stream {
	return &Stream{Up: make(chan struct{}), Events: make(chan Event, 4096)}
}

// Connected closes Up.
func (s *Stream) Connected() { close(s.Up) }

// Message sends a message event.
func (s *Stream) Message(seq, sent int64, size int) {
	s.Events <- Event{Seq: seq, Sent: sent, Size: size}
}

// Gap sends a gap event.
func (s *Stream) Gap(first, last int64) { s.Events <- Event{Gap: true, First: first, Last: last} }

// Empty is ignored.
func (s *Stream) Empty() {}

// Next returns the next event or fails the test after timeout.
func (s *Stream) Next(t testing.TB, timeout time.Duration) Event {
	t.Helper()
	select {
	case e := <-s.Events:
		return e
	case <-time.After(timeout):
		t.Fatal("no event within the test timeout")
		return Event{}
	}
}

// WaitUp waits for Connected or fails the test after timeout.
func (s *Stream) WaitUp(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-s.Up:
	case <-time.After(timeout):
		t.Fatal("not connected within the test timeout")
	}
}
