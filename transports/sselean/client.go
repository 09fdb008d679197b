package sselean

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// client is one lean SSE virtual client. It speaks HTTP/1.1 on a plain
// connection instead of using net/http's client, whose per-connection state
// (two goroutines and two 4 KiB buffers) would triple the load generator's
// memory per idle connection. Run is not safe for concurrent use.
type client struct {
	opts transports.ClientOptions
	host string // host:port to dial
	path string
	dial transports.DialFunc // opts.Dial, or TLS over it for https
	url  string
}

func newClient(opts transports.ClientOptions) (*client, error) {
	opts = opts.WithDefaults()
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/") + "/sse-lean")
	if err != nil || !(u.Scheme == "http" || u.Scheme == "https") || u.Host == "" {
		return nil, fmt.Errorf("sse-lean needs an http:// or https:// base URL, got %q", opts.BaseURL)
	}
	c := &client{opts: opts, host: u.Host, path: u.Path, url: u.String(), dial: opts.Dial}
	if u.Scheme == "https" {
		if opts.TLS == nil {
			return nil, fmt.Errorf("base URL %q is TLS but ClientOptions.TLS is nil: give the server's certificate", opts.BaseURL)
		}
		c.dial = transports.DialTLS(opts, "http/1.1")
	}
	return c, nil
}

// Run opens the stream and parses events until ctx is done or the stream
// ends. A stream silent for ReadTimeout is treated as dead.
func (c *client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	if c.opts.HTTP2 {
		return c.runHTTP2(ctx, since, r)
	}
	dctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	conn, err := c.dial(dctx, "tcp", c.host)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("failed to connect for SSE: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	dc := &transports.DeadlineConn{Conn: conn, Timeout: c.opts.Timeout}
	br := bufio.NewReaderSize(dc, 1024)
	body, err := c.handshake(dc, br, since)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	r.Connected()
	dc.Timeout = c.opts.ReadTimeout
	p := Parser{OnEvent: func(event, data []byte) error { return dispatch(event, data, r) }}
	if rr, ok := r.(transports.RetryReceiver); ok {
		p.OnRetry = func(ms int64) { rr.Retry(time.Duration(ms) * time.Millisecond) }
	}
	err = p.Parse(body, nil)
	switch {
	case ctx.Err() != nil:
		return nil
	case err == nil:
		return errors.New("SSE stream ended by the server")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("SSE stream silent for %v: %w", c.opts.ReadTimeout, err)
	}
	return fmt.Errorf("failed to read SSE stream: %w", err)
}

// handshake sends the request and reads the response head; it returns the
// event-stream body.
func (c *client) handshake(conn io.Writer, br *bufio.Reader, since int64) (io.Reader, error) {
	req := make([]byte, 0, 160)
	req = append(req, "GET "...)
	req = append(req, c.path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, c.host...)
	req = append(req, "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"...)
	if since >= 0 {
		req = append(req, "Last-Event-ID: "...)
		req = strconv.AppendInt(req, since, 10)
		req = append(req, "\r\n"...)
	}
	req = append(req, "\r\n"...)
	if _, err := conn.Write(req); err != nil {
		return nil, fmt.Errorf("failed to send SSE request: %w", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to read SSE response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("SSE stream answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return resp.Body, nil // de-chunked by ReadResponse, reading through br
}

var eventGap = []byte("gap")

func dispatch(event, data []byte, r transports.Receiver) error {
	f, err := wire.Decode(data)
	if err != nil {
		return err
	}
	if f.Gap || bytes.Equal(event, eventGap) {
		r.Gap(f.First, f.Last)
		return nil
	}
	r.Message(f.Seq, f.Sent, f.PayloadSize)
	return nil
}
