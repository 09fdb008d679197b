package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// stream is how a held websocket connection is read past its upgrade.
var stream = &transports.Stream{
	Handshake: transports.HandshakeHTTPHead,
	NewParser: func([]byte) (transports.StreamParser, error) { return NewStreamParser(), nil },
}

// NewStreamParser returns a parser of the server's frames after the
// upgrade; it writes its replies (pongs, close) to the env's Out.
func NewStreamParser() transports.StreamParser { return &wsParser{} }

// StreamHooks take a stream's messages in place of pushbench's message
// decoding, for a server whose messages are documents of its own: Message
// gets each text or binary message, reassembled (valid during the call).
// Limit, when above 0, is the longest message read, as gorilla's
// SetReadLimit: past it the parser answers close 1009 and fails with
// gorilla's ErrReadLimit.
type StreamHooks struct {
	Message func(msg []byte, e *transports.StreamEnv) error
	Limit   int64
}

// NewStreamParserWith is NewStreamParser with its messages given to h.
func NewStreamParserWith(h StreamHooks) transports.StreamParser { return &wsParser{hooks: &h} }

// wsParser reads the server side of a WebSocket as the websocket
// transport's client (gorilla/websocket, no compression, no read limit)
// does: the same frame checks in the same order with the same messages (a
// protocol error is answered with close 1002 naming it), control frames
// between and inside fragmented messages, a ping answered with a masked
// pong carrying its payload, a close answered with a close echoing its code,
// and every text or binary message, reassembled from its fragments, given
// to wire.Decode.
type wsParser struct {
	hdr     [10]byte
	hdrN    uint8
	op      uint8
	fin     bool
	inFrame bool         // the header is read; left payload bytes follow
	inMsg   bool         // a data message's final frame has not arrived (gorilla: !readFinal)
	binMsg  bool         // the data message is binary: wire's raw form, not JSON
	left    uint64       // payload bytes left in the frame
	msgLen  int64        // bytes of the message so far (gorilla's readLength)
	msg     []byte       // the message while it spans frames or reads
	ctl     []byte       // a control frame's payload while it spans reads
	hooks   *StreamHooks // nil: pushbench's messages
}

const (
	wsContinuation = 0
	wsText         = 1
	wsBinary       = 2
	wsClose        = 8
	wsPing         = 9
	wsPong         = 10
)

// errWSUnexpectedEOF is gorilla's error for a connection that ends
// (anywhere: between frames too).
var errWSUnexpectedEOF = &gws.CloseError{Code: gws.CloseAbnormalClosure, Text: io.ErrUnexpectedEOF.Error()}

