package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/push"
)

// serveConn runs one upgraded connection until it ends; life is done when
// the server closes. The write pump (push.Follow) runs in this goroutine,
// the read pump in another. The read pump ending (client gone, bad frame,
// no pong) stops the write pump; the write pump ending (slow consumer,
// server Close, write error) closes the connection, which stops the read
// pump. It returns after both pumps have ended.
func (s *Server) serveConn(life context.Context, conn *gws.Conn, bc *batchConn, cursor int64) {
	ctx, cancel := context.WithCancel(life)
	defer cancel()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer cancel()
		s.readPump(conn)
	}()
	// On server Close, a write blocked on a stalled client fails at once
	// instead of waiting out its deadline.
	release := transports.OnDone(life, func() { conn.NetConn().SetWriteDeadline(time.Now()) })
	err := push.Follow(ctx, s.log, cursor, s.opts, &s.Counters, newFrameWriter(ctx, conn, bc, s.opts))
	release() // from here on, the close frame gets a deadline of its own
	s.closeConn(life, conn, err, readDone)
	<-readDone
}

// readPump reads until the connection fails. A client text frame
// {"payload":"...","sent":NS} is published to everyone (the chat
// scenario's upstream); any other data frame gets close 1007 (invalid
// payload data) with the expected form; a frame over opts.ReadLimit makes
// gorilla send close 1009. The read deadline is pongWaitBeats heartbeats,
// renewed by every pong and every data frame.
func (s *Server) readPump(conn *gws.Conn) {
	pongWait := pongWaitBeats * s.opts.Heartbeat
	conn.SetReadLimit(s.opts.ReadLimit)
	renew := func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) }
	conn.SetPongHandler(renew)
	for {
		if err := renew(""); err != nil {
			return
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var up upstreamMessage
		if err := json.Unmarshal(data, &up); err != nil || up.Payload == nil {
			s.CountRejected()
			msg := gws.FormatCloseMessage(gws.CloseInvalidFramePayloadData, `upstream frames must be {"payload":"...","sent":UNIX_NS}`)
			_ = conn.WriteControl(gws.CloseMessage, msg, time.Now().Add(closeGrace))
			return
		}
		if up.Sent <= 0 {
			up.Sent = time.Now().UnixNano()
		}
		if _, err := s.log.TryAppend(up.Sent, *up.Payload); err != nil {
			// A close reason must fit a 125-byte control frame.
			s.CountRejected()
			msg := gws.FormatCloseMessage(gws.CloseMessageTooBig, "upstream message refused: over the log's byte budget or seq exhausted")
			_ = conn.WriteControl(gws.CloseMessage, msg, time.Now().Add(closeGrace))
			return
		}
	}
}

// upstreamMessage is what a client sends to publish.
type upstreamMessage struct {
	Payload *string `json:"payload"`
	Sent    int64   `json:"sent"`
}

// closeConn ends a connection after its write pump returned err. A slow
// consumer gets close 1008 (policy violation) and a closing server close
// 1001 (going away), best-effort, followed by a short wait for the client's
// close reply; a connection whose client is gone or whose write failed is
// just closed.
func (s *Server) closeConn(life context.Context, conn *gws.Conn, err error, readDone <-chan struct{}) {
	var frame []byte
	switch {
	case errors.Is(err, push.ErrSlowConsumer):
		frame = gws.FormatCloseMessage(gws.ClosePolicyViolation, "slow consumer")
	case life.Err() != nil:
		frame = gws.FormatCloseMessage(gws.CloseGoingAway, "server closing")
	}
	grace := min(closeGrace, s.opts.WriteTimeout)
	if frame != nil && conn.WriteControl(gws.CloseMessage, frame, time.Now().Add(grace)) == nil {
		t := time.NewTimer(grace)
		select {
		case <-readDone: // the client answered the close, or went away
		case <-t.C:
		}
		t.Stop()
	}
	conn.Close()
}
