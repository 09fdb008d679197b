package sse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	r3 "github.com/r3labs/sse/v2"
	"gopkg.in/cenkalti/backoff.v1"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// MaxEventSize is the library client's scanner limit: a 64 KiB payload
// plus framing fits with room to spare (the library's default is 64 KiB).
const MaxEventSize = 1 << 20

// errSilent ends a stream that sent nothing for ReadTimeout.
var errSilent = errors.New("SSE stream silent")

// Client is the client half: each Run uses a fresh library sse.Client and
// http.Transport. Run is not safe for concurrent use.
type Client struct {
	opts transports.ClientOptions
	url  string
}

// NewClient returns a client for opts.BaseURL + "/sse".
func NewClient(opts transports.ClientOptions) (*Client, error) {
	opts = opts.WithDefaults()
	return &Client{opts: opts, url: strings.TrimRight(opts.BaseURL, "/") + "/sse"}, nil
}

// Run subscribes with the library client, resuming after since (sent as
// Last-Event-ID) when since >= 0, and reports to r until ctx is done
// (returns nil) or the stream ends or fails. It never reconnects: the
// library's ReconnectStrategy is a StopBackOff.
func (c *Client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	tr, release := transports.ClientTransport(c.opts)
	if c.opts.Shared == nil {
		tr.DialContext = c.dial
	}
	defer release()
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	lc := r3.NewClient(c.url, r3.ClientMaxBufferSize(MaxEventSize))
	lc.Connection = &http.Client{Transport: tr}
	lc.ReconnectStrategy = &backoff.StopBackOff{}
	if since >= 0 {
		lc.LastEventID.Store(strconv.AppendInt(nil, since, 10))
	}
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	connected := false
	// The library's OnConnect fires only after the first event arrives
	// (client.go:229-231); the validator runs as soon as headers arrive.
	lc.ResponseValidator = func(_ *r3.Client, resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close() // the library does not close it when we refuse
			return fmt.Errorf("SSE stream answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		idle = time.AfterFunc(c.opts.ReadTimeout, func() { cancel(errSilent) })
		resp.Body = &idleBody{ReadCloser: resp.Body, idle: idle, d: c.opts.ReadTimeout}
		connected = true
		r.Connected()
		return nil
	}
	// The library calls the handler on this goroutine, so Receiver
	// methods run here too.
	failed := false // a bad event: ignore the rest until the stream ends
	err := lc.SubscribeWithContext(rctx, "", func(ev *r3.Event) {
		if failed {
			return
		}
		if err := dispatch(ev, r); err != nil {
			failed = true
			cancel(err)
		}
	})
	switch cause := context.Cause(rctx); {
	case ctx.Err() != nil:
		return nil
	case errors.Is(cause, errSilent):
		return fmt.Errorf("failed to read SSE stream: %w for %v", errSilent, c.opts.ReadTimeout)
	case failed:
		return fmt.Errorf("failed to decode SSE event: %w", cause)
	case !connected:
		return fmt.Errorf("failed to open SSE stream: %w", err)
	case err != nil:
		return fmt.Errorf("failed to read SSE stream: %w", err)
	}
	// The library returns nil on a clean EOF (client.go:216-217).
	return fmt.Errorf("failed to read SSE stream: %w", errClosed)
}

// errClosed is a stream the server ended.
var errClosed = errors.New("server closed the stream")

// dial bounds the dial by the handshake timeout and dials through opts.Dial.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	return c.opts.Dial(ctx, network, addr)
}

var eventGap = []byte("gap")

// dispatch reports one library event to r. Events without data (the retry
// line) are ignored; comments never reach it (the library drops them).
func dispatch(ev *r3.Event, r transports.Receiver) error {
	if len(ev.Data) == 0 {
		return nil
	}
	f, err := wire.Decode(ev.Data)
	if err != nil {
		return err
	}
	if bytes.Equal(ev.Event, eventGap) != f.Gap {
		return fmt.Errorf("event type %q does not match data %.40q", ev.Event, ev.Data)
	}
	if f.Gap {
		r.Gap(f.First, f.Last)
		return nil
	}
	r.Message(f.Seq, f.Sent, f.PayloadSize)
	return nil
}

// idleBody restarts the silence timer on every read that returned data.
type idleBody struct {
	io.ReadCloser
	idle *time.Timer
	d    time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.idle.Reset(b.d)
	}
	return n, err
}
