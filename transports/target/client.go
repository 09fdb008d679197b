package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/sselean"
)

// MaxDocumentBytes bounds one document (a poll answer's body, a WebSocket
// message, an SSE event's data): the bound sselean puts on an event, so
// the largest pushbench message fits in any framing.
const MaxDocumentBytes = sselean.MaxEventBytes

// SkipObserver is an optional Receiver extension: a client calls Skipped
// with each document in which the endpoint's message pointer does not
// resolve (a connect reply, a ping), so a check can tell documents that
// arrive from messages found in them. doc is valid only during the call.
type SkipObserver interface {
	Skipped(doc []byte)
}

// Client is one virtual client of a target's endpoint. It keeps its own
// resume state (the server's cursor: the last event ID, the response
// headers to send back, or the values its URL template resumes with)
// across its Run calls. Run is called from one goroutine at a time;
// Documents may be called from any.
type Client struct {
	ep    scenarios.Endpoint
	opts  transports.ClientOptions
	vars  scenarios.TemplateVars
	kind  string
	empty []int
	dec   *Decoder

	// For every kind but url the URL and headers do not change with the
	// cursor: expanded once, [0] from now, [1] resuming.
	fixedURL [2]*url.URL
	fixedHdr [2]http.Header

	cursorPtr    Pointer
	hasCursorPtr bool
	// Messages a resumed connection finds inside another document
	// (ep.Recovered): the array's pointer, and a decoder and cursor
	// pointer for each of its envelopes.
	recArray  Pointer
	recDec    *Decoder
	recCursor Pointer
	hasRecCur bool
	captures  []capture
	sendBack  []sendBack

	lastID    []byte // last-event-id: WHATWG's last event ID string
	cursor    []byte // url: the value at cursorPtr in the last document with messages
	hasCursor bool

	docs, skipped atomic.Int64
	body          []byte         // poll answer or WebSocket message, reused
	sink          streamReceiver // the reactor's sink, during one event (stream.go)

	// Socket.IO framings: the event whose argument is the document, and
	// scratch space reused across packets (validate's stack, a string
	// argument's decoded contents).
	event    string
	sioStack []byte
	sioDoc   []byte
}

type capture struct {
	name  string
	ptr   Pointer
	value []byte
	set   bool
}

// sendBack is a response header kept and sent back as a request header.
type sendBack struct {
	resp, req string
	value     string
}

