// Package msglog is the server's shared, bounded message log. Every transport
// reads from it, so every transport resumes the same way: from a cursor, the
// last sequence number a client has seen.
package msglog

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/pushbench/pushbench/transports/wire"
)

// Entry is one published message. Entries are immutable once appended and
// may be shared by any number of goroutines.
type Entry struct {
	Seq  int64  // 1, 2, 3, ... in publish order
	Sent int64  // intended publish time, Unix nanoseconds
	JSON []byte // the wire message, encoded once: {"seq":..,"sent":..,"payload":..}
	// Binary is a binary message's raw form, header and payload
	// (wire.PutBinaryHeader), encoded once like JSON, which then holds the
	// payload base64-encoded ({"seq":..,"sent":..,"size":..,"base64":..}).
	// Transports that carry bytes send Binary, the others JSON. It is nil
	// for a text message.
	Binary []byte
	// Frames holds per-transport encodings made once at append time by
	// the encoders registered with Log.AddEncoder, indexed by slot.
	Frames []any
	// end is the log's running byte total up to and including this entry,
	// so the bytes between two entries are a subtraction.
	end int64
}

// Size is what the entry counts against the log's byte budget: its wire
// JSON (and raw binary form) plus a fixed overhead for the entry itself.
func (e *Entry) Size() int64 { return int64(len(e.JSON)+len(e.Binary)) + EntryOverhead }

// BinarySize is the Size of a binary message of n payload bytes, at most
// (the widest seq and sent): its base64 JSON, its raw form and the
// overhead. Check a binary payload fits the budget with it.
func BinarySize(n int) int64 {
	return int64(len(`{"seq":9223372036854775807`)+wire.BinaryJSONTailMax(n)+wire.BinaryHeaderSize+n) + EntryOverhead
}

// EntryOverhead is the bytes counted per entry beside its JSON (the Entry
// struct, its slice headers and the ring slot).
const EntryOverhead = 96

// Gap reports messages First..Last (inclusive) that a cursor asked for but
// the ring no longer holds.
type Gap struct{ First, Last int64 }

// ErrAhead is returned for a cursor beyond the newest message.
var ErrAhead = errors.New("cursor is ahead of the newest message")

// ErrTooLarge refuses a message that alone is over the log's byte budget.
var ErrTooLarge = errors.New("message is larger than the log's byte budget")

// ErrSeqExhausted refuses a message once the sequence would pass
// math.MaxInt64: a sequence number never wraps silently.
var ErrSeqExhausted = errors.New("sequence numbers exhausted (the next would pass 9223372036854775807)")

// MaxCapacity is the most entries a log may be made to hold: the ring is
// allocated up front, 8 bytes a slot.
const MaxCapacity = 100_000_000

// Log is a ring of the newest entries, bounded both by count (Capacity)
// and by bytes (Budget): appending evicts the oldest entries until both
// bounds hold. It is safe for concurrent use: one or more publishers
// append, any number of readers read and wait.
type Log struct {
	mu       sync.Mutex
	ring     []*Entry
	head     int64 // seq of the newest entry; first-1 when empty
	oldest   int64 // seq of the oldest entry held; head+1 when none
	first    int64 // seq of the first entry this log ever held
	bytes    int64 // Size of the entries held
	total    int64 // running byte total of every entry ever appended
	budget   int64 // most bytes held (math.MaxInt64: no byte bound)
	changed  chan struct{}
	encoders []func(*Entry) any
}

// New returns an empty log holding at most capacity entries.
func New(capacity int) *Log { return NewFrom(capacity, 1) }

// NewFrom returns an empty log whose first message gets seq first: a server
// restarted with a durable sequence but no durable messages. Cursors below
// first-1 then get a gap signal for what the previous life published and
// this one never had. capacity is clamped to 1..MaxCapacity; callers
// range-check it first.
func NewFrom(capacity int, first int64) *Log {
	capacity = min(max(capacity, 1), MaxCapacity)
	if first < 1 {
		first = 1
	}
	return &Log{ring: make([]*Entry, capacity), changed: make(chan struct{}), first: first, head: first - 1,
		oldest: first, budget: math.MaxInt64}
}

// SetBudget bounds the bytes the log holds (Entry.Size summed); <= 0 means
// no byte bound. Call it before the first Append.
func (l *Log) SetBudget(bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytes <= 0 {
		bytes = math.MaxInt64
	}
	l.budget = bytes
}

// Budget is the most bytes the log holds (math.MaxInt64 when unbounded).
func (l *Log) Budget() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.budget
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
// and returns its entry. It panics where TryAppend would fail; use it only
// with payloads known to fit (tests, the built-in publisher after a check).
func (l *Log) Append(sent int64, payload string) *Entry {
	e, err := l.TryAppend(sent, payload)
	if err != nil {
		panic(err)
	}
	return e
}

