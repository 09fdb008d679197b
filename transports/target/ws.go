package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
)

// wsWritePool lends a write buffer only while a client writes (pongs and
// close replies), so an idle connection holds none.
var wsWritePool = &sync.Pool{}

// runWebSocket dials one WebSocket connection and hands each text or
// binary message to document.
func (c *Client) runWebSocket(ctx context.Context, r transports.Receiver) error {
	u, h, err := c.request()
	if err != nil {
		return err
	}
	return c.holdWebSocket(ctx, u, h, func(conn *gws.Conn) error {
		r.Connected()
		return c.receiveWebSocket(conn, r)
	})
}

// holdWebSocket dials u and runs receive on the connection until it ends;
// an error once ctx is done is the end that was asked for, not a failure.
func (c *Client) holdWebSocket(ctx context.Context, u *url.URL, h http.Header, receive func(*gws.Conn) error) error {
	conn, release, err := c.dialWebSocket(ctx, u, h)
	defer release()
	if err == nil {
		defer conn.Close()
		err = receive(conn)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// dialWebSocket dials u and completes the handshake, keeping the response
// headers a headers resume sends back. The connection is closed when ctx
// ends: call release (always, error or not) before returning, after
// closing the connection.
func (c *Client) dialWebSocket(ctx context.Context, u *url.URL, h http.Header) (*gws.Conn, func(), error) {
	// Closing the connection when ctx ends: armed once the TCP connection
	// exists, disarmed (or waited for) by release.
	var disarm func()
	release := func() {
		if disarm != nil {
			disarm()
		}
	}
	dial := c.opts.Dial
	if u.Scheme == "wss" {
		dial = transports.DialTLS(c.opts, "http/1.1")
	}
	netDial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		disarm = transports.OnDone(ctx, func() { conn.Close() })
		return conn, nil
	}
	d := gws.Dialer{
		NetDialContext:    netDial,
		NetDialTLSContext: netDial, // wss: DialTLS did the handshake with opts.TLS
		Proxy:             nil,     // never the environment's proxy
		HandshakeTimeout:  c.opts.Timeout,
		ReadBufferSize:    2048,
		WriteBufferPool:   wsWritePool,
	}
	conn, resp, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		return nil, release, wsDialError(u.String(), resp, err)
	}
	c.keep(resp.Header)
	return conn, release, nil
}

func (c *Client) receiveWebSocket(conn *gws.Conn, r transports.Receiver) error {
	timeout := c.opts.ReadTimeout
	conn.SetReadLimit(MaxDocumentBytes)
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(timeout))
		err := conn.WriteControl(gws.PongMessage, []byte(data), time.Now().Add(c.opts.Timeout))
		if err != nil && !errors.Is(err, gws.ErrCloseSent) {
			return fmt.Errorf("failed to answer ping: %w", err)
		}
		return nil
	})
	obs, _ := r.(SkipObserver)
	for {
		if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return fmt.Errorf("failed to set read deadline: %w", err)
		}
		_, rd, err := conn.NextReader()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("WebSocket silent for %v: %w", timeout, err)
			}
			return fmt.Errorf("failed to read WebSocket frame: %w", err)
		}
		if c.body, err = transports.ReadInto(rd, c.body[:0]); err != nil {
			if errors.Is(err, gws.ErrReadLimit) {
				return fmt.Errorf("WebSocket message: %w", ErrDocumentTooLarge)
			}
			return fmt.Errorf("failed to read WebSocket message: %w", err)
		}
		if _, err := c.document(c.body, r, obs); err != nil {
			return err
		}
	}
}

// wsDialError describes a failed dial, with the server's status and body
// when it refused the upgrade.
func wsDialError(target string, resp *http.Response, err error) error {
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return fmt.Errorf("failed to dial %s: %w", target, err)
	}
	body, _ := io.ReadAll(resp.Body) // gorilla kept at most 1 KiB of it
	return fmt.Errorf("failed to dial %s: %w", target, &StatusError{Framing: "WebSocket", Code: resp.StatusCode, Body: strings.TrimSpace(string(body))})
}
