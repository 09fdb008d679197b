package websocket

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// loopbackConn upgrades one loopback connection with srv's settings and
// returns the server's end; the client's end reads raw bytes into one
// buffer and discards them, allocating nothing. Both are closed at cleanup.
func loopbackConn(tb testing.TB, srv *Server) (*gws.Conn, *batchConn) {
	tb.Helper()
	type pair struct {
		c *gws.Conn
		b *batchConn
	}
	conns := make(chan pair, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, bc, err := srv.upgrade(w, r, nil)
		if err != nil {
			tb.Error(err)
			return
		}
		conns <- pair{conn, bc}
	}))
	tb.Cleanup(ts.Close)
	client, _, err := gws.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	p := <-conns
	conn := p.c
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 64<<10)
		for {
			if _, err := client.NetConn().Read(buf); err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		conn.Close()
		client.Close()
		<-drained
	})
	return conn, p.b
}

// appendEntries appends n entries with a 100-byte payload.
func appendEntries(log *msglog.Log, n int) []*msglog.Entry {
	entries := make([]*msglog.Entry, n)
	for i := range entries {
		entries[i] = log.Append(1, strings.Repeat("x", 100))
	}
	return entries
}

// TestWritingAllocatesNothing: a batch of frames written from the entries'
// JSON and flushed allocates nothing per message.
func TestWritingAllocatesNothing(t *testing.T) {
	const n = 1000
	log := msglog.New(n + 1)
	srv, err := NewServer(log, transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	entries := appendEntries(log, n+1)
	conn, bc := loopbackConn(t, srv)
	w := newFrameWriter(context.Background(), conn, bc, srv.opts)
	i := 0
	allocs := testing.AllocsPerRun(n/10, func() {
		k := i % (n - 10) // AllocsPerRun adds a warm-up run
		if err := w.WriteMessages(entries[k : k+10]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		i += 10
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch of 10 messages, want 0", allocs)
	}
}

// BenchmarkConnWrite is the per-connection cost of writing one 100-byte
// message to a loopback socket, in batches of 1 and of 64 frames.
func BenchmarkConnWrite(b *testing.B) {
	for _, size := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			log := msglog.New(1024)
			srv, err := NewServer(log, transports.ServerOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			entries := appendEntries(log, 1024)
			conn, bc := loopbackConn(b, srv)
			w := newFrameWriter(context.Background(), conn, bc, srv.opts)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := i % (len(entries) - size)
				if err := w.WriteMessages(entries[k : k+size]); err != nil {
					b.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				i += size
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/msg")
		})
	}
}