// TryAppend publishes a message, or refuses it with ErrTooLarge (it alone
// is over the byte budget) or ErrSeqExhausted. The payload is escaped into
// JSON once, into a buffer of the exact size, before the lock is taken;
// under the lock only the sequence number is written in front of it.
func (l *Log) TryAppend(sent int64, payload string) (*Entry, error) {
	// One allocation of the exact size: room for the longest head in
	// front, then the tail, escaped here, outside the lock.
	buf := make([]byte, headRoom, headRoom+len(`,"sent":-9223372036854775808,"payload":}`)+wire.StringLen(payload))
	buf = wire.AppendMessageTail(buf, sent, payload)
	return l.tryAppend(sent, buf, nil)
}

// TryAppendBinary publishes a binary message (bytes that need not be
// text), refused as TryAppend refuses. Both of its forms are encoded once,
// outside the lock: the raw one (header and payload) and the JSON one with
// the payload in base64; under the lock only the seq is written into them.
func (l *Log) TryAppendBinary(sent int64, payload []byte) (*Entry, error) {
	if uint64(len(payload)) > wire.MaxBinaryPayload {
		return nil, fmt.Errorf("%w: a binary payload of %d bytes is over the %d its header can carry", ErrTooLarge, len(payload), wire.MaxBinaryPayload)
	}
	buf := make([]byte, headRoom, headRoom+wire.BinaryJSONTailMax(len(payload)))
	buf = wire.AppendBinaryJSONTail(buf, sent, payload)
	raw := make([]byte, wire.BinaryHeaderSize+len(payload))
	copy(raw[wire.BinaryHeaderSize:], payload)
	return l.tryAppend(sent, buf, raw)
}

// headRoom is the room for the longest {"seq":S in front of a message's
// JSON tail.
const headRoom = len(`{"seq":9223372036854775807`)

// tryAppend appends the message whose JSON tail is buf[headRoom:] (and,
// for a binary message, whose raw form is raw, the header still to write).
func (l *Log) tryAppend(sent int64, buf, raw []byte) (*Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == math.MaxInt64 {
		return nil, ErrSeqExhausted
	}
	e := &Entry{Seq: l.head + 1, Sent: sent}
	var head [headRoom]byte
	h := wire.AppendMessageHead(head[:0], e.Seq)
	start := headRoom - len(h)
	copy(buf[start:], h)
	e.JSON = buf[start:]
	if raw != nil {
		wire.PutBinaryHeader(raw, e.Seq, sent, len(raw)-wire.BinaryHeaderSize)
		e.Binary = raw
	}
	size := e.Size()
	if size > l.budget {
		return nil, fmt.Errorf("%w: %d bytes encoded, budget %d", ErrTooLarge, size, l.budget)
	}
	if len(l.encoders) > 0 {
		e.Frames = make([]any, len(l.encoders))
		for i, enc := range l.encoders {
			e.Frames[i] = enc(e)
		}
	}
	// Evict what the new entry's slot or bytes push out.
	n := int64(len(l.ring))
	for l.oldest <= l.head && (e.Seq-l.oldest >= n || l.bytes+size > l.budget) {
		l.evictOldest()
	}
	l.total += size
	e.end = l.total
	l.bytes += size
	l.head = e.Seq
	l.ring[e.Seq%n] = e
	close(l.changed)
	l.changed = make(chan struct{})
	return e, nil
}

func (l *Log) evictOldest() {
	slot := l.oldest % int64(len(l.ring))
	if old := l.ring[slot]; old != nil && old.Seq == l.oldest {
		l.bytes -= old.Size()
		l.ring[slot] = nil
	}
	l.oldest++
}

// Head returns the sequence number of the newest entry (0 when empty).
func (l *Log) Head() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Held returns how many entries and bytes the log holds now.
func (l *Log) Held() (entries, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head - l.oldest + 1, l.bytes
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
	return l.SinceBytes(after, limit, math.MaxInt64, dst)
}

// SinceBytes is Since bounded in bytes as well: it stops before an entry
// that would take the JSON returned past maxBytes, but always returns at
// least one entry when one is due, so a reader makes progress.
func (l *Log) SinceBytes(after int64, limit int, maxBytes int64, dst []*Entry) (entries []*Entry, gap *Gap, head int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	head = l.head
	if after < 0 {
		return dst, nil, head, fmt.Errorf("cursor %d is negative", after)
	}
	if after > head {
		return dst, nil, head, fmt.Errorf("cursor %d: %w (newest is %d)", after, ErrAhead, head)
	}
	if after == head {
		return dst, nil, head, nil // nothing new (and after+1 could overflow)
	}
	from := after + 1
	if from < l.oldest {
		gap = &Gap{First: from, Last: l.oldest - 1}
		from = l.oldest
	}
	var size int64
	// Count from 0 rather than test s <= head: s+1 past head may overflow.
	for n := int64(0); n < int64(limit) && n <= head-from; n++ {
		e := l.ring[(from+n)%int64(len(l.ring))]
		size += int64(len(e.JSON))
		if n > 0 && size > maxBytes {
			break
		}
		dst = append(dst, e)
	}
	return dst, gap, head, nil
}

// BytesAfter returns the bytes (Entry.Size summed) of the entries held with
// Seq > after: a connection's backlog in bytes when after is its cursor.
func (l *Log) BytesAfter(after int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if after >= l.head {
		return 0
	}
	if after < l.oldest {
		return l.bytes
	}
	return l.total - l.ring[after%int64(len(l.ring))].end
}
