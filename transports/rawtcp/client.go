package rawtcp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

var errorPrefix = []byte(`{"type":"error"`)

// ServerError is the reason a server gave in an error frame, e.g. for a
// refused handshake. Run returns it wrapped; find it with errors.As.
type ServerError struct{ Reason string }

// Error returns the server's reason.
func (e *ServerError) Error() string { return "rawtcp server: " + e.Reason }

// Client is the rawtcp client half: one virtual client. Run is called by
// one goroutine at a time; the client keeps its read buffers between runs.
type Client struct {
	opts transports.ClientOptions
	hs   [HandshakeSize]byte
	fr   frameReader
}

// NewClient returns a client dialling opts.RawAddr through opts.Dial (zero
// fields take defaults).
func NewClient(opts transports.ClientOptions) (*Client, error) {
	if opts.RawAddr == "" {
		return nil, errors.New("rawtcp: ClientOptions.RawAddr is empty")
	}
	return &Client{opts: opts.WithDefaults()}, nil
}

// Run connects, sends the handshake for since (since < 0: from now) and
// reports frames to r until ctx is done (returns nil) or the connection
// ends (returns why). Dial and handshake together are bounded by
// opts.Timeout; after that, a connection silent for opts.ReadTimeout is
// dead. Run never reconnects.
func (c *Client) Run(ctx context.Context, since int64, r transports.Receiver) (err error) {
	if ctx.Err() != nil {
		return nil
	}
	deadline := time.Now().Add(c.opts.Timeout)
	dialCtx, cancel := context.WithDeadline(ctx, deadline)
	dial := c.opts.Dial
	if c.opts.TLS != nil { // TLS over the same frames: the floor with TLS's cost only
		dial = transports.DialTLS(c.opts)
	}
	conn, err := dial(dialCtx, "tcp", c.opts.RawAddr)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("failed to dial %s: %w", c.opts.RawAddr, err)
	}
	release := transports.OnDone(ctx, func() { conn.Close() })
	defer func() {
		conn.Close()
		release()
		if ctx.Err() != nil {
			err = nil
		}
	}()
	if err := c.handshake(conn, since, deadline); err != nil {
		return err
	}
	r.Connected()
	return c.receive(ctx, conn, r)
}

// handshake sends the handshake and reads the server's acknowledgement, an
// empty frame, by deadline.
func (c *Client) handshake(conn net.Conn, since int64, deadline time.Time) error {
	c.hs = [HandshakeSize]byte{}
	if since >= 0 {
		c.hs[0] = FlagResume
		binary.BigEndian.PutUint64(c.hs[1:], uint64(since))
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("failed to set handshake deadline: %w", err)
	}
	if _, err := conn.Write(c.hs[:]); err != nil {
		return fmt.Errorf("failed to send handshake: %w", err)
	}
	c.fr.reset(conn)
	body, err := c.fr.next()
	if err != nil {
		return fmt.Errorf("failed to read handshake acknowledgement: %w", err)
	}
	if len(body) != 0 {
		if bytes.HasPrefix(body, errorPrefix) {
			return fmt.Errorf("failed to handshake: %w", parseServerError(body))
		}
		return fmt.Errorf("failed to handshake: expected an empty acknowledgement frame, got %.40q", body)
	}
	return nil
}

// receive reads frames until ctx is done or the connection fails. The read
// deadline is renewed before each frame that is not already whole in the
// read buffer: a deadline only bounds socket reads, and renewing it costs
// a clock read and a timer update, the largest cost of the receive path
// when done for every frame. Frames still buffered when ctx is done are not
// delivered. It does not allocate per message.
func (c *Client) receive(ctx context.Context, conn net.Conn, r transports.Receiver) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !c.fr.buffered() {
			if err := conn.SetReadDeadline(time.Now().Add(c.opts.ReadTimeout)); err != nil {
				return fmt.Errorf("failed to set read deadline: %w", err)
			}
		}
		body, err := c.fr.next()
		if err != nil {
			return fmt.Errorf("failed to read frame: %w", err)
		}
		if len(body) == 0 {
			continue // heartbeat
		}
		if bytes.HasPrefix(body, errorPrefix) {
			return fmt.Errorf("failed to receive: %w", parseServerError(body))
		}
		f, err := wire.DecodeFrame(body)
		if err != nil {
			return fmt.Errorf("failed to decode frame: %w", err)
		}
		if f.Gap {
			r.Gap(f.First, f.Last)
		} else {
			r.Message(f.Seq, f.Sent, f.PayloadSize)
		}
	}
}