// Feed implements transports.StreamParser.
func (p *wsParser) Feed(b []byte, e *transports.StreamEnv) error {
	for len(b) > 0 {
		if !p.inFrame {
			var err error
			if b, err = p.header(b, e); err != nil || !p.inFrame {
				return err
			}
			if p.left == 0 {
				if err := p.frameDone(nil, e); err != nil {
					return err
				}
				continue
			}
		}
		k := uint64(len(b))
		if k > p.left {
			k = p.left
		}
		chunk := b[:k]
		b = b[k:]
		p.left -= k
		whole := p.left == 0
		switch {
		case p.op >= wsClose: // control: at most 125 bytes
			if whole && p.ctl == nil {
				if err := p.frameDone(chunk, e); err != nil {
					return err
				}
				continue
			}
			p.ctl = append(p.ctl, chunk...)
			if whole {
				payload := p.ctl
				p.ctl = nil
				if err := p.frameDone(payload, e); err != nil {
					return err
				}
			}
		default: // data
			if whole && p.fin && p.msg == nil {
				if err := p.frameDone(chunk, e); err != nil {
					return err
				}
				continue
			}
			p.msg = append(p.msg, chunk...)
			if whole {
				if err := p.frameDone(nil, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// header reads a frame header from b (or what of it b holds) and returns
// the rest of b.
func (p *wsParser) header(b []byte, e *transports.StreamEnv) ([]byte, error) {
	need := 2
	if p.hdrN >= 2 {
		need = wsHeaderLen(p.hdr[1])
	}
	for int(p.hdrN) < need {
		if len(b) == 0 {
			return b, nil
		}
		k := copy(p.hdr[p.hdrN:need], b)
		p.hdrN += uint8(k)
		b = b[k:]
		if p.hdrN == 2 && need == 2 {
			if err := p.check(e); err != nil {
				return b, err
			}
			need = wsHeaderLen(p.hdr[1])
		}
	}
	n := uint64(p.hdr[1] & 0x7f)
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(p.hdr[2:]))
	case 127:
		n = binary.BigEndian.Uint64(p.hdr[2:])
		if int64(n) < 0 {
			return b, p.fail(gws.ErrReadLimit)
		}
	}
	p.hdrN, p.left, p.inFrame = 0, n, true
	if p.op < wsClose {
		p.msgLen += int64(n)
		if p.msgLen < 0 {
			return b, p.fail(gws.ErrReadLimit)
		}
		if p.hooks != nil && p.hooks.Limit > 0 && p.msgLen > p.hooks.Limit {
			_ = wsWrite(e.Out, wsClose, gws.FormatCloseMessage(gws.CloseMessageTooBig, ""))
			return b, p.fail(gws.ErrReadLimit)
		}
	}
	return b, nil
}

func wsHeaderLen(b1 byte) int {
	switch b1 & 0x7f {
	case 126:
		return 4
	case 127:
		return 10
	}
	return 2
}

// check applies gorilla's checks of a frame's first two bytes.
func (p *wsParser) check(e *transports.StreamEnv) error {
	b0, b1 := p.hdr[0], p.hdr[1]
	p.op, p.fin = b0&0xf, b0&0x80 != 0
	var problems []string
	if b0&0x40 != 0 {
		problems = append(problems, "RSV1 set")
	}
	if b0&0x20 != 0 {
		problems = append(problems, "RSV2 set")
	}
	if b0&0x10 != 0 {
		problems = append(problems, "RSV3 set")
	}
	switch p.op {
	case wsClose, wsPing, wsPong:
		if b1&0x7f > 125 {
			problems = append(problems, "len > 125 for control")
		}
		if !p.fin {
			problems = append(problems, "FIN not set on control")
		}
	case wsText, wsBinary:
		if p.inMsg {
			problems = append(problems, "data before FIN")
		}
		p.inMsg = !p.fin
		p.binMsg = p.op == wsBinary
		p.msgLen = 0
	case wsContinuation:
		if !p.inMsg {
			problems = append(problems, "continuation after FIN")
		}
		p.inMsg = !p.fin
	default:
		problems = append(problems, "bad opcode "+strconv.Itoa(int(p.op)))
	}
	if b1&0x80 != 0 {
		problems = append(problems, "bad MASK")
	}
	if len(problems) > 0 {
		return p.protocolError(strings.Join(problems, ", "), e)
	}
	return nil
}

// frameDone handles a whole frame: payload is a control frame's payload or
// a whole single-frame message (nil: the message is in p.msg).
func (p *wsParser) frameDone(payload []byte, e *transports.StreamEnv) error {
	p.inFrame = false
	switch p.op {
	case wsPong:
		return nil
	case wsPing:
		if err := wsWrite(e.Out, wsPong, payload); err != nil {
			return fmt.Errorf("failed to read frame: failed to answer ping: %w", err)
		}
		return nil
	case wsClose:
		code, text := gws.CloseNoStatusReceived, ""
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
			if !validCloseCode(code) {
				return p.protocolError("bad close code "+strconv.Itoa(code), e)
			}
			text = string(payload[2:])
			if !utf8.ValidString(text) {
				return p.protocolError("invalid utf8 payload in close frame", e)
			}
		}
		_ = wsWrite(e.Out, wsClose, gws.FormatCloseMessage(code, ""))
		return p.fail(&gws.CloseError{Code: code, Text: text})
	}
	if p.inMsg {
		return nil // more fragments follow
	}
	msg := payload
	if msg == nil {
		msg = p.msg
	}
	p.msg = nil
	if p.hooks != nil {
		return p.hooks.Message(msg, e)
	}
	var f wire.Frame
	var err error
	if p.binMsg { // a binary payload's raw form, as the websocket client reads it
		f, err = wire.DecodeBinary(msg)
	} else {
		f, err = wire.Decode(msg)
	}
	if err != nil {
		return err
	}
	if f.Gap {
		e.Sink.Gap(f.First, f.Last)
	} else {
		e.Sink.Message(f.Seq, f.Sent, f.PayloadSize)
	}
	return nil
}

func validCloseCode(code int) bool {
	switch code {
	case gws.CloseNormalClosure, gws.CloseGoingAway, gws.CloseProtocolError, gws.CloseUnsupportedData,
		gws.CloseInvalidFramePayloadData, gws.ClosePolicyViolation, gws.CloseMessageTooBig,
		gws.CloseMandatoryExtension, gws.CloseInternalServerErr, gws.CloseServiceRestart, gws.CloseTryAgainLater:
		return true
	}
	return code >= 3000 && code <= 4999
}

// protocolError answers close 1002 naming the problem, as gorilla does.
func (p *wsParser) protocolError(msg string, e *transports.StreamEnv) error {
	data := gws.FormatCloseMessage(gws.CloseProtocolError, msg)
	if len(data) > 125 {
		data = data[:125]
	}
	_ = wsWrite(e.Out, wsClose, data)
	return p.fail(errors.New("websocket: " + msg))
}

// fail describes err as the websocket client does: reading a frame, or a
// message's fragments.
func (p *wsParser) fail(err error) error {
	if p.msg != nil || (p.inFrame && p.op < wsClose) {
		return fmt.Errorf("failed to read message: %w", err)
	}
	return fmt.Errorf("failed to read frame: %w", err)
}

// End implements transports.StreamParser.
func (p *wsParser) End(err error, _ *transports.StreamEnv) error {
	if err == io.EOF {
		err = errWSUnexpectedEOF
	}
	err = p.fail(err)
	p.msg, p.ctl = nil, nil
	return err
}

// wsWrite writes one masked control frame (a client's frames are masked).
func wsWrite(w io.Writer, op byte, payload []byte) error {
	var buf [6 + 125]byte
	n := min(len(payload), 125)
	buf[0], buf[1] = 0x80|op, 0x80|byte(n)
	key := rand.Uint32()
	binary.LittleEndian.PutUint32(buf[2:6], key)
	for i := 0; i < n; i++ {
		buf[6+i] = payload[i] ^ buf[2+i%4]
	}
	_, err := w.Write(buf[:6+n])
	return err
}
