package target

import (
	"fmt"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/streamtest"
)

const sseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

// chunk frames body as one HTTP/1.1 chunk and the last chunk.
func chunk(body string) []byte { return fmt.Appendf(nil, "%x\r\n%s\r\n0\r\n\r\n", len(body), body) }

// TestStreamParserMatchesRunSSE: the parser a target client makes for the
// reactor reports what the client's own Run reports on the same SSE bytes
// (messages inside envelopes, a document without one, a retry field,
// comments, an id on an event without data), split at every byte, and
// leaves the client the same resume state: the last event ID, or the URL
// cursor and captured values.
func TestStreamParserMatchesRunSSE(t *testing.T) {
	msg := func(seq int64) string { return string(streamtest.MsgJSON(seq, "p")) }
	vars := scenarios.TemplateVars{Base: "http://127.0.0.1:1", Host: "127.0.0.1:1", Channel: "bench"}
	cases := []struct {
		name   string
		ep     scenarios.Endpoint
		stream string
	}{
		{"last-event-id", scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/sub", Message: "/m", Resume: scenarios.Resume{Kind: "last-event-id"}},
			"retry: 500\n\nid: 7\ndata: {\"m\":" + msg(1) + "}\n\n: hb\n\nid: 8\ndata: {\"m\":" + msg(2) + "}\n\ndata: {\"type\":\"ping\"}\n\nid: 9\n\n"},
		{"url", scenarios.Endpoint{Framing: "sse", URL: "{{.Base}}/sub{{if .Resuming}}?offset={{.Cursor}}{{end}}", Message: "/pub/data",
			Resume: scenarios.Resume{Kind: "url", Cursor: "/pub/offset", Capture: map[string]string{"epoch": "/connect/epoch"}}},
			"data: {\"connect\":{\"epoch\":\"ab\"}}\n\ndata: {\"pub\":{\"data\":" + msg(1) + ",\"offset\":11}}\n\ndata: {\"pub\":{\"data\":" + msg(2) + ",\"offset\":12}}\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ref, own *Client
			pair := streamtest.Pair{
				NewClient: func(opts transports.ClientOptions) (transports.Client, error) {
					c, err := newClient(tc.ep, vars, opts)
					ref = c
					return c, err
				},
				NewParser: func(head []byte) (transports.StreamParser, error) {
					c, err := newClient(tc.ep, vars, transports.ClientOptions{})
					if err != nil {
						return nil, err
					}
					own = c
					return c.NewStreamParser(head)
				},
			}
			if kind, ok := (&Client{ep: tc.ep, vars: vars}).StreamHandshake(); !ok || kind != transports.HandshakeHTTPHead {
				t.Fatalf("SSE over http: handshake %v, %v; want the HTTP head", kind, ok)
			}
			streamtest.SameAsClientOf(t, pair, streamtest.Fixed(sseHead), chunk(tc.stream))
			ev, _, _ := streamtest.ReferenceOf(t, pair, streamtest.Fixed(sseHead), chunk(tc.stream))
			if n := len(ev.Got); n < 2 || ev.Got[n-2][0] != 'M' || ev.Got[n-1][0] != 'M' {
				t.Fatalf("the client reported %q: want the two messages last", ev.Got)
			}
			if tc.ep.Resume.Kind == "last-event-id" && (string(ref.lastID) != "9" || ev.Got[0] != "R 500ms") {
				t.Errorf("Run's last event ID %q, first report %q: want 9 (set by an event without data) and the retry", ref.lastID, ev.Got[0])
			}
			// own is the client of the last parse: the whole stream, a byte at a time.
			if string(own.lastID) != string(ref.lastID) || string(own.cursor) != string(ref.cursor) || own.hasCursor != ref.hasCursor ||
				fmt.Sprint(own.captures) != fmt.Sprint(ref.captures) {
				t.Errorf("resume state: parser's client id %q cursor %q %v captures %v, Run's id %q cursor %q %v captures %v",
					own.lastID, own.cursor, own.hasCursor, own.captures, ref.lastID, ref.cursor, ref.hasCursor, ref.captures)
			}
		})
	}
	for _, ep := range []scenarios.Endpoint{
		{Framing: "sse", URL: "https://127.0.0.1:1/sub"},
		{Framing: "websocket", URL: "wss://127.0.0.1:1/sub"},
		{Framing: "socketio-websocket", URL: "ws://127.0.0.1:1/socket.io/?EIO=4&transport=websocket"},
		{Framing: "longpoll", URL: "http://127.0.0.1:1/sub"},
	} {
		if _, ok := (&Client{ep: ep, vars: vars}).StreamHandshake(); ok {
			t.Errorf("%s at %s: the reactor cannot read it, want false", ep.Framing, ep.URL)
		}
	}
}

