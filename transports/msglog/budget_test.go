package msglog_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

func TestByteBudgetEvictsTheOldestAndRefusesWhatCannotFit(t *testing.T) {
	l := msglog.New(1000)
	payload := strings.Repeat("x", 1000)
	one := l.Append(1, payload).Size() // seq 1
	l.SetBudget(0)                     // unbounded again: no effect yet
	if l.Budget() != math.MaxInt64 {
		t.Fatalf("budget %d after SetBudget(0)", l.Budget())
	}
	l = msglog.New(1000)
	l.SetBudget(3*one + one/2) // room for 3 entries
	for i := 0; i < 10; i++ {
		if _, err := l.TryAppend(int64(i), payload); err != nil {
			t.Fatal(err)
		}
	}
	entries, gap, head, err := l.Since(0, 100, nil)
	if err != nil || head != 10 || gap == nil || gap.First != 1 || gap.Last != 7 || len(entries) != 3 || entries[0].Seq != 8 {
		t.Fatalf("Since(0) = %d entries, gap %+v, head %d, %v; want 8..10 and gap 1..7", len(entries), gap, head, err)
	}
	s8, s9, s10 := entries[0].Size(), entries[1].Size(), entries[2].Size()
	n, bytes := l.Held()
	if n != 3 || bytes != s8+s9+s10 || bytes > l.Budget() {
		t.Errorf("held %d entries, %d bytes; want 3 entries of %d bytes within %d", n, bytes, s8+s9+s10, l.Budget())
	}
	if got := l.BytesAfter(8); got != s9+s10 {
		t.Errorf("BytesAfter(8) = %d, want %d", got, s9+s10)
	}
	if got := l.BytesAfter(2); got != bytes {
		t.Errorf("BytesAfter(2) (before the ring) = %d, want all held %d", got, bytes)
	}
	if got := l.BytesAfter(10); got != 0 {
		t.Errorf("BytesAfter(head) = %d", got)
	}
	_, err = l.TryAppend(0, strings.Repeat("y", int(4*one)))
	if !errors.Is(err, msglog.ErrTooLarge) {
		t.Errorf("a message over the whole budget: %v, want ErrTooLarge", err)
	}
	if l.Head() != 10 {
		t.Errorf("a refused message took seq %d", l.Head())
	}
}

func TestSinceBytesCapsTheAnswerButAlwaysMakesProgress(t *testing.T) {
	l := msglog.New(100)
	for i := 0; i < 10; i++ {
		l.Append(0, strings.Repeat("z", 100))
	}
	size := int64(len(l.Append(0, strings.Repeat("z", 100)).JSON))
	entries, _, _, _ := l.SinceBytes(0, 100, 3*size, nil)
	if len(entries) != 3 {
		t.Errorf("3 entries' worth of bytes returned %d entries", len(entries))
	}
	entries, _, _, _ = l.SinceBytes(0, 100, 1, nil)
	if len(entries) != 1 || entries[0].Seq != 1 {
		t.Errorf("a budget below one entry returned %d entries, want the first alone", len(entries))
	}
}

func TestSequenceNeverWraps(t *testing.T) {
	l := msglog.NewFrom(4, math.MaxInt64-1)
	if e, err := l.TryAppend(0, "a"); err != nil || e.Seq != math.MaxInt64-1 {
		t.Fatalf("first: %v %v", e, err)
	}
	if e, err := l.TryAppend(0, "b"); err != nil || e.Seq != math.MaxInt64 {
		t.Fatalf("last: %v %v", e, err)
	}
	if _, err := l.TryAppend(0, "c"); !errors.Is(err, msglog.ErrSeqExhausted) {
		t.Fatalf("past MaxInt64: %v, want ErrSeqExhausted", err)
	}
	if entries, gap, head, err := l.Since(math.MaxInt64-2, 10, nil); err != nil || gap != nil || len(entries) != 2 || head != math.MaxInt64 {
		t.Errorf("reading at the top: %d entries, gap %v, head %d, %v", len(entries), gap, head, err)
	}
}

// TestAppendAllocatesTheJSONOnce: escaping a payload that grows six-fold
// costs one buffer of the final size, not a chain of copies.
func TestAppendAllocatesTheJSONOnce(t *testing.T) {
	l := msglog.New(4)
	payload := strings.Repeat("<", 1<<16)
	e := l.Append(0, payload)
	if cap(e.JSON)-len(e.JSON) > 40 { // room reserved for the longest seq and sent
		t.Errorf("JSON of %d bytes in a buffer of %d", len(e.JSON), cap(e.JSON))
	}
	avg := testing.AllocsPerRun(20, func() { l.Append(0, payload) })
	if avg > 3 { // the buffer, the entry, and the wake-up channel
		t.Errorf("%.1f allocations per append", avg)
	}
}

// TestBinaryEntryHoldsBothFormsAndCountsThem: a binary message is encoded
// once in each form, with the seq the log assigned, and both count against
// the byte budget (BinarySize bounds them).
func TestBinaryEntryHoldsBothFormsAndCountsThem(t *testing.T) {
	l := msglog.New(10)
	l.Append(1, "text first")
	payload := []byte{0xff, 0x00, 0xfe, 0x80, 0x01}
	e, err := l.TryAppendBinary(77, payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wire.DecodeBinary(e.Binary)
	if err != nil || raw.Seq != 2 || raw.Sent != 77 || raw.PayloadSize != len(payload) || string(e.Binary[wire.BinaryHeaderSize:]) != string(payload) {
		t.Errorf("raw form %x: %+v, %v", e.Binary, raw, err)
	}
	if want := `{"seq":2,"sent":77,"size":5,"base64":"/wD+gAE="}`; string(e.JSON) != want {
		t.Errorf("JSON form %s, want %s", e.JSON, want)
	}
	if e.Size() != int64(len(e.JSON)+len(e.Binary))+msglog.EntryOverhead || e.Size() > msglog.BinarySize(len(payload)) {
		t.Errorf("Size %d, BinarySize %d, forms %d + %d", e.Size(), msglog.BinarySize(len(payload)), len(e.JSON), len(e.Binary))
	}
	l.SetBudget(msglog.BinarySize(1000) - 1)
	if _, err := l.TryAppendBinary(0, make([]byte, 1000)); err != nil {
		t.Errorf("a binary message within the budget (its actual size is below BinarySize's bound): %v", err)
	}
	if _, err := l.TryAppendBinary(0, make([]byte, 2000)); !errors.Is(err, msglog.ErrTooLarge) {
		t.Errorf("a binary message over the budget: %v, want ErrTooLarge", err)
	}
	if text := l.Append(0, "x"); text.Binary != nil {
		t.Errorf("a text entry has a binary form")
	}
}
