package loadgen

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/transports"
)

func newTestGen() *Generator {
	return New(Config{Transport: transports.Transport{Name: "fake"}})
}

func addFake(g *Generator, n int) []*vclient {
	var out []*vclient
	for i := 0; i < n; i++ {
		c := &vclient{gen: g, shard: g.shards[i%len(g.shards)]}
		g.clients = append(g.clients, c)
		out = append(out, c)
	}
	return out
}

// TestAccountingWithInjectedFaults feeds each client a planted sequence and
// checks every count the window reports. Window: seqs 11..15 published.
func TestAccountingWithInjectedFaults(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	cs := addFake(g, 7)
	for _, c := range cs {
		c.Message(3, 0, 1) // before any window: ignored
	}
	g.StartWindow(10, 100)
	now := time.Now().UnixNano()
	feed := func(c *vclient, seqs ...int64) {
		for _, s := range seqs {
			c.Message(s, now, 8)
		}
	}
	feed(cs[0], 9, 11, 12, 13, 14, 15)      // perfect (9 is before the window)
	feed(cs[1], 11, 12, 12, 13, 14, 15, 15) // two duplicates
	feed(cs[2], 11, 13, 12, 14, 15)         // a hole then a late arrival
	feed(cs[3], 11, 12)                     // loss of 13..15 ...
	cs[3].Gap(13, 14)                       // ... two of them announced by a gap signal
	feed(cs[3], 15)
	feed(cs[4], 11, 12, 13, 14, 999) // 15 never arrives; 999 was never published (beyond the limit)
	feed(cs[5], 11, 12, 13, 14, 15, 16)
	// cs[6] receives nothing: all five lost.
	w := g.Window(5) // 16 was not published in this window: unexpected
	want := results.Counts{Expected: 35, Delivered: 27, Lost: 8, ClientsWithLoss: 3, Unexpected: 2,
		Duplicates: 2, Reorders: 1, Holes: 2, GapSignals: 1, GapMessages: 2, Raw: 32, Discarded: 1} // 32 fed in the window, 9 among them
	if w.Counts != want {
		t.Errorf("window counts\n got %+v\nwant %+v", w.Counts, want)
	}
	if err := w.Counts.Reconcile(); err != nil {
		t.Errorf("counts of a consistent window do not reconcile: %v", err)
	}
	if n := w.Latency.TotalCount(); n != w.Delivered+1 { // 16 was timed when it arrived, before it was known unexpected
		t.Errorf("latency samples %d, want one per arrival in range (%d)", n, w.Delivered+1)
	}
	if c := cs[3].cursor.Load(); c != 15 {
		t.Errorf("cursor after gap and message = %d, want 15", c)
	}
	// A new window restarts the counts.
	g.StartWindow(15, 100)
	feed(cs[0], 16)
	if w := g.Window(1); w.Delivered != 1 || w.Duplicates != 0 || w.Lost != 6 || w.Unexpected != 0 {
		t.Errorf("second window: delivered %d dups %d lost %d unexpected %d, want 1 0 6 0", w.Delivered, w.Duplicates, w.Lost, w.Unexpected)
	}
}

// TestLateArrivalsAreDeliveredTimedAndCounted: a message that arrives after
// the drain deadline is delivered, late, and its latency is in the tail.
func TestLateArrivalsAreDeliveredTimedAndCounted(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	g.StartWindow(0, 10)
	c.Message(1, time.Now().UnixNano(), 1)
	g.MarkLate(time.Now().Add(-time.Millisecond))
	c.Message(2, time.Now().Add(-3*time.Second).UnixNano(), 1)
	w := g.Window(3)
	if w.Delivered != 2 || w.Late != 1 || w.Lost != 1 {
		t.Errorf("delivered %d late %d lost %d, want 2 1 1", w.Delivered, w.Late, w.Lost)
	}
	if max := w.Latency.Max(); max < 2_900_000 {
		t.Errorf("max latency %d µs: the late message's 3 s is missing from the histogram", max)
	}
}

func TestLatencyIsMeasuredFromIntendedSendTime(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	g.StartWindow(0, 10)
	intended := time.Now().Add(-250 * time.Millisecond).UnixNano()
	c.Message(1, intended, 1)
	c.Message(2, time.Now().Add(-2*time.Minute).UnixNano(), 1) // beyond the histogram: clamped and counted
	c.Message(3, time.Now().Add(time.Minute).UnixNano(), 1)    // from the future (clock skew): under range, counted
	w := g.Window(3)
	if min := w.Latency.Min(); min != 1 {
		t.Errorf("min latency %d µs, want the under-range sample recorded as 1 µs", min)
	}
	if v := w.Latency.ValueAtQuantile(50); v < 249_750 || v > 350_000 { // 0.1% histogram precision below
		t.Errorf("median latency %d µs, want about 250 ms (receive time minus intended time)", v)
	}
	if w.ClampedSamples != 1 || w.UnderRange != 1 {
		t.Errorf("clamped %d under range %d, want 1 1", w.ClampedSamples, w.UnderRange)
	}
}

