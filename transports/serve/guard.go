package serve

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/wire"
)

// originAllowed reports whether a write (POST /publish, /control/*) may
// proceed: requests without an Origin header (curl, the harness) may; a
// browser page may only from the server's own origin or the one --cors
// allows. A cross-origin text/plain POST needs no preflight, so the CORS
// headers alone would not stop a page from publishing.
func originAllowed(r *http.Request, cors string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if cors == "*" || (cors != "" && origin == cors) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == r.Host
}

// refuseOrigin answers 403 when r's Origin may not write; ok is false then.
func refuseOrigin(w http.ResponseWriter, r *http.Request, cors string) (ok bool) {
	if originAllowed(r, cors) {
		return true
	}
	http.Error(w, "cross-origin write refused: origin "+wire.Quote(r.Header.Get("Origin"))+
		" is not this server's and not allowed by --cors", http.StatusForbidden)
	return false
}

// readBody reads a request body of at most limit bytes within timeout
// (a body trickled slower, or stopped short, is cut), then clears the read
// deadline so the request's context is not cancelled by it later.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	rd := http.MaxBytesReader(w, r.Body, limit)
	var body []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= limit {
		// Known length: one buffer of that size, not ReadAll's doubling.
		body = make([]byte, n)
		_, err = io.ReadFull(rd, body)
	} else {
		body, err = io.ReadAll(rd)
	}
	if err != nil {
		// Keep the deadline: after the handler, net/http reads what is
		// left of the body, and without it a body one byte short would
		// hold the connection for ever.
		return nil, err
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

// bodyError answers a failed readBody.
func bodyError(w http.ResponseWriter, err error, limit int64, limitFlag string, timeout time.Duration) {
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("body over %d bytes (raise %s)", limit, limitFlag), http.StatusRequestEntityTooLarge)
	case errors.As(err, &ne) && ne.Timeout():
		http.Error(w, fmt.Sprintf("body not received within %v (--body-timeout)", timeout), http.StatusRequestTimeout)
	default:
		http.Error(w, "failed to read body: "+err.Error(), http.StatusBadRequest)
	}
}

// guard wraps every handler: a request that carries a body must deliver
// it within timeout, even to a handler that never reads it (net/http
// reads what is left after the handler returns). Handlers that read the
// body themselves use readBody.
func guard(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		next.ServeHTTP(w, r)
	})
}

// connCap counts the connections open on a process's listeners and
// refuses those over its limit. Safe for concurrent use.
type connCap struct {
	limit int64
	open  atomic.Int64
}

// cappedListener accepts through a connCap. refusal, when non-nil, is
// written to a refused connection before it is closed.
type cappedListener struct {
	net.Listener
	cap     *connCap
	refusal []byte
}

func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.cap.open.Add(1) <= l.cap.limit {
			return &cappedConn{Conn: c, cap: l.cap}, nil
		}
		l.cap.open.Add(-1)
		if l.refusal != nil { // a fresh socket's buffer takes it at once
			_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = c.Write(l.refusal)
		}
		c.Close()
	}
}

type cappedConn struct {
	net.Conn
	cap  *connCap
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() { c.cap.open.Add(-1) })
	return c.Conn.Close()
}

func httpRefusal(limit int64) []byte {
	body := fmt.Sprintf("connection refused: this server holds at most %d connections (--max-conns)\n", limit)
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\nRetry-After: 1\r\n\r\n%s", len(body), body)
}

// Exposed reports whether a listen address is reachable from other
// machines: anything but a loopback IP or "localhost" (an empty host
// listens on every interface).
func Exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// answerDeadline bounds the write of a short, non-streaming answer.
func answerDeadline(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}

// refusal explains a refused append and the fix.
func refusal(err error) string {
	if errors.Is(err, msglog.ErrTooLarge) {
		return err.Error() + " (raise --max-ring-bytes or send less)"
	}
	return err.Error()
}

// bodyBudget bounds the bytes of request bodies being read at once across
// all POST /publish requests: each reserves its Content-Length (or the
// largest body, when chunked) before reading and gives it back after, so
// many slow bodies cannot hold more than the budget. Safe for concurrent
// use.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// reserve takes n bytes of the budget; ok is false (and nothing is taken)
// when they are not free.
func (b *bodyBudget) reserve(n int64) (release func(), ok bool) {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return nil, false
	}
	return func() { b.used.Add(-n) }, true
}
