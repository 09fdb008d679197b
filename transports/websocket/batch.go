package websocket

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// batchConn is the server side of a hijacked connection. gorilla writes
// every frame to its net.Conn at once, one system call per message; SSE
// (through net/http's buffer) and raw TCP instead flush once per batch.
// To compare the protocols and not the libraries' write paths, batchConn
// buffers gorilla's writes between Begin and End, which the write pump
// calls around each batch push.Follow hands it: frames stay one per
// message, only the system calls are shared. Outside a batch, writes go
// straight through. The buffer comes from a pool and is held only during a
// batch, so idle connections keep none. Safe for concurrent use (gorilla's
// WriteControl may write from the read pump).
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	bw       *bufio.Writer // non-nil during a batch
	writeErr error         // first error of the batch
}

var batchPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// Begin starts buffering writes.
func (c *batchConn) Begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bw == nil {
		c.bw = batchPool.Get().(*bufio.Writer)
		c.bw.Reset(c.Conn)
		c.writeErr = nil
	}
}

// End flushes what the batch buffered, within the write deadline gorilla or
// the writer set last, and returns the buffer to the pool.
func (c *batchConn) End() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bw == nil {
		return nil
	}
	err := c.bw.Flush()
	c.bw.Reset(nil)
	batchPool.Put(c.bw)
	c.bw = nil
	if c.writeErr != nil {
		return c.writeErr
	}
	return err
}

// Write buffers during a batch and writes through otherwise.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bw == nil {
		return c.Conn.Write(p)
	}
	n, err := c.bw.Write(p)
	if err != nil && c.writeErr == nil {
		c.writeErr = err
	}
	return n, err
}

// hijacker hands gorilla's Upgrade a batchConn instead of the raw
// connection.
type hijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: conn}
	return h.conn, brw, nil
}
