package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
)

// The Socket.IO framings speak Engine.IO v4 and Socket.IO protocol v5 to
// the main namespace: the server's open packet, the client's connect (40)
// and the server's reply (40{"sid":...}), then events (42["event",ARG])
// whose first argument is a document, and a pong (3) for every ping (2)
// the server sends. Over WebSocket each frame is one packet; over
// polling a GET answers with packets separated by 0x1e and the client's
// packets go up in POSTs. The client is connected once the server's
// connect reply arrives: the server broadcasts to the socket from then.
// An event that asks for an acknowledgement is taken without one (a
// broadcast asks for none). The client sends no close packet: over
// WebSocket the closed connection ends the session, over polling the
// server ends it when its next ping goes unanswered.

// defaultEvent is the event whose argument is the document when the
// endpoint names none.
const defaultEvent = "message"

// sioState is one Engine.IO session's progress.
type sioState struct {
	hs        eioHandshake
	open      bool // the open packet arrived
	connected bool // the namespace connect reply arrived
	silence   time.Duration
}

// sioURL is the endpoint's URL with the Engine.IO query for transport
// (EIO=4, transport), refusing values of its own that differ.
func sioURL(u *url.URL, transport string) (*url.URL, error) {
	q := u.Query()
	for k, want := range map[string]string{"EIO": "4", "transport": transport} {
		if v, ok := q[k]; ok && (len(v) != 1 || v[0] != want) {
			return nil, fmt.Errorf("url %q: %s=%s, but this framing speaks %s=%s (leave it out: the client sets it)", u, k, v, k, want)
		}
		q.Set(k, want)
	}
	out := *u
	out.RawQuery = q.Encode()
	return &out, nil
}

// sioHandle acts on one packet: it takes the open packet, marks the
// namespace connected, hands each event of the endpoint's event to
// document, and ends the session on a close, a disconnect or a refused
// connect. It returns how many messages the packet held and whether it
// was a ping to answer.
func (c *Client) sioHandle(s *sioState, p []byte, r transports.Receiver, obs SkipObserver) (n int, ping bool, err error) {
	var pk sioPacket
	if pk, c.sioStack, err = parsePacket(p, c.sioStack); err != nil {
		return 0, false, err
	}
	if !s.open && pk.kind != eioOpen {
		return 0, false, packetError(p, "the session's first packet is not the open packet")
	}
	switch pk.kind {
	case eioOpen:
		if s.open {
			return 0, false, packetError(p, "a second open packet")
		}
		if err := parseHandshake(p, pk.data, &s.hs); err != nil {
			return 0, false, err
		}
		s.open = true
		s.silence = max(c.opts.ReadTimeout, time.Duration(s.hs.pingInterval+s.hs.pingTimeout)*time.Millisecond)
	case eioPing:
		return 0, true, nil
	case eioClose:
		return 0, false, errors.New("Socket.IO: the server closed the session (Engine.IO close packet)")
	case sioDisconnect:
		return 0, false, errors.New("Socket.IO: the server disconnected the client from the namespace (41)")
	case sioConnectError:
		return 0, false, fmt.Errorf("Socket.IO: the server refused the namespace connect: %s", excerptBytes(pk.data))
	case sioConnect:
		if !s.connected {
			s.connected = true
			r.Connected()
		}
	case sioEvent:
		if !s.connected {
			return 0, false, packetError(p, "an event before the namespace connect reply")
		}
		doc, named, buf := eventDocument(pk.data, c.event, c.sioDoc)
		c.sioDoc = buf
		if !named {
			c.docs.Add(1)
			c.skipped.Add(1)
			if obs != nil {
				obs.Skipped(p)
			}
			return 0, false, nil
		}
		n, err := c.document(doc, r, obs)
		return n, false, err
	}
	// A pong, an upgrade, a noop and an ack (the client asks for none)
	// carry nothing for the client.
	return 0, false, nil
}

func excerptBytes(b []byte) string {
	return excerpt(b, 0)
}

// runSocketIOWebSocket holds one Engine.IO session over WebSocket.
func (c *Client) runSocketIOWebSocket(ctx context.Context, r transports.Receiver) error {
	u, h, err := c.request()
	if err != nil {
		return err
	}
	if u, err = sioURL(u, "websocket"); err != nil {
		return err
	}
	return c.holdWebSocket(ctx, u, h, func(conn *gws.Conn) error { return c.receiveSocketIO(conn, r) })
}

func (c *Client) receiveSocketIO(conn *gws.Conn, r transports.Receiver) error {
	conn.SetReadLimit(MaxDocumentBytes)
	obs, _ := r.(SkipObserver)
	s := sioState{silence: c.opts.ReadTimeout}
	write := func(p string) error {
		conn.SetWriteDeadline(time.Now().Add(c.opts.Timeout))
		if err := conn.WriteMessage(gws.TextMessage, []byte(p)); err != nil {
			return fmt.Errorf("failed to send Socket.IO packet %q: %w", p, err)
		}
		return nil
	}
	for {
		if err := conn.SetReadDeadline(time.Now().Add(s.silence)); err != nil {
			return fmt.Errorf("failed to set read deadline: %w", err)
		}
		typ, rd, err := conn.NextReader()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("Socket.IO WebSocket silent for %v: %w", s.silence, err)
			}
			return fmt.Errorf("failed to read WebSocket frame: %w", err)
		}
		if c.body, err = transports.ReadInto(rd, c.body[:0]); err != nil {
			if errors.Is(err, gws.ErrReadLimit) {
				return fmt.Errorf("WebSocket message: %w", ErrDocumentTooLarge)
			}
			return fmt.Errorf("failed to read WebSocket message: %w", err)
		}
		if typ != gws.TextMessage {
			return packetError(c.body, "a binary frame (the client takes text only)")
		}
		wasOpen := s.open
		_, ping, err := c.sioHandle(&s, c.body, r, obs)
		if err != nil {
			return err
		}
		switch {
		case !wasOpen: // the open packet: connect to the main namespace
			err = write("40")
		case ping:
			err = write("3" + string(c.body[1:])) // allocates once per heartbeat
		}
		if err != nil {
			return err
		}
	}
}