// NewClient returns a client of the target endpoint ep. vars are the
// target's template values (Base, Host, WSBase, Channel, Key); the client
// sets Resuming, Cursor and Captured itself when it expands ep's URL and
// headers for each connection or request. It dials through opts.Dial
// (never a proxy) and verifies https and wss with opts.TLS. Errors name
// the endpoint's field and what is allowed.
func NewClient(ep scenarios.Endpoint, vars scenarios.TemplateVars, opts transports.ClientOptions) (transports.Client, error) {
	c, err := newClient(ep, vars, opts)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newClient(ep scenarios.Endpoint, vars scenarios.TemplateVars, opts transports.ClientOptions) (*Client, error) {
	c := &Client{ep: ep, opts: opts.WithDefaults(), vars: vars, kind: ep.Resume.Kind}
	if c.kind == "none" {
		c.kind = ""
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("target endpoint %s: %w", wireName(ep), err)
	}
	return c, nil
}

func wireName(ep scenarios.Endpoint) string {
	if ep.Framing == "" {
		return "(no framing)"
	}
	return ep.Framing
}

// check validates the endpoint and prepares what Run needs.
func (c *Client) check() error {
	ep := c.ep
	if !slices.Contains(scenarios.Framings, ep.Framing) {
		return fmt.Errorf("framing %q: one of %q", ep.Framing, scenarios.Framings)
	}
	if !slices.Contains(scenarios.ResumeKinds, c.kind) {
		return fmt.Errorf("resume.kind %q: one of %q", ep.Resume.Kind, scenarios.ResumeKinds)
	}
	push := ep.Framing == "sse" || ep.Framing == "websocket" || scenarios.SocketIO(ep.Framing)
	if push && (c.opts.HTTP2 || c.opts.Shared != nil) {
		return fmt.Errorf("framing %s: HTTP/2 is not supported by the target client (only longpoll and shortpoll run over HTTP/2)", ep.Framing)
	}
	if c.kind == "last-event-id" && ep.Framing != "sse" {
		return fmt.Errorf("resume.kind last-event-id: for framing sse only (this endpoint is %s): use url or headers", ep.Framing)
	}
	var err error
	if c.dec, err = NewDecoder(ep.Message, ep.Array); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if err := c.checkResume(); err != nil {
		return err
	}
	if rc := ep.Recovered; rc != nil {
		if c.recArray, err = ParsePointer(rc.Array); err != nil {
			return fmt.Errorf("recovered.array: %w", err)
		}
		if c.recDec, err = NewDecoder(rc.Message, false); err != nil {
			return fmt.Errorf("recovered.message: %w", err)
		}
		if rc.Cursor != "" {
			if c.recCursor, err = ParsePointer(rc.Cursor); err != nil {
				return fmt.Errorf("recovered.cursor: %w", err)
			}
			c.hasRecCur = true
		}
	}
	if err := c.checkEmpty(); err != nil {
		return err
	}
	if err := c.checkTemplates(); err != nil {
		return err
	}
	return c.checkSocketIO()
}

func (c *Client) checkResume() error {
	r := c.ep.Resume
	if c.kind != "url" && (r.Cursor != "" || len(r.Capture) > 0) {
		return fmt.Errorf("resume.cursor and resume.capture: only for resume.kind url (this endpoint's is %q)", c.kind)
	}
	if c.kind != "headers" && len(r.Headers) > 0 {
		return fmt.Errorf("resume.headers: only for resume.kind headers (this endpoint's is %q)", c.kind)
	}
	switch c.kind {
	case "headers":
		if len(r.Headers) == 0 {
			return errors.New("resume.headers: name the response headers to send back, e.g. Last-Modified: If-Modified-Since")
		}
		for _, resp := range sortedKeys(r.Headers) {
			req := r.Headers[resp]
			if !headerName(resp) || !headerName(req) {
				return fmt.Errorf("resume.headers %q: %q: header names are letters, digits and -", resp, req)
			}
			c.sendBack = append(c.sendBack, sendBack{resp: http.CanonicalHeaderKey(resp), req: http.CanonicalHeaderKey(req)})
		}
	case "url":
		if r.Cursor == "" && len(r.Capture) == 0 {
			return errors.New("resume.cursor: give the JSON Pointer to the server's cursor in a message's document (or resume.capture), or choose another resume.kind")
		}
		if r.Cursor != "" {
			p, err := ParsePointer(r.Cursor)
			if err != nil {
				return fmt.Errorf("resume.cursor: %w", err)
			}
			c.cursorPtr, c.hasCursorPtr = p, true
		}
		for _, name := range sortedKeys(r.Capture) {
			p, err := ParsePointer(r.Capture[name])
			if err != nil {
				return fmt.Errorf("resume.capture.%s: %w", name, err)
			}
			c.captures = append(c.captures, capture{name: name, ptr: p})
		}
	}
	return nil
}

func (c *Client) checkEmpty() error {
	c.empty = c.ep.Empty
	switch c.ep.Framing {
	case "longpoll":
		if len(c.empty) == 0 {
			c.empty = []int{204, 304, 408}
		}
	case "shortpoll":
		if len(c.empty) == 0 {
			c.empty = []int{204, 304}
		}
	default:
		if len(c.empty) > 0 {
			return fmt.Errorf("empty: only for longpoll and shortpoll (this endpoint is %s)", c.ep.Framing)
		}
	}
	for _, s := range c.empty {
		if s < 100 || s > 599 || s == http.StatusOK {
			return fmt.Errorf("empty: status %d: a status from 100 to 599 other than 200 (200 carries a document)", s)
		}
	}
	return nil
}

// checkTemplates expands the URL and headers from now and resuming, and
// checks what they give.
func (c *Client) checkTemplates() error {
	for i, resuming := range []bool{false, true} {
		u, h, err := c.expand(resuming, "1", "a")
		if err != nil {
			return err
		}
		if err := c.checkURL(u, h); err != nil {
			return err
		}
		c.fixedURL[i], c.fixedHdr[i] = u, h
	}
	if c.kind == "url" {
		u1, h1, _ := c.expand(true, "1", "a")
		u2, h2, _ := c.expand(true, "2", "b")
		if u1.String() == u2.String() && fmt.Sprint(h1) == fmt.Sprint(h2) {
			return errors.New("resume.kind url: neither url nor headers use {{.Cursor}} or {{.Captured.NAME}}, so a reconnect cannot resume; place them (inside {{if .Resuming}})")
		}
	}
	return nil
}

func (c *Client) checkURL(u *url.URL, h http.Header) error {
	ws := c.ep.Framing == "websocket" || c.ep.Framing == "socketio-websocket"
	want := []string{"http", "https"}
	if ws {
		want = []string{"ws", "wss"}
	}
	if !slices.Contains(want, u.Scheme) || u.Host == "" {
		hint := "{{.Base}}"
		if ws {
			hint = "{{.WSBase}}"
		}
		return fmt.Errorf("url %q: a %s:// or %s:// URL with a host is required for framing %s (start it with %s)", u, want[0], want[1], c.ep.Framing, hint)
	}
	if (u.Scheme == "https" || u.Scheme == "wss") && c.opts.TLS == nil {
		return fmt.Errorf("url %q is TLS but no TLS configuration was given: give the server's certificate", u)
	}
	if ws {
		for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions"} {
			if _, ok := h[k]; ok {
				return fmt.Errorf("headers.%s: the WebSocket handshake sets it; remove it", k)
			}
		}
	}
	return nil
}

