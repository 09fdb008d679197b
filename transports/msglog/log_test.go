package msglog_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/pushbench/pushbench/transports/msglog"
)

func TestRingKeepsTheNewestAndReportsGaps(t *testing.T) {
	l := msglog.New(5)
	for i := 1; i <= 12; i++ {
		if e := l.Append(int64(i*10), "p"); e.Seq != int64(i) {
			t.Fatalf("append %d got seq %d", i, e.Seq)
		}
	}
	entries, gap, head, err := l.Since(2, 100, nil)
	if err != nil || head != 12 {
		t.Fatalf("Since: head %d err %v", head, err)
	}
	if gap == nil || gap.First != 3 || gap.Last != 7 {
		t.Errorf("gap = %+v, want 3..7", gap)
	}
	if len(entries) != 5 || entries[0].Seq != 8 || entries[4].Seq != 12 || entries[0].Sent != 80 {
		t.Errorf("entries %v", entries)
	}
	if entries, gap, _, _ := l.Since(9, 2, nil); gap != nil || len(entries) != 2 || entries[1].Seq != 11 {
		t.Errorf("bounded read: gap %v entries %d", gap, len(entries))
	}
	if entries, gap, _, _ := l.Since(12, 10, nil); gap != nil || len(entries) != 0 {
		t.Errorf("at head: gap %v entries %d", gap, len(entries))
	}
	if _, _, _, err := l.Since(13, 10, nil); !errors.Is(err, msglog.ErrAhead) {
		t.Errorf("ahead: %v", err)
	}
	if _, _, _, err := l.Since(-1, 10, nil); err == nil {
		t.Error("negative cursor accepted")
	}
}

func TestEncodeOnceAndWakeWaiters(t *testing.T) {
	l := msglog.New(10)
	calls := 0
	slot := l.AddEncoder(func(e *msglog.Entry) any { calls++; return len(e.JSON) })
	changed := l.Changed()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-changed }()
	}
	e := l.Append(5, `a"b`)
	wg.Wait() // every waiter woke
	if string(e.JSON) != `{"seq":1,"sent":5,"payload":"a\"b"}` {
		t.Errorf("JSON %s", e.JSON)
	}
	if calls != 1 || e.Frames[slot] != len(e.JSON) {
		t.Errorf("encoder ran %d times, frame %v", calls, e.Frames[slot])
	}
}
