package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// writePool lends clients a write buffer only while they write. Clients
// write nothing but control frames (pongs), which gorilla builds without it,
// so no client connection holds a 4 KiB write buffer.
var writePool = &sync.Pool{}

// Client is the WebSocket client half: one virtual client. Run is called
// from one goroutine at a time; it reuses one receive buffer across
// messages and across runs.
type Client struct {
	opts transports.ClientOptions
	url  string // ws[s]://host/.../ws, without a query
	buf  []byte // receive buffer, kept across messages

	mu     sync.Mutex
	conn   *gws.Conn // the open connection, while Run is active
	sendMu sync.Mutex
	out    []byte // Send's frame, reused
}

// NewClient returns a client of the server at opts.BaseURL (http or https,
// or ws or wss).
func NewClient(opts transports.ClientOptions) (*Client, error) {
	opts = opts.WithDefaults()
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("failed to parse base URL: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		if opts.TLS == nil {
			return nil, fmt.Errorf("base URL %q is TLS but ClientOptions.TLS is nil: give the server's certificate", opts.BaseURL)
		}
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("failed to parse base URL %q: scheme must be http, https, ws or wss", opts.BaseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + Path
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return &Client{opts: opts, url: u.String(), buf: make([]byte, 0, 512)}, nil
}

// Run dials, resumes after since (or from now when since < 0) and reports
// every frame to r until ctx is done (returns nil) or the connection ends.
// While it runs, Send may publish upstream on the same connection.
func (c *Client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	// Closing the connection when ctx ends needs no goroutine of its own
	// (memory per idle client matters): context.AfterFunc, armed once the
	// TCP connection exists, and disarmed (or waited for) before Run returns.
	release := func() {}
	defer func() { release() }()
	dial := c.opts.Dial
	if c.opts.TLS != nil {
		dial = transports.DialTLS(c.opts, "http/1.1")
	}
	netDial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		release = transports.OnDone(ctx, func() { conn.Close() })
		return conn, nil
	}
	d := gws.Dialer{
		NetDialContext:    netDial,
		NetDialTLSContext: netDial, // wss: DialTLS did the handshake with opts.TLS
		Proxy:             nil,     // never http.ProxyFromEnvironment
		HandshakeTimeout:  c.opts.Timeout,
		ReadBufferSize:    readBufferSize,
		WriteBufferPool:   writePool,
		EnableCompression: false,
	}
	target := c.url
	if since >= 0 {
		target += "?since=" + strconv.FormatInt(since, 10)
	}
	conn, resp, err := d.DialContext(ctx, target, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return dialError(target, resp, err)
	}
	defer conn.Close()
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	r.Connected()
	err = c.receive(conn, r)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// readBufferSize is the client's read buffer: messages larger than it are
// read in several pieces. Small, because it is held per idle connection.
const readBufferSize = 2048

// ErrNotConnected is returned by Send when no connection is open.
var ErrNotConnected = errors.New("websocket client is not connected")

// Send publishes payload to everyone through the server as one text frame
// {"payload":...,"sent":...} (transports.Sender). It is safe to call from
// another goroutine while Run is active; sends are serialised.
func (c *Client) Send(ctx context.Context, payload string, sent int64) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrNotConnected
	}
	c.out = append(c.out[:0], `{"payload":`...)
	c.out = wire.AppendString(c.out, payload)
	c.out = append(c.out, `,"sent":`...)
	c.out = strconv.AppendInt(c.out, sent, 10)
	c.out = append(c.out, '}')
	deadline := time.Now().Add(c.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if err := conn.WriteMessage(gws.TextMessage, c.out); err != nil {
		return fmt.Errorf("failed to send upstream: %w", err)
	}
	return nil
}

func (c *Client) receive(conn *gws.Conn, r transports.Receiver) error {
	timeout := c.opts.ReadTimeout
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(timeout))
		err := conn.WriteControl(gws.PongMessage, []byte(data), time.Now().Add(c.opts.Timeout))
		if err != nil && !errors.Is(err, gws.ErrCloseSent) {
			return fmt.Errorf("failed to answer ping: %w", err)
		}
		return nil
	})
	buf := c.buf
	defer func() { c.buf = buf[:0] }()
	for {
		if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return fmt.Errorf("failed to set read deadline: %w", err)
		}
		kind, rd, err := conn.NextReader()
		if err != nil {
			return fmt.Errorf("failed to read frame: %w", err)
		}
		if buf, err = transports.ReadInto(rd, buf[:0]); err != nil {
			return fmt.Errorf("failed to read message: %w", err)
		}
		var f wire.Frame
		if kind == gws.BinaryMessage {
			f, err = wire.DecodeBinary(buf)
		} else {
			f, err = wire.Decode(buf)
		}
		if err != nil {
			return err
		}
		if f.Gap {
			r.Gap(f.First, f.Last)
		} else {
			r.Message(f.Seq, f.Sent, f.PayloadSize)
		}
	}
}

// dialError describes a failed dial, with the server's status and reason
// when it refused the upgrade.
func dialError(target string, resp *http.Response, err error) error {
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return fmt.Errorf("failed to dial %s: %w", target, err)
	}
	body, _ := io.ReadAll(resp.Body) // gorilla kept at most 1 KiB of it
	return fmt.Errorf("failed to dial %s: %w: %s: %s", target, err, resp.Status, strings.TrimSpace(string(body)))
}
