package sselean

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// client is one lean SSE virtual client. Run is not safe for concurrent use.
type client struct {
	opts transports.ClientOptions
	url  string
}

func newClient(opts transports.ClientOptions) *client {
	opts = opts.WithDefaults()
	return &client{opts: opts, url: strings.TrimRight(opts.BaseURL, "/") + "/sse-lean"}
}

// Run opens the stream and parses events until ctx is done or the stream
// ends. A stream silent for ReadTimeout is treated as dead.
func (c *client) Run(ctx context.Context, since int64, r transports.Receiver) error {
	tr := transports.HTTPTransport(c.opts)
	defer tr.CloseIdleConnections()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.url, nil)
	if err != nil {
		return fmt.Errorf("failed to build SSE request: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if since >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(since, 10))
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("failed to open SSE stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("SSE stream answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	r.Connected()
	idle := time.AfterFunc(c.opts.ReadTimeout, cancel)
	defer idle.Stop()
	p := Parser{OnEvent: func(event, data []byte) error {
		return dispatch(event, data, r)
	}}
	err = p.Parse(resp.Body, func() { idle.Reset(c.opts.ReadTimeout) })
	switch {
	case ctx.Err() != nil:
		return nil
	case rctx.Err() != nil:
		return fmt.Errorf("SSE stream silent for %v: %w", c.opts.ReadTimeout, context.DeadlineExceeded)
	case err == nil:
		return errors.New("SSE stream ended by the server")
	}
	return fmt.Errorf("failed to read SSE stream: %w", err)
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

// Parser is a WHATWG-conformant event-stream parser that does not allocate
// per event. Fields other than event and data are ignored (the message
// carries its own seq). Not safe for concurrent use.
type Parser struct {
	// OnEvent is called per dispatched event with its type ("" for
	// message) and data; the slices are reused after it returns.
	OnEvent func(event, data []byte) error
	line    []byte
	data    []byte
	event   []byte
	hasData bool
}

// Parse reads events from rd until EOF (returns nil) or an error. onLine is
// called after every line read (the caller renews its idle deadline there).
func (p *Parser) Parse(rd io.Reader, onLine func()) error {
	br := bufio.NewReaderSize(rd, 16<<10)
	for {
		line, err := p.readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if onLine != nil {
			onLine()
		}
		if err := p.field(line); err != nil {
			return err
		}
	}
}

// readLine returns one line without its terminator (LF, CRLF or CR-LF
// split across reads; a lone CR is treated as text, as servers here never
// send it).
func (p *Parser) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.line = append(p.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (p *Parser) field(line []byte) error {
	if len(line) == 0 {
		return p.dispatch()
	}
	if line[0] == ':' {
		return nil
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) { // no allocation: compiler-optimised comparison
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.event = append(p.event[:0], value...)
	}
	return nil
}

func (p *Parser) dispatch() error {
	defer func() {
		p.data, p.event, p.hasData = p.data[:0], p.event[:0], false
	}()
	if !p.hasData {
		return nil
	}
	return p.OnEvent(p.event, p.data)
}
