package sselean

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports"
)

var (
	errHeaders = errors.New("SSE response headers did not arrive in time")
	errSilent  = errors.New("SSE stream silent")
)

// runHTTP2 is Run over HTTP/2: one stream on a connection net/http's
// client holds (shared with other clients when opts.Shared is set: a
// hand-written HTTP/1.1 reader cannot multiplex), with the same lean
// parser over the response body. Headers are due within Timeout (a
// request waiting for a free stream past the server's limit waits that
// long); a stream silent for ReadTimeout is dead.
func (c *client) runHTTP2(ctx context.Context, since int64, r transports.Receiver) error {
	tr, release := transports.ClientTransport(c.opts)
	defer release()
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.url, nil)
	if err != nil {
		return fmt.Errorf("failed to build SSE request: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if since >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(since, 10))
	}
	headers := time.AfterFunc(c.opts.Timeout, func() { cancel(errHeaders) })
	resp, err := tr.RoundTrip(req)
	headers.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if cause := context.Cause(rctx); cause != nil {
			err = cause
		}
		return fmt.Errorf("failed to open SSE stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("SSE stream answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	r.Connected()
	idle := time.AfterFunc(c.opts.ReadTimeout, func() { cancel(errSilent) })
	defer idle.Stop()
	p := Parser{OnEvent: func(event, data []byte) error { return dispatch(event, data, r) }}
	if rr, ok := r.(transports.RetryReceiver); ok {
		p.OnRetry = func(ms int64) { rr.Retry(time.Duration(ms) * time.Millisecond) }
	}
	err = p.Parse(&idleBody{rc: resp.Body, idle: idle, d: c.opts.ReadTimeout}, nil)
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.Is(context.Cause(rctx), errSilent):
		return fmt.Errorf("SSE stream silent for %v: %w", c.opts.ReadTimeout, errSilent)
	case err == nil:
		return errors.New("SSE stream ended by the server")
	}
	return fmt.Errorf("failed to read SSE stream: %w", err)
}

// idleBody restarts the silence timer on every read that returned data.
type idleBody struct {
	rc   io.Reader
	idle *time.Timer
	d    time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.idle.Reset(b.d)
	}
	return n, err
}
