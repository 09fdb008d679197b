// Package streamtest checks a transport's StreamParser against the
// transport's own client on the same byte stream, split at every byte
// boundary, and builds the streams the tests feed them.
package streamtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// Events is what a client or a parser reported, in order, as text.
type Events struct{ Got []string }

// Connected implements transports.Receiver.
func (e *Events) Connected() {}

// Empty implements transports.Receiver.
func (e *Events) Empty() { e.Got = append(e.Got, "empty") }

// Message implements transports.Receiver and transports.StreamSink.
func (e *Events) Message(seq, sent int64, size int) {
	e.Got = append(e.Got, fmt.Sprintf("M %d %d %d", seq, sent, size))
}

// Gap implements transports.Receiver and transports.StreamSink.
func (e *Events) Gap(first, last int64) { e.Got = append(e.Got, fmt.Sprintf("G %d %d", first, last)) }

// Retry implements transports.RetryReceiver and transports.StreamSink.
func (e *Events) Retry(d time.Duration) { e.Got = append(e.Got, fmt.Sprintf("R %v", d)) }

// Handshake answers a client's handshake: given the bytes the client wrote,
// the server's answer (an HTTP response head, rawtcp's acknowledgement).
type Handshake func(request []byte) ([]byte, error)

// Fixed answers every handshake with answer.
func Fixed(answer string) Handshake {
	return func([]byte) ([]byte, error) { return []byte(answer), nil }
}

// Reference runs the named transport's own client on an in-memory
// connection that answers its handshake, then yields stream, then io.EOF.
// It returns what the client reported, the handshake's answer, and the
// frames the client wrote back after its handshake (ClientFrames).
func Reference(t testing.TB, transport string, hs Handshake, stream []byte) (ev *Events, answer []byte, wrote []byte) {
	t.Helper()
	return ReferenceOf(t, Of(t, transport), hs, stream)
}

// A Pair is a client and the parser that reads what its handshake leads
// to: a transport's client and its Stream's parser (Of), or a client that
// makes its own (a target's).
type Pair struct {
	NewClient func(transports.ClientOptions) (transports.Client, error)
	NewParser func(head []byte) (transports.StreamParser, error)
}

// Of is the named transport's Pair (NewParser nil without a Stream).
func Of(t testing.TB, transport string) Pair {
	t.Helper()
	tr, err := transports.Lookup(transport)
	if err != nil {
		t.Fatal(err)
	}
	pair := Pair{NewClient: tr.NewClient}
	if tr.Stream != nil {
		pair.NewParser = tr.Stream.NewParser
	}
	return pair
}

