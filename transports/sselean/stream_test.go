package sselean_test

import (
	"fmt"
	"testing"

	"github.com/pushbench/pushbench/transports/internal/streamtest"
	_ "github.com/pushbench/pushbench/transports/sselean"
	"github.com/pushbench/pushbench/transports/wire"
)

// The server's response heads: the body chunked, to the connection's end,
// and sized.
var (
	chunkedHead = streamtest.Fixed("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	eofHead     = streamtest.Fixed("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
	sizedHead   = streamtest.Fixed("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 40\r\n\r\n")
)

// chunked frames body as HTTP/1.1 chunks of the given sizes (the rest in
// one), then the last chunk.
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

func TestStreamParserMatchesClient(t *testing.T) {
	msg := func(seq int64, p string) string { return string(streamtest.MsgJSON(seq, p)) }
	events := "retry: 1500\n\n" +
		"id: 1\ndata: " + msg(1, "a") + "\n\n" +
		": hb\n\n" +
		"id: 9\nevent: gap\ndata: " + string(wire.AppendGapJSON(nil, 2, 9)) + "\n\n" +
		"id: 10\r\ndata: " + msg(10, "crlf") + "\r\n\r\n" +
		"data: {\"seq\":11,\ndata: \"sent\":5,\"payload\":\"two lines\"}\r\r" +
		"event: other\ndata: " + msg(12, "x") + "\n\n" +
		"retry: 12x\n" + "data\n\n" + "data: " + msg(13, "tail")
	streamtest.SameAsClient(t, "sse-lean", chunkedHead, chunked(events, 7, 1, 100, 3))
	streamtest.SameAsClient(t, "sse-lean", chunkedHead, chunked("\xef\xbb\xbf"+events+"\n\n", 2, 50))
	streamtest.SameAsClient(t, "sse-lean", chunkedHead, append(chunked(events)[:40], "zz\r\n"...)) // malformed chunking
	streamtest.SameAsClient(t, "sse-lean", chunkedHead, []byte("5;ext=1\r\nretry\r\n4\r\n: 7\n\r\n0\r\nX-Trailer: 1\r\n\r\n"))
	streamtest.SameAsClient(t, "sse-lean", eofHead, []byte(events+"\ndata: "+msg(14, "eof")+"\r\r"))
	streamtest.SameAsClient(t, "sse-lean", sizedHead, []byte(events))
}

// FuzzStreamParser checks the parser against the client on arbitrary
// streams in each body framing, each split at every byte boundary (`make
// fuzz` runs it).
func FuzzStreamParser(f *testing.F) {
	ev := "retry: 10\n\nid: 1\ndata: " + string(streamtest.MsgJSON(1, "a")) + "\n\nevent: gap\ndata: " + string(wire.AppendGapJSON(nil, 2, 3)) + "\r\n\r\n"
	f.Add(uint8(0), chunked(ev, 5, 9))
	f.Add(uint8(1), []byte(ev+"data: "+string(streamtest.MsgJSON(4, "b"))+"\r\r"))
	f.Add(uint8(2), []byte("\xef\xbb\xbf"+ev))
	f.Add(uint8(0), []byte("3;x\r\nabc\r\n0\r\nA: b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, framing uint8, stream []byte) {
		head := []streamtest.Handshake{chunkedHead, eofHead, sizedHead}[framing%3]
		streamtest.SameAsClient(t, "sse-lean", head, stream)
	})
}

// TestStreamParserAllocatesNothingPerMessage: a whole event in one piece
// costs no allocation (its data is gathered in the env's scratch buffer).
func TestStreamParserAllocatesNothingPerMessage(t *testing.T) {
	streamtest.SSEEventAllocatesNothing(t, "sse-lean")
}

func BenchmarkStreamParser(b *testing.B) {
	head, chunk := streamtest.OneSSEEvent()
	streamtest.Bench(b, "sse-lean", head, chunk)
}
