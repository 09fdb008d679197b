package poll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// client is one polling virtual client. Run is not safe for concurrent use.
type client struct {
	opts transports.ClientOptions
	hold bool
	url  string
	buf  bytes.Buffer // response body, reused
}

func newClient(opts transports.ClientOptions, hold bool, path string) *client {
	opts = opts.WithDefaults()
	return &client{opts: opts, hold: hold, url: strings.TrimRight(opts.BaseURL, "/") + path}
}

// Run polls until ctx is done or a request fails. A short poll asks every
// PollInterval; a long poll asks again as soon as an answer arrives.
func (c *client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	tr, release := transports.ClientTransport(c.opts)
	if c.hold && c.opts.Shared == nil {
		// A long poll's answer comes when there is news or the hold ends:
		// its headers are due within the request's own deadline
		// (ReadTimeout), not the handshake's.
		tr.ResponseHeaderTimeout = c.opts.ReadTimeout
	}
	defer release()
	hc := &http.Client{Transport: tr}
	cursor := since
	polled, _ := r.(transports.PollReceiver)
	pace := transports.NewPollPacer(c.opts.PollInterval)
	defer pace.Stop()
	for first := true; ; first = false {
		if !c.hold && !first && !pace.Wait(ctx) {
			return nil
		}
		// With a cursor the client needs nothing from the server to start,
		// so it is connected once the first connection is up; without one
		// it is connected when the first answer gives it the head.
		var onConn func()
		if first && since >= 0 {
			onConn = r.Connected
		}
		head, n, err := c.poll(ctx, hc, cursor, r, &cursor, onConn)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if polled != nil {
			polled.Polled()
		}
		if first && since < 0 {
			cursor = head
			r.Connected()
		}
		if n == 0 && !(first && since < 0) {
			r.Empty()
		}
	}
}

// poll makes one request and delivers its answer, advancing *cursor;
// onConn, when set, is called once the request has a connection. It
// returns the server's head and the number of objects in the answer.
func (c *client) poll(ctx context.Context, hc *http.Client, since int64, r transports.Receiver, cursor *int64, onConn func()) (head int64, n int, err error) {
	u := c.url
	if since >= 0 {
		u += "?since=" + strconv.FormatInt(since, 10)
	}
	timeout := c.opts.Timeout
	if c.hold {
		timeout = c.opts.ReadTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if onConn != nil {
		rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { onConn() },
		})
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to build poll request: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to poll: %w", err)
	}
	defer resp.Body.Close()
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(resp.Body); err != nil {
		return 0, 0, fmt.Errorf("failed to read poll answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("poll answered %s: %s", resp.Status, strings.TrimSpace(c.buf.String()))
	}
	head, _ = strconv.ParseInt(resp.Header.Get(transports.HeadHeader), 10, 64)
	err = wire.EachInArray(c.buf.Bytes(), func(obj []byte) error {
		f, err := wire.Decode(obj)
		if err != nil {
			return err
		}
		n++
		if f.Gap {
			r.Gap(f.First, f.Last)
			*cursor = f.Last
			return nil
		}
		r.Message(f.Seq, f.Sent, f.PayloadSize)
		*cursor = f.Seq
		return nil
	})
	if err != nil {
		if errors.Is(err, wire.ErrNotArray) {
			return 0, 0, fmt.Errorf("failed to parse poll answer: %w", err)
		}
		return 0, 0, err
	}
	return head, n, nil
}