// ReferenceOf is Reference for pair's client.
func ReferenceOf(t testing.TB, pair Pair, hs Handshake, stream []byte) (ev *Events, answer []byte, wrote []byte) {
	t.Helper()
	fc := &fakeConn{hs: hs, stream: stream, wroteSome: make(chan struct{})}
	client, err := pair.NewClient(transports.ClientOptions{BaseURL: "http://127.0.0.1:1", RawAddr: "127.0.0.1:1",
		Timeout: 5 * time.Second, ReadTimeout: 5 * time.Second,
		Dial: func(context.Context, string, string) (net.Conn, error) { return fc, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev = &Events{}
	_ = client.Run(ctx, 0, ev)
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.err != nil {
		t.Fatalf("handshake answer: %v", fc.err)
	}
	return ev, fc.answer, fc.wrote.Bytes()[fc.reqLen:]
}

// fakeConn is a server in memory: its first read waits until the client
// wrote its handshake (net/http's transport starts reading a connection
// before it writes the request), answers it, then yields the stream, then
// io.EOF.
type fakeConn struct {
	hs        Handshake
	stream    []byte
	wroteSome chan struct{} // closed by the first write
	mu        sync.Mutex    // the reader and the writer may be two goroutines
	wrote     bytes.Buffer
	in        []byte
	answer    []byte
	err       error
	started   bool
	reqLen    int
}

func (c *fakeConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	started := c.started
	c.mu.Unlock()
	if !started {
		select {
		case <-c.wroteSome:
		case <-time.After(5 * time.Second): // a client that never writes gets its answer anyway
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		c.started, c.reqLen = true, c.wrote.Len()
		c.answer, c.err = c.hs(c.wrote.Bytes())
		if c.err != nil {
			return 0, c.err
		}
		c.in = append(bytes.Clone(c.answer), c.stream...)
	}
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wrote.Len() == 0 && len(p) > 0 {
		close(c.wroteSome)
	}
	return c.wrote.Write(p)
}
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// Parse feeds pieces to a new parser of the named transport's Stream (head:
// the handshake's answer) until one fails, then tells it the stream ended:
// what it reported, and what it wrote back.
func Parse(t testing.TB, transport string, head []byte, pieces [][]byte) (*Events, []byte) {
	t.Helper()
	return ParseOf(t, Of(t, transport).NewParser, head, pieces)
}

// ParseOf is Parse with a parser from newParser.
func ParseOf(t testing.TB, newParser func([]byte) (transports.StreamParser, error), head []byte, pieces [][]byte) (*Events, []byte) {
	t.Helper()
	if newParser == nil {
		t.Fatal("no stream parser")
	}
	p, err := newParser(head)
	if err != nil {
		t.Fatal(err)
	}
	ev := &Events{}
	var out bytes.Buffer
	e := &transports.StreamEnv{Sink: ev, Out: &out}
	err = nil
	for _, b := range pieces {
		if err = p.Feed(b, e); err != nil {
			break
		}
	}
	if err == nil {
		_ = p.End(io.EOF, e)
	}
	return ev, out.Bytes()
}

// SameAsClient checks the transport's StreamParser against its client on
// stream: whole, split at every byte boundary (streams over 4 KiB: every
// boundary within 1 KiB of the ends, every 61st between), and fed a byte at
// a time. Frames the two write
// back are compared as ClientFrames decodes them.
func SameAsClient(t testing.TB, transport string, hs Handshake, stream []byte) {
	t.Helper()
	SameAsClientOf(t, Of(t, transport), hs, stream)
}

// SameAsClientOf is SameAsClient for pair: a fresh parser from
// pair.NewParser for each split.
func SameAsClientOf(t testing.TB, pair Pair, hs Handshake, stream []byte) {
	t.Helper()
	want, answer, wantOut := ReferenceOf(t, pair, hs, stream)
	wantFrames := ClientFrames(t, wantOut)
	check := func(how string, pieces [][]byte) {
		got, gotOut := ParseOf(t, pair.NewParser, answer, pieces)
		gotFrames := ClientFrames(t, gotOut)
		if strings.Join(got.Got, "\n") != strings.Join(want.Got, "\n") || strings.Join(gotFrames, "\n") != strings.Join(wantFrames, "\n") {
			t.Fatalf("%s on %q:\n parser %q wrote %q\n client %q wrote %q", how, stream, got.Got, gotFrames, want.Got, wantFrames)
		}
	}
	check("whole", [][]byte{stream})
	for i := 1; i < len(stream); i++ {
		if len(stream) > 4096 && i > 1024 && i < len(stream)-1024 && i%61 != 0 {
			continue
		}
		check(fmt.Sprintf("split at %d", i), [][]byte{stream[:i], stream[i:]})
	}
	bytewise := make([][]byte, len(stream))
	for i := range stream {
		bytewise[i] = stream[i : i+1]
	}
	check("a byte at a time", bytewise)
}

// ClientFrames decodes masked client WebSocket control frames as
// "opcode payload" (no bytes: none).
func ClientFrames(t testing.TB, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) >= 6 {
		n := int(b[1] & 0x7f)
		if b[1]&0x80 == 0 || n > 125 || len(b) < 6+n {
			t.Fatalf("unexpected client bytes %q", b)
		}
		p := make([]byte, n)
		for i := range p {
			p[i] = b[6+i] ^ b[2+i%4]
		}
		out = append(out, fmt.Sprintf("%d %q", b[0]&0xf, p))
		b = b[6+n:]
	}
	if len(b) > 0 {
		t.Fatalf("unexpected client bytes %q", b)
	}
	return out
}

// MsgJSON is message seq's JSON, sent 1000+seq.
func MsgJSON(seq int64, payload string) []byte {
	return wire.AppendMessageJSON(nil, seq, 1000+seq, payload)
}

// Discard is a StreamSink that keeps nothing but a count, for benchmarks.
type Discard struct{ Messages, Gaps int }

// Message implements transports.StreamSink.
func (d *Discard) Message(int64, int64, int) { d.Messages++ }

// Gap implements transports.StreamSink.
func (d *Discard) Gap(int64, int64) { d.Gaps++ }

// Retry implements transports.StreamSink.
func (d *Discard) Retry(time.Duration) {}

// Allocs feeds frame to one parser of the named transport's Stream (head:
// its handshake's answer) with testing.AllocsPerRun (runs times, after one
// feed to warm it) and returns the allocations per Feed and the messages
// the sink saw in all (runs+1 for a frame of one message).
func Allocs(t testing.TB, transport string, head, frame []byte, runs int) (perFeed float64, messages int) {
	t.Helper()
	p, e, sink := newParser(t, transport, head)
	feed := func() {
		if err := p.Feed(frame, e); err != nil {
			t.Fatal(err)
		}
	}
	return testing.AllocsPerRun(runs, feed), sink.Messages
}

// Bench feeds frame (one whole message) to one parser per b.N iteration.
func Bench(b *testing.B, transport string, head, frame []byte) {
	p, e, sink := newParser(b, transport, head)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := p.Feed(frame, e); err != nil {
			b.Fatal(err)
		}
	}
	if sink.Messages == 0 {
		b.Fatal("no message decoded")
	}
}

func newParser(t testing.TB, transport string, head []byte) (transports.StreamParser, *transports.StreamEnv, *Discard) {
	t.Helper()
	tr, err := transports.Lookup(transport)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Stream.NewParser(head)
	if err != nil {
		t.Fatal(err)
	}
	sink := &Discard{}
	return p, &transports.StreamEnv{Sink: sink, Out: io.Discard, Scratch: make([]byte, 0, 4096)}, sink
}

// LengthPrefixed is body behind its 4-byte big-endian length.
func LengthPrefixed(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// WebSocketUpgrade answers a client's WebSocket upgrade request as a
// server would.
func WebSocketUpgrade(request []byte) ([]byte, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(request)))
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"), nil
}

// ServerFrame is one unmasked WebSocket frame: first byte b0 (FIN, RSV,
// opcode), then the length and the payload.
func ServerFrame(b0 byte, payload []byte) []byte {
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, byte(n))
	case n < 1<<16:
		out = binary.BigEndian.AppendUint16(append(out, 126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, 127), uint64(n))
	}
	return append(out, payload...)
}

// OneSSEEvent is a chunked SSE response head and one message's event in
// one chunk (100 payload bytes), as an SSE server flushes it.
func OneSSEEvent() (head, chunk []byte) {
	ev := "id: 1\ndata: " + string(MsgJSON(1, strings.Repeat("x", 100))) + "\n\n"
	return []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
		fmt.Appendf(nil, "%x\r\n%s\r\n", len(ev), ev)
}

// SSEEventAllocatesNothing fails t unless the named transport's parser,
// fed OneSSEEvent's chunk 101 times, decodes 101 messages with no
// allocation per feed.
func SSEEventAllocatesNothing(t testing.TB, transport string) {
	t.Helper()
	head, chunk := OneSSEEvent()
	allocs, n := Allocs(t, transport, head, chunk, 100)
	if allocs != 0 || n != 101 {
		t.Errorf("%v allocations a message, %d messages decoded (want 0, 101)", allocs, n)
	}
}