// expand executes the URL and header templates.
func (c *Client) expand(resuming bool, cursor, sample string) (*url.URL, http.Header, error) {
	v := c.vars
	v.Resuming = resuming
	v.Cursor = ""
	v.Captured = make(map[string]string, len(c.captures))
	for _, cp := range c.captures {
		v.Captured[cp.name] = ""
	}
	if resuming && c.kind == "url" {
		v.Cursor = cursor
		for _, cp := range c.captures {
			v.Captured[cp.name] = sample
		}
	}
	return c.expandVars(v)
}

func (c *Client) expandVars(v scenarios.TemplateVars) (*url.URL, http.Header, error) {
	raw, err := scenarios.Expand(c.ep.URL, v)
	if err != nil {
		return nil, nil, fmt.Errorf("url template %q: %w", c.ep.URL, err)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("url template %q gives %q: %w", c.ep.URL, raw, err)
	}
	h := make(http.Header, len(c.ep.Headers)+4)
	for _, name := range sortedKeys(c.ep.Headers) {
		if !headerName(name) {
			return nil, nil, fmt.Errorf("headers %q: header names are letters, digits and -", name)
		}
		val, err := scenarios.Expand(c.ep.Headers[name], v)
		if err != nil {
			return nil, nil, fmt.Errorf("headers.%s template: %w", name, err)
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			return nil, nil, fmt.Errorf("headers.%s: the value has a line break or NUL", name)
		}
		h.Set(name, val)
	}
	return u, h, nil
}

// resuming says whether this connection or request resumes: the client
// has a cursor of the server's in its resume kind.
func (c *Client) resuming() bool {
	switch c.kind {
	case "last-event-id":
		return len(c.lastID) > 0 // WHATWG sends no empty Last-Event-ID
	case "headers":
		for _, s := range c.sendBack {
			if s.value != "" {
				return true
			}
		}
	case "url":
		if c.hasCursorPtr {
			return c.hasCursor
		}
		for _, cp := range c.captures {
			if cp.set {
				return true
			}
		}
	}
	return false
}

// forget drops the resume state: the next connection starts from now.
func (c *Client) forget() {
	c.lastID = c.lastID[:0]
	c.cursor, c.hasCursor = c.cursor[:0], false
	for i := range c.captures {
		c.captures[i].value, c.captures[i].set = c.captures[i].value[:0], false
	}
	for i := range c.sendBack {
		c.sendBack[i].value = ""
	}
}

// request returns the URL and headers of the next connection or request,
// with the resume state of the client's kind.
func (c *Client) request() (*url.URL, http.Header, error) {
	resuming := c.resuming()
	var u *url.URL
	var h http.Header
	if c.kind == "url" {
		v := c.vars
		v.Resuming = resuming
		v.Captured = make(map[string]string, len(c.captures))
		for _, cp := range c.captures {
			v.Captured[cp.name] = string(cp.value)
		}
		if resuming {
			v.Cursor = string(c.cursor)
		}
		var err error
		if u, h, err = c.expandVars(v); err != nil {
			return nil, nil, err
		}
	} else {
		i := 0
		if resuming {
			i = 1
		}
		u, h = c.fixedURL[i], c.fixedHdr[i].Clone()
	}
	if !resuming {
		return u, h, nil
	}
	switch c.kind {
	case "last-event-id":
		h.Set("Last-Event-ID", string(c.lastID))
	case "headers":
		for _, s := range c.sendBack {
			if s.value != "" {
				h.Set(s.req, s.value)
			}
		}
	}
	return u, h, nil
}

