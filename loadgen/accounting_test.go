package loadgen

import (
	"testing"
	"time"

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
// checks every counter the window reports.
func TestAccountingWithInjectedFaults(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	cs := addFake(g, 4)
	for _, c := range cs {
		c.Message(3, 0, 1) // before any window: ignored
	}
	g.StartWindow(10)
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
	w := g.Window(5)
	type counts struct {
		Expected, Delivered, Lost  int64
		ClientsWithLoss            int
		Duplicates, Reorders       int64
		Holes, GapSignals, GapMsgs int64
	}
	want := counts{Expected: 20, Delivered: 18, Lost: 2, ClientsWithLoss: 1, Duplicates: 2, Reorders: 1, Holes: 2, GapSignals: 1, GapMsgs: 2}
	got := counts{Expected: w.Expected, Delivered: w.Delivered, Lost: w.Lost, ClientsWithLoss: w.ClientsWithLoss,
		Duplicates: w.Duplicates, Reorders: w.Reorders, Holes: w.Holes, GapSignals: w.GapSignals, GapMsgs: w.GapMessages}
	if got != want {
		t.Errorf("window counts\n got %+v\nwant %+v", got, want)
	}
	if n := w.Latency.TotalCount(); n != w.Delivered {
		t.Errorf("latency samples %d, want one per unique delivery (%d)", n, w.Delivered)
	}
	if c := cs[3].cursor.Load(); c != 15 {
		t.Errorf("cursor after gap and message = %d, want 15", c)
	}
	// A new window restarts the counts.
	g.StartWindow(15)
	feed(cs[0], 16)
	if w := g.Window(1); w.Delivered != 1 || w.Duplicates != 0 || w.Lost != 3 {
		t.Errorf("second window: delivered %d dups %d lost %d, want 1 0 3", w.Delivered, w.Duplicates, w.Lost)
	}
}

func TestLatencyIsMeasuredFromIntendedSendTime(t *testing.T) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	g.StartWindow(0)
	intended := time.Now().Add(-250 * time.Millisecond).UnixNano()
	c.Message(1, intended, 1)
	c.Message(2, time.Now().Add(-2*time.Minute).UnixNano(), 1) // beyond the histogram: clamped and counted
	w := g.Window(2)
	if min := w.Latency.Min(); min < 249_750 || min > 350_000 { // 0.1% histogram precision below
		t.Errorf("latency %d µs, want about 250 ms (receive time minus intended time)", min)
	}
	if w.Clamped != 1 {
		t.Errorf("clamped = %d, want 1", w.Clamped)
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
	if got := sourceFor(portsPerSource).String(); got != "127.0.0.2" {
		t.Errorf("source of client %d = %s, want 127.0.0.2", portsPerSource, got)
	}
}

// BenchmarkReceiveMessage is the load generator's per-message cost on the
// receive path: accounting plus latency recording. It must not allocate.
func BenchmarkReceiveMessage(b *testing.B) {
	g := newTestGen()
	defer g.Close()
	c := addFake(g, 1)[0]
	g.StartWindow(0)
	now := time.Now().UnixNano()
	c.Message(1, now, 64)
	c.seen = make([]uint64, b.N/64+2) // the bitset grows once per 64 messages; pre-size to time the steady state
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Message(int64(i+2), now, 64)
	}
}
