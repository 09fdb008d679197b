package rawtcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/push"
)

// discardSize is the buffer a connection's reader uses to throw away bytes
// the client sends after its handshake.
const discardSize = 512

// Server is the rawtcp server half. It accepts on its own listeners (see
// Serve) and pushes the shared log to every connection. It is safe for
// concurrent use. Each connection runs two goroutines: one writing frames
// (push.Follow), one reading to notice the client going away.
type Server struct {
	transports.Counters

	log  *msglog.Log
	opts transports.ServerOptions

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // running Serve calls; each waits for its connections
}

// NewServer returns a server streaming log with opts (zero fields take
// defaults). It accepts nothing until Serve is called.
func NewServer(log *msglog.Log, opts transports.ServerOptions) (*Server, error) {
	if log == nil {
		return nil, errors.New("rawtcp: nil message log")
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{log: log, opts: opts.WithDefaults(), ctx: ctx, cancel: cancel}, nil
}

// ServeHTTP answers 404: rawtcp does not speak HTTP.
func (s *Server) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "rawtcp does not speak HTTP: it listens on its own TCP port", http.StatusNotFound)
}

// Close closes every listener and connection and waits until every Serve
// call and connection goroutine has returned. It may be called more than
// once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// Serve accepts connections on ln until ctx is done or the server is closed,
// then closes ln, ends its connections, waits for them and returns nil. It
// returns an error when Accept fails for good (e.g. ln closed by someone
// else). Serve takes ownership of ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ctx, cancel := context.WithCancel(ctx)
	releaseClose := transports.OnDone(s.ctx, cancel)
	releaseLn := transports.OnDone(ctx, func() { ln.Close() })
	var conns sync.WaitGroup
	err := s.accept(ctx, ln, &conns)
	cancel()
	conns.Wait()
	releaseLn()
	releaseClose()
	return err
}

// accept runs the accept loop, starting one goroutine per connection
// counted in conns.
func (s *Server) accept(ctx context.Context, ln net.Listener, conns *sync.WaitGroup) error {
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Out of descriptors and the like: back off as net/http does.
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				if !wait(ctx, delay) {
					return nil
				}
				continue
			}
			return fmt.Errorf("failed to accept: %w", err)
		}
		delay = 0
		conns.Go(func() { s.serveConn(ctx, conn) })
	}
}

// wait waits d or until ctx is done; it reports whether ctx is still live.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// serveConn runs one connection: handshake, acknowledgement, then
// push.Follow until ctx is done, the client goes away or a write fails.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	defer s.Opened()()
	ctx, cancel := context.WithCancel(ctx)
	release := transports.OnDone(ctx, func() { conn.Close() })
	var reader sync.WaitGroup
	defer func() {
		cancel()
		release() // the connection is closed now, so the reader returns
		reader.Wait()
	}()

	cursor, err := s.handshake(conn)
	if err != nil {
		if ctx.Err() == nil {
			s.CountRejected()
			s.reject(conn, err)
		}
		return
	}
	w := newFrameWriter(conn, s.opts.WriteTimeout)
	if err := w.WriteHeartbeat(); err != nil {
		return
	}
	if err := w.Flush(); err != nil {
		return
	}
	reader.Go(func() {
		defer cancel()
		discard(conn, s.opts.ReadLimit)
	})
	// Follow's error (client gone, slow consumer) ends this connection; it
	// is already counted where it matters.
	_ = push.Follow(ctx, s.log, cursor, s.opts, &s.Counters, w)
}

// discard reads and drops what the client sends until the connection fails
// or is closed.
func discard(conn net.Conn, limit int64) {
	buf := make([]byte, min(limit, discardSize))
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}
