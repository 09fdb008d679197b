package target

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sselean"
)

// runSSE opens one event stream over HTTP/1.1 on a connection of its own
// (dialled through opts.Dial) and hands each event's data to document.
func (c *Client) runSSE(ctx context.Context, r transports.Receiver) error {
	u, h, err := c.request()
	if err != nil {
		return err
	}
	dial := c.opts.Dial
	if u.Scheme == "https" {
		dial = transports.DialTLS(c.opts, "http/1.1")
	}
	dctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	conn, err := dial(dctx, "tcp", hostPort(u))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("failed to connect for SSE to %s: %w", u.Host, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	dc := &transports.DeadlineConn{Conn: conn, Timeout: c.opts.Timeout}
	body, err := c.handshakeSSE(dc, u, h)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	r.Connected()
	dc.Timeout = c.opts.ReadTimeout
	obs, _ := r.(SkipObserver)
	p := sselean.Parser{OnEvent: func(_, data []byte) error {
		_, err := c.document(data, r, obs)
		return err
	}}
	if c.kind == "last-event-id" {
		p.OnID = func(id []byte) { c.lastID = append(c.lastID[:0], id...) }
	}
	if rr, ok := r.(transports.RetryReceiver); ok {
		p.OnRetry = func(ms int64) { rr.Retry(time.Duration(ms) * time.Millisecond) }
	}
	err = p.Parse(body, nil)
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return nil
	case err == nil:
		return errors.New("SSE stream ended by the server")
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("SSE stream silent for %v: %w", c.opts.ReadTimeout, err)
	case errors.Is(err, ErrNotJSON), errors.As(err, new(*MessageError)):
		return err
	}
	return fmt.Errorf("failed to read SSE stream: %w", err)
}

// handshakeSSE sends the GET and reads the response head; it returns the
// event stream (de-chunked).
func (c *Client) handshakeSSE(conn net.Conn, u *url.URL, h http.Header) (io.Reader, error) {
	h.Set("Accept", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: h, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	if host := h.Get("Host"); host != "" {
		req.Host = host
		h.Del("Host")
	}
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("failed to send SSE request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), req)
	if err != nil {
		return nil, fmt.Errorf("failed to read SSE response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, &StatusError{Framing: "SSE", Code: resp.StatusCode, Body: string(b)}
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return nil, fmt.Errorf("SSE answered 200 with Content-Type %q, not text/event-stream (an EventSource refuses it): is %s the event stream?", resp.Header.Get("Content-Type"), u)
	}
	c.keep(resp.Header)
	return resp.Body, nil
}

// hostPort is u's host with the scheme's port when it names none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" || u.Scheme == "wss" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
