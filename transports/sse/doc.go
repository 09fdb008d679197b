// Package sse is the Server-Sent Events transport built on the
// github.com/r3labs/sse/v2 library (v2.10.0), server and client, configured
// as fairly as the library allows (docs/LIBRARIES.md). Its lean sibling,
// package sselean, streams from the log itself.
//
// # Wire
//
// GET /sse answers text/event-stream: "retry: MS", then one event per
// message, "id: SEQ\ndata: JSON\n\n" (JSON is msglog.Entry.JSON as is), a
// gap signal "id: LAST\nevent: gap\ndata: GAPJSON\n\n", and ": hb" comments
// when the log is idle for ServerOptions.Heartbeat. Resume with the
// Last-Event-ID header or ?since=SEQ (the header wins); with neither the
// stream starts from now. A bad or future cursor is answered 400 with the
// reason before the library sees the request. The cursor the stream starts
// from is in the X-Pushbench-Head header.
//
// # Server
//
// The library owns delivery: one publisher goroutine follows the shared
// log and calls Publish for each entry in order, and the library's stream
// loop fans each event out to its subscribers' handlers. The library has no
// resume against a bounded log (its AutoReplay keeps every event forever,
// rewrites IDs and replays id >= Last-Event-ID, a duplicate), so the
// handler wraps the library's http.ResponseWriter (see conn): when the
// library writes the status, which it does only after registering the
// subscriber (http.go:60-73), the wrapper replays the log from the cursor
// to the head; it then drops live events with an id it already wrote, and
// writes a gap signal if the publisher had to skip seqs. The Last-Event-ID
// header is removed from the request the library sees. Every write has a
// deadline of WriteTimeout; a failed write cancels the request context the
// library watches (http.go:62), so it deregisters the subscriber. A resume
// whose backlog (log head minus cursor) is over QueueLen is cut as
// push.Follow cuts it; live writes are not held to QueueLen, because the
// library's backlog is shared by all subscribers (see conn).
//
// # Slow consumers are not isolated
//
// One stalled subscriber delays every other subscriber of the stream
// (Transport.IsolatesSlowConsumers is false). The evidence, in the
// library's source:
//
//   - stream.go:77-79: the stream's one goroutine sends each event to every
//     subscriber in turn with a blocking send, str.subscribers[i].connection
//     <- event, with no select and no drop;
//   - stream.go:112: that channel has a fixed 64 slots
//     (make(chan *Event, 64)), not configurable;
//   - http.go:76-119: each subscriber's handler drains its channel by
//     writing to the connection, so when the client stops reading, the
//     handler blocks in a write, its 64 slots fill, and the stream loop
//     blocks on it: no other subscriber gets an event until that write's
//     deadline fails and the handler drains (this package fails every write
//     after the first failure at once);
//   - stream.go:120 and subscriber.go:20: registering and deregistering a
//     subscriber are unbuffered sends to that same loop, so new connections
//     and disconnects wait too;
//   - server.go:113-122: once BufferSize events are queued, Publish blocks
//     the publisher; if the log then outruns it, the connections see a gap.
//
// The stall lasts up to ServerOptions.WriteTimeout per stalled subscriber;
// TestStalledSubscriberDelaysOthers demonstrates it. The library's own
// handler also ignores write errors (http.go:88-118), so without this
// package's deadline and cancel a dead subscriber would be served until the
// TCP stack gave up.
//
// # Client
//
// Each Client.Run uses a new library sse.Client over an http.Transport that
// dials through ClientOptions.Dial. It does not reconnect (a StopBackOff
// strategy); Connected is reported from the library's ResponseValidator,
// because the library's OnConnect fires only after the first event
// (client.go:229-231); a stream silent for ReadTimeout is cut (the library
// has no read timeout); and the nil the library returns on a clean EOF
// (client.go:216-217) becomes an error. Comments never reach the handler
// (the library drops events without content), so heartbeats only keep the
// silence timer from firing. The library client costs allocations per event
// (it copies the id, builds the data with two appends and allocates an
// Event); BenchmarkClientReceive reports them.
//
// In the load generator's reactor (its default client mode) the library
// client makes the handshake (request, status and header checks,
// Connected) and the reactor reads the rest with sse-lean's stream parser
// (stream.go): the library's client is then the reference the parser is
// checked against, and the goroutine mode still runs it whole.
//
// # Goroutines
//
// The library leaks a goroutine per subscriber still attached when its
// Server.Close runs: the goroutine at http.go:62 wakes when the request
// ends and sends on the stream's deregister channel (subscriber.go:20),
// which nobody reads once the stream loop has quit. Server.Close therefore
// ends and waits for every subscriber before it closes the library's
// streams. The library client's SubscribeWithContext starts one read loop
// goroutine per connection that ends with the connection; Run returns only
// after it.
package sse

import (
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
)

func init() {
	t := transports.Describe(facts.SSE)
	t.Path, t.Library = "/sse", "github.com/r3labs/sse/v2 v2.10.0 (server and client)"
	t.IsolatesSlowConsumers, t.Stream = false, stream
	t.NewServer, t.NewClient = transports.ServerFrom(NewServer), transports.ClientFrom(NewClient)
	transports.Register(t)
}