// TestWindowsDoNotLeak: what a client counted in one window never shows in
// the next, even for a client that receives nothing in the next, and
// receiving while windows open and close is race-free.
func TestWindowsDoNotLeak(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	cs := addFake(g, 2)
	g.StartWindow(0, 1000)
	for s := int64(1); s <= 10; s++ {
		cs[0].Message(s, time.Now().UnixNano(), 1)
		cs[1].Message(s, time.Now().UnixNano(), 1)
	}
	cs[0].Message(10, time.Now().UnixNano(), 1) // a duplicate in the first window
	g.StartWindow(10, 1000)
	cs[1].Message(11, time.Now().UnixNano(), 1)
	w := g.Window(1)
	want := results.Counts{Expected: 2, Delivered: 1, Lost: 1, ClientsWithLoss: 1, Raw: 1}
	if w.Counts != want {
		t.Errorf("second window\n got %+v\nwant %+v", w.Counts, want)
	}
	if n := w.Latency.TotalCount(); n != 1 {
		t.Errorf("second window has %d latency samples, want 1", n)
	}

	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func(c *vclient) {
			defer wg.Done()
			for s := int64(11); s < 5000; s++ {
				c.Message(s, time.Now().UnixNano(), 1)
			}
		}(c)
	}
	go func() { wg.Wait(); close(done) }()
	for base := int64(10); ; base += 100 {
		g.StartWindow(base, 1000)
		if w := g.Window(100); w.Delivered > w.Expected {
			t.Fatalf("delivered %d > expected %d in one window", w.Delivered, w.Expected)
		}
		select {
		case <-done:
			return
		default:
		}
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:80", "example.com:80", "[2001:db8::1]:80"} {
		if err := checkLoopback(addr); err == nil {
			t.Errorf("checkLoopback(%q) = nil, want refusal", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:80", "127.9.9.9:1", "[::1]:80", "localhost:80"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("checkLoopback(%q) = %v", addr, err)
		}
	}
	if got := sourceFor(PortsPerSource).String(); got != "127.0.0.2" {
		t.Errorf("source of client %d = %s, want 127.0.0.2", PortsPerSource, got)
	}
}

// BenchmarkReceiveMessage is the load generator's per-message cost on the
// receive path: accounting plus latency recording. It must not allocate.
func BenchmarkReceiveMessage(b *testing.B) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	g.StartWindow(0, int64(b.N)+2)
	now := time.Now().UnixNano()
	c.Message(1, now, 64)
	c.w.seen = make([]uint64, b.N/64+2) // the bitset grows once per 64 messages; pre-size to time the steady state
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Message(int64(i+2), now, 64)
	}
}

func TestAllowedTargetsBeyondLoopback(t *testing.T) {
	allowed, err := ParseTargets([]string{"198.18.0.0/24", "198.19.0.7", "pushbench-target"})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"127.0.0.1:80", "198.18.0.2:8080", "198.19.0.7:1", "pushbench-target:8080", "PushBench-Target:8080"} {
		if err := allowed.check(addr); err != nil {
			t.Errorf("check(%q) = %v, want allowed", addr, err)
		}
	}
	for _, addr := range []string{"198.18.1.2:8080", "198.19.0.8:1", "10.0.0.1:80", "pushbench-target.evil:80"} {
		if err := allowed.check(addr); err == nil || !strings.Contains(err.Error(), "--allow-target") {
			t.Errorf("check(%q) = %v, want a refusal naming --allow-target", addr, err)
		}
	}
	if _, err := ParseTargets([]string{"http://x"}); err == nil {
		t.Error("ParseTargets accepted a URL")
	}
}

// TestQuietClientsBytesCountFromTheWindowStart: a client that receives no
// message in a window (idle: only heartbeats cross its socket) still has
// its bytes counted from the window's start.
func TestQuietClientsBytesCountFromTheWindowStart(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	c.bytesIn.Add(500) // before the window
	g.StartWindow(0, 10)
	c.bytesIn.Add(40) // a heartbeat in the window
	if w := g.Window(0); w.BytesIn != 40 {
		t.Errorf("bytes in = %d, want the 40 that crossed during the window", w.BytesIn)
	}
}
