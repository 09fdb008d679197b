package sse_test

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/streamtest"
)

// serverBytes is what the library server wrote to a raw connection that
// resumed from cursor 2 of a ring holding 13..20: the response head and
// the body up to the last message and two heartbeats.
func serverBytes(t *testing.T) (head, body []byte) {
	t.Helper()
	e := newEnv(t, 8, transports.ServerOptions{Heartbeat: 20 * time.Millisecond}).start()
	e.publish(20, 16)
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprint(conn, "GET /sse HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\nLast-Event-ID: 2\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte(`"seq":20,`)) || bytes.Count(got, []byte(": hb")) < 2 {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	i := bytes.Index(got, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("no response head in %q", got)
	}
	return got[:i+4], got[i+4:]
}

// TestStreamParserMatchesLibraryClient: the library server's own bytes (a
// retry field, the gap signal for a cursor older than the ring, messages,
// heartbeat comments, in its chunked body) read by the reactor's parser
// and by the library client, whole, split at every byte and a byte at a
// time, report the same events: the gap, then 13..20.
func TestStreamParserMatchesLibraryClient(t *testing.T) {
	head, body := serverBytes(t)
	if !bytes.Contains(body, []byte("retry:")) {
		t.Fatalf("the server wrote no retry field: %q", body)
	}
	streamtest.SameAsClient(t, "sse", streamtest.Fixed(string(head)), body)
	ev, _, _ := streamtest.Reference(t, "sse", streamtest.Fixed(string(head)), body)
	want := []string{"G 3 12"}
	for seq := 13; seq <= 20; seq++ {
		want = append(want, fmt.Sprintf("M %d", seq))
	}
	got := make([]string, len(ev.Got))
	for i, g := range ev.Got {
		got[i] = strings.Join(strings.Fields(g)[:min(2, len(strings.Fields(g)))], " ")
		if g[0] == 'G' {
			got[i] = g
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the library client reported %q, want %q", ev.Got, want)
	}
}

// TestStreamParserAllocatesNothingPerMessage: a whole event in one chunk,
// as the server flushes it, costs the reactor's parser no allocation.
func TestStreamParserAllocatesNothingPerMessage(t *testing.T) {
	streamtest.SSEEventAllocatesNothing(t, "sse")
}

func BenchmarkStreamParser(b *testing.B) {
	head, chunk := streamtest.OneSSEEvent()
	streamtest.Bench(b, "sse", head, chunk)
}
