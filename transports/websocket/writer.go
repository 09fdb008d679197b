package websocket

import (
	"context"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

// frameWriter is the push.Writer of one connection: one text frame per
// message (a binary frame for a binary message), one text frame per gap, a ping per heartbeat. The frames of a
// batch are buffered by the connection's batchConn and sent by Flush. It
// is used by the connection's write pump only.
type frameWriter struct {
	ctx       context.Context // the connection's; done when it is shutting down
	conn      *gws.Conn
	batch     *batchConn
	timeout   time.Duration // write deadline of each frame
	heartbeat time.Duration
	lastPing  time.Time
	gap       []byte // gap JSON, reused
}

func newFrameWriter(ctx context.Context, conn *gws.Conn, batch *batchConn, opts transports.ServerOptions) *frameWriter {
	return &frameWriter{ctx: ctx, conn: conn, batch: batch, timeout: opts.WriteTimeout,
		heartbeat: opts.Heartbeat, lastPing: time.Now()}
}

// WriteMessages writes each entry as its own frame: text holding its JSON,
// or binary holding its raw binary form (both encoded once at append
// time). A connection that has been busy for a heartbeat
// interval gets a ping first, so the client's pongs keep the server's read
// deadline alive while data flows.
func (w *frameWriter) WriteMessages(entries []*msglog.Entry) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if time.Since(w.lastPing) >= w.heartbeat {
		if err := w.WriteHeartbeat(); err != nil {
			return err
		}
	}
	w.batch.Begin()
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	for _, e := range entries {
		kind, data := gws.TextMessage, e.JSON
		if e.Binary != nil {
			kind, data = gws.BinaryMessage, e.Binary
		}
		if err := w.conn.WriteMessage(kind, data); err != nil {
			return w.failed(err)
		}
	}
	return nil
}

// WriteGap writes the gap signal as one text frame.
func (w *frameWriter) WriteGap(g msglog.Gap) error {
	w.gap = wire.AppendGapJSON(w.gap[:0], g.First, g.Last)
	w.batch.Begin()
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	if err := w.conn.WriteMessage(gws.TextMessage, w.gap); err != nil {
		return w.failed(err)
	}
	return nil
}

// WriteHeartbeat writes a ping control frame.
func (w *frameWriter) WriteHeartbeat() error {
	w.lastPing = time.Now()
	if err := w.conn.WriteControl(gws.PingMessage, nil, w.lastPing.Add(w.timeout)); err != nil {
		return w.failed(err)
	}
	return nil
}

// Flush sends the batch's frames.
func (w *frameWriter) Flush() error {
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	if err := w.batch.End(); err != nil {
		return w.failed(err)
	}
	return nil
}

// failed reports a write error. When the connection is shutting down (the
// client went away or the server closes) the error is the shutdown, not a
// slow consumer, even if it surfaced as a deadline.
func (w *frameWriter) failed(err error) error {
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}