// TestStreamParserMatchesReceiveWebSocket: on a target's WebSocket, the
// parser a client makes for the reactor reports what the client's own Run
// reports, and writes back the same frames, on the same server frames
// (envelopes with messages, a document without one, a ping, a message in
// fragments, a close), split at every byte; and a message over
// MaxDocumentBytes ends both alike, with a close 1009.
func TestStreamParserMatchesReceiveWebSocket(t *testing.T) {
	msg := func(seq int64) []byte { return []byte(`{"pub":{"data":` + string(streamtest.MsgJSON(seq, "p")) + `}}`) }
	vars := scenarios.TemplateVars{Base: "http://127.0.0.1:1", WSBase: "ws://127.0.0.1:1", Host: "127.0.0.1:1", Channel: "bench"}
	ep := scenarios.Endpoint{Framing: "websocket", URL: "{{.WSBase}}/connection", Message: "/pub/data"}
	if kind, ok := (&Client{ep: ep, vars: vars}).StreamHandshake(); !ok || kind != transports.HandshakeHTTPHead {
		t.Fatalf("WebSocket over ws://: handshake %v, %v; want the HTTP head", kind, ok)
	}
	pair := streamtest.Pair{
		NewClient: func(opts transports.ClientOptions) (transports.Client, error) { return newClient(ep, vars, opts) },
		NewParser: func(head []byte) (transports.StreamParser, error) {
			c, err := newClient(ep, vars, transports.ClientOptions{})
			if err != nil {
				return nil, err
			}
			return c.NewStreamParser(head)
		},
	}
	m3 := msg(3)
	var s []byte
	s = append(s, streamtest.ServerFrame(0x81, msg(1))...)
	s = append(s, streamtest.ServerFrame(0x81, []byte(`{"type":"ping"}`))...)
	s = append(s, streamtest.ServerFrame(0x89, []byte("hi"))...)
	s = append(s, streamtest.ServerFrame(0x82, msg(2))...)
	s = append(s, streamtest.ServerFrame(0x01, m3[:10])...)
	s = append(s, streamtest.ServerFrame(0x80, m3[10:])...)
	streamtest.SameAsClientOf(t, pair, streamtest.WebSocketUpgrade, append(s, streamtest.ServerFrame(0x88, []byte("\x03\xe8bye"))...))
	ev, _, wrote := streamtest.ReferenceOf(t, pair, streamtest.WebSocketUpgrade, s)
	if len(ev.Got) != 3 || len(streamtest.ClientFrames(t, wrote)) != 1 {
		t.Fatalf("the client reported %q and wrote %q: want three messages and a pong", ev.Got, streamtest.ClientFrames(t, wrote))
	}
	big := streamtest.ServerFrame(0x81, make([]byte, MaxDocumentBytes+1))
	streamtest.SameAsClientOf(t, pair, streamtest.WebSocketUpgrade, append(streamtest.ServerFrame(0x81, msg(1)), big[:20]...))
	_, _, wrote = streamtest.ReferenceOf(t, pair, streamtest.WebSocketUpgrade, big)
	if f := streamtest.ClientFrames(t, wrote); len(f) != 1 || f[0] != fmt.Sprintf("8 %q", "\x03\xf1") {
		t.Errorf("a message over the limit: the client wrote %q, want close 1009", f)
	}
}
