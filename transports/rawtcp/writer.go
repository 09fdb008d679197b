package rawtcp

import (
	"bufio"
	"encoding/binary"
	"net"
	"time"

	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

// writeBufferSize is each connection's write buffer: a full push.Follow
// batch of small messages goes out in one or two writes.
const writeBufferSize = 32 << 10

// frameWriter is the push.Writer of one connection: frames into a
// bufio.Writer, with the write deadline renewed before every batch. It is
// used by one goroutine.
type frameWriter struct {
	conn    net.Conn
	bw      *bufio.Writer
	timeout time.Duration
	hdr     [frameHeaderSize]byte
	gap     []byte // scratch for gap bodies
}

func newFrameWriter(conn net.Conn, timeout time.Duration) *frameWriter {
	return &frameWriter{conn: conn, bw: bufio.NewWriterSize(conn, writeBufferSize), timeout: timeout}
}

// WriteMessages frames each entry's JSON, or a binary message's raw
// binary form, as encoded at append time.
func (w *frameWriter) WriteMessages(entries []*msglog.Entry) error {
	if err := w.renewDeadline(); err != nil {
		return err
	}
	for _, e := range entries {
		body := e.JSON
		if e.Binary != nil {
			body = e.Binary
		}
		if err := w.frame(body); err != nil {
			return err
		}
	}
	return nil
}

// WriteGap frames a gap signal.
func (w *frameWriter) WriteGap(g msglog.Gap) error {
	if err := w.renewDeadline(); err != nil {
		return err
	}
	w.gap = wire.AppendGapJSON(w.gap[:0], g.First, g.Last)
	return w.frame(w.gap)
}

// WriteHeartbeat frames an empty body.
func (w *frameWriter) WriteHeartbeat() error {
	if err := w.renewDeadline(); err != nil {
		return err
	}
	return w.frame(nil)
}

// Flush sends the buffered frames under the deadline set by the last write.
func (w *frameWriter) Flush() error { return w.bw.Flush() }

func (w *frameWriter) renewDeadline() error {
	return w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
}

func (w *frameWriter) frame(body []byte) error {
	binary.BigEndian.PutUint32(w.hdr[:], uint32(len(body)))
	if _, err := w.bw.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.bw.Write(body)
	return err
}
