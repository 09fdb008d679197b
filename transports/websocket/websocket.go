// Package websocket is pushbench's WebSocket transport, built on
// github.com/gorilla/websocket.
//
// GET /ws upgrades to a WebSocket that streams the shared message log with
// push.Follow. ?since=SEQ resumes after SEQ; without it the stream starts
// from now. A bad or future cursor is answered 400 with the reason before
// any upgrade; the 101 answer names the cursor the stream starts at in the
// X-Pushbench-Head header. On the wire:
//
//   - one text frame per message, holding exactly the entry's JSON, encoded
//     once at append time (never several messages in one frame). The frames
//     of a batch share their system calls (batchConn), as SSE's and raw
//     TCP's do. gorilla's PreparedMessage is not used: without compression
//     it saves nothing per write (1.8-2.0 µs per write either way) and costs
//     ~2.1 µs, 5.9 KB and 10 allocations per append under the log's lock
//     (BenchmarkAppend; see also gorilla/websocket#182);
//   - one binary frame per binary message, holding the entry's raw binary
//     form (package wire: a 21-byte header with seq, sent and size, then
//     the bytes), also encoded once at append time;
//   - one text frame per gap, holding the gap JSON;
//   - a ping as the heartbeat: after opts.Heartbeat without writes, and at
//     least once per heartbeat interval while busy;
//   - close 1008 "slow consumer" (policy violation) when the slow-consumer
//     policy cuts a connection, 1001 (going away) on server Close, and 1009
//     (message too big) from gorilla for a client frame over opts.ReadLimit.
//
// Each connection runs a read pump, which publishes client text frames
// {"payload":"...","sent":NS} to everyone (upstream, for chat) and drops a
// client silent (no pong, no frame) for three heartbeats, and a
// write pump. The client reads each frame into one buffer it keeps, decodes
// it with wire.Decode (text) or wire.DecodeBinary (binary: a short frame
// is an error), and treats opts.ReadTimeout of silence (pings
// included) as a dead connection.
package websocket

import (
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
)

// Path is the HTTP path the server is mounted at.
const Path = "/ws"

// Library names the library this transport is built on, as shown in results.
const Library = "github.com/gorilla/websocket v1.5.3"

// closeGrace bounds how long a closing server waits to write its close frame
// and then for the client's close reply.
const closeGrace = time.Second

// pongWaitBeats is the server's read deadline in heartbeats: a client that
// sends nothing (not even the pong answering a ping) for this many heartbeat
// intervals is considered gone. The server pings at least once per heartbeat
// interval, busy or idle.
const pongWaitBeats = 3

func init() {
	t := transports.Describe(facts.WebSocket)
	t.Path, t.Library, t.IsolatesSlowConsumers, t.Stream = Path, Library, true, stream
	t.NewServer, t.NewClient = transports.ServerFrom(NewServer), transports.ClientFrom(NewClient)
	transports.Register(t)
}
