package target

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"

	"github.com/pushbench/pushbench/transports"
)

// runPoll asks until ctx is done or a request fails: a long poll again as
// soon as an answer arrives, a short poll every PollInterval.
func (c *Client) runPoll(ctx context.Context, r transports.Receiver, hold bool) error {
	tr, release := transports.ClientTransport(c.opts)
	if hold && c.opts.Shared == nil {
		// A long poll's answer comes when there is news or the hold ends:
		// its head is due within the request's own deadline.
		tr.ResponseHeaderTimeout = c.opts.ReadTimeout
	}
	defer release()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect is an answer to report, not to follow
	}}
	polled, _ := r.(transports.PollReceiver)
	obs, _ := r.(SkipObserver)
	connected := false
	connect := func() {
		if !connected {
			connected = true
			r.Connected()
		}
	}
	pace := transports.NewPollPacer(c.opts.PollInterval)
	defer pace.Stop()
	again := false // a draining short poll asks again at once after a message
	for first := true; ; first = false {
		if !hold && !first && !again && !pace.Wait(ctx) {
			return nil
		}
		// A held request is the subscription: a long poll is connected
		// once its first request has a connection (its answer may wait for
		// the next message). A short poll is connected at its first answer.
		var onConn func()
		if hold {
			onConn = connect
		}
		status, err := c.poll(ctx, hc, hold, onConn)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		connect()
		if polled != nil {
			polled.Polled()
		}
		n := 0
		if status == http.StatusOK {
			if n, err = c.document(c.body, r, obs); err != nil {
				return err
			}
		}
		if n == 0 {
			r.Empty()
		}
		again = c.ep.Drain && n > 0
	}
}

// poll makes one request and reads its answer into c.body; it returns the
// status, which is 200 or one of the empty statuses. onConn, when set, is
// called once the request has a connection.
func (c *Client) poll(ctx context.Context, hc *http.Client, hold bool, onConn func()) (int, error) {
	u, h, err := c.request()
	if err != nil {
		return 0, err
	}
	timeout := c.opts.Timeout
	if hold {
		timeout = c.opts.ReadTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if onConn != nil {
		rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { onConn() },
		})
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("failed to build %s request: %w", c.ep.Framing, err)
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host
		h.Del("Host")
	}
	req.Header = h
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("failed to %s %s: %w", c.ep.Framing, u, err)
	}
	defer resp.Body.Close()
	buf := bytes.NewBuffer(c.body[:0])
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	c.body = buf.Bytes()
	if err != nil {
		return 0, fmt.Errorf("failed to read %s answer: %w", c.ep.Framing, err)
	}
	if len(c.body) > MaxDocumentBytes {
		return 0, fmt.Errorf("%s answer: %w", c.ep.Framing, ErrDocumentTooLarge)
	}
	if resp.StatusCode != http.StatusOK && !slices.Contains(c.empty, resp.StatusCode) {
		return 0, &StatusError{Framing: c.ep.Framing, Code: resp.StatusCode, Body: string(c.body[:min(len(c.body), 1024)])}
	}
	c.keep(resp.Header)
	return resp.StatusCode, nil
}
