package loadgen

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
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// events is what a client reported, in order.
type events struct{ got []string }

func (e *events) Connected() {}
func (e *events) Empty()     { e.got = append(e.got, "empty") }
func (e *events) Message(seq, sent int64, size int) {
	e.got = append(e.got, fmt.Sprintf("M %d %d %d", seq, sent, size))
}
func (e *events) Gap(first, last int64) { e.got = append(e.got, fmt.Sprintf("G %d %d", first, last)) }
func (e *events) Retry(d time.Duration) { e.got = append(e.got, fmt.Sprintf("R %v", d)) }

// heads are the server's handshake answers the reference server writes
// before the stream under test.
var heads = map[string]string{
	"sse-lean":      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
	"sse-lean/eof":  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
	"sse-lean/size": "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 40\r\n\r\n",
}

// reference runs the transport's own client on a connection that answers
// its handshake, then yields stream and ends: what the client reported, and
// the control frames it wrote back (WebSocket).
func reference(t testing.TB, transport, head string, stream []byte) (*events, []string) {
	t.Helper()
	tr, err := transports.Lookup(transport)
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeConn{transport: transport, head: head, stream: stream}
	client, err := tr.NewClient(transports.ClientOptions{BaseURL: "http://127.0.0.1:1", RawAddr: "127.0.0.1:1",
		Timeout: 5 * time.Second, ReadTimeout: 5 * time.Second,
		Dial: func(context.Context, string, string) (net.Conn, error) { return fc, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev := &events{}
	_ = client.Run(ctx, 0, ev)
	return ev, clientFrames(t, fc.wrote.Bytes()[fc.reqLen:])
}

// fakeConn is a server in memory: its first read answers the handshake the
// client wrote, then it yields the stream, then io.EOF.
type fakeConn struct {
	transport, head string
	stream          []byte
	wrote           bytes.Buffer
	in              []byte
	started         bool
	reqLen          int
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if !c.started {
		c.started, c.reqLen = true, c.wrote.Len()
		answer := []byte(c.head)
		switch c.transport {
		case "rawtcp":
			answer = []byte{0, 0, 0, 0}
		case "websocket":
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.wrote.Bytes())))
			if err != nil {
				return 0, err
			}
			sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			answer = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
		}
		c.in = append(answer, c.stream...)
	}
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error)      { return c.wrote.Write(p) }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// clientFrames decodes masked client frames: "op payload".
func clientFrames(t testing.TB, b []byte) []string {
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

// viaReactor feeds stream to the reactor's parser in the given pieces.
func viaReactor(t testing.TB, transport, head string, pieces [][]byte) (*events, []string) {
	t.Helper()
	p, err := newParser(transport, []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	var out bytes.Buffer
	e := &env{sink: ev, out: &out}
	err = nil
	for _, b := range pieces {
		if err = p.feed(b, e); err != nil {
			break
		}
	}
	if err == nil {
		p.end(io.EOF, e)
	}
	return ev, clientFrames(t, out.Bytes())
}

// sameAsClient checks the reactor's parser against the transport's client on
// stream, split at every byte boundary and fed a byte at a time.
func sameAsClient(t testing.TB, transport, headKey string, stream []byte) {
	t.Helper()
	head := heads[headKey]
	want, wantOut := reference(t, transport, head, stream)
	check := func(how string, pieces [][]byte) {
		got, gotOut := viaReactor(t, transport, head, pieces)
		if strings.Join(got.got, "\n") != strings.Join(want.got, "\n") || strings.Join(gotOut, "\n") != strings.Join(wantOut, "\n") {
			t.Fatalf("%s on %q:\n reactor %q wrote %q\n client  %q wrote %q", how, stream, got.got, gotOut, want.got, wantOut)
		}
	}
	check("whole", [][]byte{stream})
	for i := 1; i < len(stream); i++ {
		// Long streams: every boundary near the ends, every 61st between.
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

func msgJSON(seq int64, payload string) []byte {
	return wire.AppendMessageJSON(nil, seq, 1000+seq, payload)
}

func rawFrameBytes(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func chunked(body string, sizes ...int) []byte {
	var b []byte
	for len(body) > 0 {
		n := len(body)
		if len(sizes) > 0 {
			n, sizes = min(sizes[0], n), sizes[1:]
		}
		b = fmt.Appendf(b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	return append(b, "0\r\n\r\n"...)
}

func wsFrame(b0 byte, payload []byte) []byte {
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

func TestRawParserMatchesClient(t *testing.T) {
	gap := wire.AppendGapJSON(nil, 5, 9)
	var s []byte
	s = append(s, rawFrameBytes(msgJSON(1, "a"))...)
	s = append(s, rawFrameBytes(nil)...)
	s = append(s, rawFrameBytes(gap)...)
	s = append(s, rawFrameBytes(msgJSON(10, strings.Repeat("b", 300)))...)
	s = append(s, rawFrameBytes(msgJSON(11, ""))...)
	s = append(s, rawFrameBytes(wire.AppendBinaryMessage(nil, 12, 1012, []byte{0xff, 0x00, 0x80}))...)
	sameAsClient(t, "rawtcp", "", s)
	sameAsClient(t, "rawtcp", "", append(bytes.Clone(s), rawFrameBytes(wire.AppendBinaryMessage(nil, 13, 1013, []byte{1, 2})[:22])...))
	sameAsClient(t, "rawtcp", "", append(bytes.Clone(s), rawFrameBytes([]byte(`{"type":"error","reason":"going away"}`))...))
	sameAsClient(t, "rawtcp", "", append(bytes.Clone(s), rawFrameBytes([]byte(`{"seq":`))...))
	sameAsClient(t, "rawtcp", "", append(bytes.Clone(s), 0xff, 0xff, 0xff, 0xff, 1))
}

func TestSSEParserMatchesClient(t *testing.T) {
	events := "retry: 1500\n\n" +
		"id: 1\ndata: " + string(msgJSON(1, "a")) + "\n\n" +
		": hb\n\n" +
		"id: 9\nevent: gap\ndata: " + string(wire.AppendGapJSON(nil, 2, 9)) + "\n\n" +
		"id: 10\r\ndata: " + string(msgJSON(10, "crlf")) + "\r\n\r\n" +
		"data: {\"seq\":11,\ndata: \"sent\":5,\"payload\":\"two lines\"}\r\r" +
		"event: other\ndata: " + string(msgJSON(12, "x")) + "\n\n" +
		"retry: 12x\n" + "data\n\n" + "data: " + string(msgJSON(13, "tail"))
	sameAsClient(t, "sse-lean", "sse-lean", chunked(events, 7, 1, 100, 3))
	sameAsClient(t, "sse-lean", "sse-lean", chunked("\xef\xbb\xbf"+events+"\n\n", 2, 50))
	sameAsClient(t, "sse-lean", "sse-lean", append(chunked(events)[:40], "zz\r\n"...)) // malformed chunking
	sameAsClient(t, "sse-lean", "sse-lean", []byte("5;ext=1\r\nretry\r\n4\r\n: 7\n\r\n0\r\nX-Trailer: 1\r\n\r\n"))
	sameAsClient(t, "sse-lean", "sse-lean/eof", []byte(events+"\ndata: "+string(msgJSON(14, "eof"))+"\r\r"))
	sameAsClient(t, "sse-lean", "sse-lean/size", []byte(events))
}

func TestWSParserMatchesClient(t *testing.T) {
	var s []byte
	s = append(s, wsFrame(0x81, msgJSON(1, "a"))...)
	s = append(s, wsFrame(0x89, []byte("ping!"))...)
	s = append(s, wsFrame(0x81, wire.AppendGapJSON(nil, 2, 4))...)
	bin := wire.AppendBinaryMessage(nil, 5, 1005, []byte{0xff, 0, 1, 2})
	s = append(s, wsFrame(0x02, bin[:7])...) // a binary message in two fragments
	s = append(s, wsFrame(0x80, bin[7:])...)
	m := msgJSON(6, strings.Repeat("p", 200))
	s = append(s, wsFrame(0x01, m[:10])...)
	s = append(s, wsFrame(0x89, nil)...)
	s = append(s, wsFrame(0x8a, []byte("pong"))...)
	s = append(s, wsFrame(0x00, m[10:150])...)
	s = append(s, wsFrame(0x80, m[150:])...)
	s = append(s, wsFrame(0x81, msgJSON(7, strings.Repeat("q", 70000)))...)
	s = append(s, wsFrame(0x82, wire.AppendBinaryMessage(nil, 8, 1008, bytes.Repeat([]byte{0xfe}, 300)))...)
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), wsFrame(0x88, []byte("\x03\xf0slow consumer"))...))
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), wsFrame(0x88, []byte("\x03\xedbad"))...))
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), wsFrame(0xc1, []byte("x"))...))
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), wsFrame(0x81, nil)...))
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), 0x01, 0x01, 'x', 0x81, 0x00))
	sameAsClient(t, "websocket", "", append(bytes.Clone(s), wsFrame(0x82, bin[:len(bin)-1])...)) // a short binary message
}
