// Package msglog is the server's shared, bounded message log. Every transport
// reads from it, so every transport resumes the same way: from a cursor, the
// last sequence number a client has seen.
package msglog

import (
	"errors"
	"fmt"
	"sync"

	"github.com/pushbench/pushbench/transports/wire"
)

// Entry is one published message. Entries are immutable once appended and
// may be shared by any number of goroutines.
type Entry struct {
	Seq  int64  // 1, 2, 3, ... in publish order
	Sent int64  // intended publish time, Unix nanoseconds
	JSON []byte // the wire message, encoded once: {"seq":..,"sent":..,"payload":..}
	// Frames holds per-transport encodings made once at append time by
	// the encoders registered with Log.AddEncoder, indexed by slot.
	Frames []any
}

// Gap reports messages First..Last (inclusive) that a cursor asked for but
// the ring no longer holds.
type Gap struct{ First, Last int64 }

// ErrAhead is returned for a cursor beyond the newest message.
var ErrAhead = errors.New("cursor is ahead of the newest message")

// Log is a ring of the newest Capacity entries. It is safe for concurrent
// use: one or more publishers append, any number of readers read and wait.
type Log struct {
	mu       sync.Mutex
	ring     []*Entry
	head     int64 // seq of the newest entry; first-1 when empty
	first    int64 // seq of the first entry this log ever held
	changed  chan struct{}
	encoders []func(*Entry) any
}

// New returns an empty log holding at most capacity entries.
func New(capacity int) *Log { return NewFrom(capacity, 1) }

// NewFrom returns an empty log whose first message gets seq first: a server
// restarted with a durable sequence but no durable messages. Cursors below
// first-1 then get a gap signal for what the previous life published and
// this one never had.
func NewFrom(capacity int, first int64) *Log {
	if capacity < 1 {
		capacity = 1
	}
	if first < 1 {
		first = 1
	}
	return &Log{ring: make([]*Entry, capacity), changed: make(chan struct{}), first: first, head: first - 1}
}

// AddEncoder registers fn to pre-encode every appended entry once; the
// result is stored in Entry.Frames[slot]. Call it before the first Append.
func (l *Log) AddEncoder(fn func(*Entry) any) (slot int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.encoders = append(l.encoders, fn)
	return len(l.encoders) - 1
}

// Capacity is the most entries the log holds.
func (l *Log) Capacity() int { return len(l.ring) }

// Append publishes a message with the given intended send time and payload
// and returns its entry.
func (l *Log) Append(sent int64, payload string) *Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := &Entry{Seq: l.head + 1, Sent: sent}
	e.JSON = wire.AppendMessageJSON(nil, e.Seq, sent, payload)
	if len(l.encoders) > 0 {
		e.Frames = make([]any, len(l.encoders))
		for i, enc := range l.encoders {
			e.Frames[i] = enc(e)
		}
	}
	l.head = e.Seq
	l.ring[e.Seq%int64(len(l.ring))] = e
	close(l.changed)
	l.changed = make(chan struct{})
	return e
}

// Head returns the sequence number of the newest entry (0 when empty).
func (l *Log) Head() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Changed returns a channel closed at the next Append.
func (l *Log) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// Since appends to dst, in order, up to limit entries with Seq > after. When
// the oldest wanted entries have left the ring it returns a non-nil gap
// naming them; the entries that follow are still returned. A cursor beyond
// the head is an error (wrapping ErrAhead). It also returns the head.
func (l *Log) Since(after int64, limit int, dst []*Entry) (entries []*Entry, gap *Gap, head int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	head = l.head
	if after < 0 {
		return dst, nil, head, fmt.Errorf("cursor %d is negative", after)
	}
	if after > head {
		return dst, nil, head, fmt.Errorf("cursor %d: %w (newest is %d)", after, ErrAhead, head)
	}
	oldest := max(head-int64(len(l.ring))+1, l.first)
	from := after + 1
	if from < oldest {
		gap = &Gap{First: from, Last: oldest - 1}
		from = oldest
	}
	for s := from; s <= head && len(dst) < limit; s++ {
		dst = append(dst, l.ring[s%int64(len(l.ring))])
	}
	return dst, gap, head, nil
}