// keep takes the response headers a headers resume sends back.
func (c *Client) keep(h http.Header) {
	for i, s := range c.sendBack {
		if v := h.Get(s.resp); v != "" {
			c.sendBack[i].value = v
		}
	}
}

// Run connects (resuming with the client's own saved server cursor when
// since >= 0 and it has one; from now otherwise, and then it forgets the
// cursor) and reports what arrives to r until ctx is done (nil) or the
// connection ends (the reason). Polls ask again until then.
func (c *Client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	if since < 0 {
		c.forget()
	}
	switch c.ep.Framing {
	case "sse":
		return c.runSSE(ctx, r)
	case "websocket":
		return c.runWebSocket(ctx, r)
	case "socketio-websocket":
		return c.runSocketIOWebSocket(ctx, r)
	case "socketio-polling":
		return c.runSocketIOPolling(ctx, r)
	default:
		return c.runPoll(ctx, r, c.ep.Framing == "longpoll")
	}
}

// Documents returns how many documents arrived and how many of those held
// no message (the message pointer did not resolve), over the client's
// life.
func (c *Client) Documents() (total, skipped int64) {
	return c.docs.Load(), c.skipped.Load()
}

// document reports the messages in one document and updates the resume
// state from it; it returns how many messages it held.
func (c *Client) document(doc []byte, r transports.Receiver, obs SkipObserver) (int, error) {
	c.docs.Add(1)
	found, err := c.dec.Reset(doc)
	if err != nil {
		return 0, err
	}
	for i := range c.captures {
		cp := &c.captures[i]
		if raw, ok := c.dec.Lookup(cp.ptr); ok {
			cp.value, cp.set = appendValue(cp.value[:0], raw), true
		}
	}
	if !found {
		n, err := c.recovered(r)
		if err != nil || n > 0 {
			return n, err
		}
		c.skipped.Add(1)
		if obs != nil {
			obs.Skipped(doc)
		}
		return 0, nil
	}
	n, err := deliver(c.dec, r)
	if err != nil {
		return n, err
	}
	// The cursor comes from documents that hold messages, or an empty
	// array of them (a poll's "nothing after N"), never from others (a
	// connect reply's offset is not the client's).
	if (n > 0 || c.ep.Array) && c.hasCursorPtr {
		if raw, ok := c.dec.Lookup(c.cursorPtr); ok {
			c.cursor, c.hasCursor = appendValue(c.cursor[:0], raw), true
		}
	}
	return n, nil
}

// deliver reports every message dec holds for its current document and
// says how many.
func deliver(dec *Decoder, r transports.Receiver) (int, error) {
	n := 0
	for {
		m, more, err := dec.Next()
		if err != nil || !more {
			return n, err
		}
		r.Message(m.Seq, m.Sent, m.PayloadSize)
		n++
	}
}

// recovered reports the messages inside the document's recovered array
// (ep.Recovered), in order, and takes the cursor from the last of them.
// A resumed connection gets it once, so this path may allocate.
func (c *Client) recovered(r transports.Receiver) (int, error) {
	if c.recDec == nil {
		return 0, nil
	}
	raw, ok := c.dec.Lookup(c.recArray)
	if !ok {
		return 0, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return 0, &MessageError{Pointer: c.ep.Recovered.Array, Err: ErrNotArray, Value: string(raw[:min(len(raw), 40)])}
	}
	n := 0
	for _, e := range elems {
		found, err := c.recDec.Reset(e)
		if err != nil {
			return n, err
		}
		if !found {
			continue
		}
		k, err := deliver(c.recDec, r)
		if n += k; err != nil {
			return n, err
		}
		if c.hasRecCur {
			if v, ok := c.recDec.Lookup(c.recCursor); ok {
				c.cursor, c.hasCursor = appendValue(c.cursor[:0], v), true
			}
		}
	}
	return n, nil
}

// appendValue appends a JSON value as a template sees it: a string's
// decoded contents, any other value's JSON text.
func appendValue(dst, raw []byte) []byte {
	if raw[0] == '"' {
		return appendDecoded(dst, raw[1:len(raw)-1])
	}
	return append(dst, raw...)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// headerName says whether s is a plain HTTP header name.
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}