// runSocketIOPolling holds one Engine.IO session over HTTP long-polling:
// the handshake GET, the connect POST, then GETs until ctx is done or the
// session ends, with a POST answering each ping.
func (c *Client) runSocketIOPolling(ctx context.Context, r transports.Receiver) error {
	u, h, err := c.request()
	if err != nil {
		return err
	}
	if u, err = sioURL(u, "polling"); err != nil {
		return err
	}
	// A GET is held until the server has a packet (a ping at the latest):
	// its answer is due within the request's own deadline, the silence.
	tr := transports.HTTPTransport(c.opts)
	tr.ResponseHeaderTimeout = 0
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	polled, _ := r.(transports.PollReceiver)
	obs, _ := r.(SkipObserver)
	s := sioState{silence: c.opts.ReadTimeout}
	var session string // the URL with the session's sid
	for first := true; ; first = false {
		target := session
		if first {
			target = u.String()
		}
		err := c.sioExchange(ctx, hc, http.MethodGet, target, h, nil, s.silence)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if polled != nil {
			polled.Polled()
		}
		n, pings, err := c.sioPacketsOf(&s, r, obs)
		if err != nil {
			return err
		}
		var up []byte // what to POST: the connect after the handshake, a pong per ping
		if first {
			su := *u
			q := su.Query()
			q.Set("sid", string(s.hs.sid))
			su.RawQuery = q.Encode()
			session = su.String()
			up = []byte("40")
		} else if n == 0 {
			r.Empty()
		}
		for range pings {
			if len(up) > 0 {
				up = append(up, eioSeparator)
			}
			up = append(up, '3')
		}
		if len(up) == 0 {
			continue
		}
		if err := c.sioExchange(ctx, hc, http.MethodPost, session, h, up, c.opts.Timeout); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if string(c.body) != "ok" {
			return fmt.Errorf("Socket.IO polling POST answered %q, not ok", excerptBytes(c.body))
		}
	}
}

// sioPacketsOf handles every packet of a polling answer (c.body, packets
// separated by the record separator): n documents delivered, pings asked.
func (c *Client) sioPacketsOf(s *sioState, r transports.Receiver, obs SkipObserver) (n, pings int, err error) {
	for rest := c.body; ; {
		p := rest
		i := bytes.IndexByte(rest, eioSeparator)
		if i >= 0 {
			p, rest = rest[:i], rest[i+1:]
		}
		k, ping, err := c.sioHandle(s, p, r, obs)
		if n += k; err != nil {
			return n, pings, err
		}
		if ping {
			pings++
		}
		if i < 0 {
			return n, pings, nil
		}
	}
}

// sioExchange makes one polling request (a GET when body is nil) and
// reads its 200 answer into c.body.
func (c *Client) sioExchange(ctx context.Context, hc *http.Client, method, target string, h http.Header, body []byte, timeout time.Duration) error {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("failed to build Socket.IO polling request: %w", err)
	}
	req.Header = h.Clone()
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
		req.Header.Del("Host")
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ne net.Error
		if method == http.MethodGet && errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("Socket.IO polling GET silent for %v: %w", timeout, err)
		}
		return fmt.Errorf("failed to %s Socket.IO polling %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	buf := bytes.NewBuffer(c.body[:0])
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, MaxDocumentBytes+1))
	c.body = buf.Bytes()
	if err != nil {
		return fmt.Errorf("failed to read Socket.IO polling answer: %w", err)
	}
	if len(c.body) > MaxDocumentBytes {
		return fmt.Errorf("Socket.IO polling answer: %w", ErrDocumentTooLarge)
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Framing: "Socket.IO polling " + method, Code: resp.StatusCode, Body: string(c.body[:min(len(c.body), 1024)])}
	}
	return nil
}

// sioTransport is the Engine.IO transport of a Socket.IO framing.
func sioTransport(framing string) string {
	if framing == "socketio-polling" {
		return "polling"
	}
	return "websocket"
}

// checkSocketIO checks what only the Socket.IO framings have: no resume
// (connection state recovery is not spoken) and an Engine.IO query the
// client can complete.
func (c *Client) checkSocketIO() error {
	if !scenarios.SocketIO(c.ep.Framing) {
		if c.ep.Event != "" {
			return fmt.Errorf("event: only for the Socket.IO framings (this endpoint is %s)", c.ep.Framing)
		}
		return nil
	}
	if c.kind != "" {
		return fmt.Errorf("resume.kind %q: the Socket.IO framings resume with none (the client does not speak connection state recovery)", c.kind)
	}
	c.event = c.ep.Event
	if c.event == "" {
		c.event = defaultEvent
	}
	_, err := sioURL(c.fixedURL[0], sioTransport(c.ep.Framing))
	return err
}
