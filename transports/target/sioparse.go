package target

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pushbench/pushbench/transports/wire"
)

// ErrNotSocketIO: a packet of a Socket.IO endpoint is not an Engine.IO v4
// text packet, or its message is not a Socket.IO v5 packet the client
// understands (a binary event, another namespace's packet).
var ErrNotSocketIO = errors.New("not an Engine.IO v4 / Socket.IO v5 packet")

// PacketError is a Socket.IO endpoint's packet the client cannot take; it
// wraps ErrNotSocketIO.
type PacketError struct {
	Packet string // the packet, quoted and cut to 40 bytes
	Reason string
}

func (e *PacketError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrNotSocketIO, e.Reason, e.Packet)
}

// Unwrap returns ErrNotSocketIO.
func (e *PacketError) Unwrap() error { return ErrNotSocketIO }

func packetError(p []byte, format string, a ...any) error {
	return &PacketError{Packet: wire.Quote(string(p[:min(len(p), wire.QuoteMax+1)])), Reason: fmt.Sprintf(format, a...)}
}

// sioKind is what one Engine.IO packet is: an Engine.IO packet of its own,
// or a message carrying a Socket.IO packet of the main namespace.
type sioKind uint8

const (
	eioOpen         sioKind = iota + 1 // 0{"sid":...,"pingInterval":...,"pingTimeout":...}
	eioClose                           // 1
	eioPing                            // 2, data the probe text
	eioPong                            // 3
	eioUpgrade                         // 5
	eioNoop                            // 6
	sioConnect                         // 40, data the server's {"sid":...}
	sioDisconnect                      // 41
	sioEvent                           // 42, data the arguments array (event name first)
	sioAck                             // 43
	sioConnectError                    // 44, data the server's {"message":...}
)

// sioPacket is one decoded packet: its kind, the data after its header
// (a slice of the packet), and the acknowledgement id an event or ack
// carries (-1: none).
type sioPacket struct {
	kind sioKind
	data []byte
	ack  int64
}

// maxAckDigits bounds an acknowledgement id: Socket.IO's ids are
// JavaScript numbers, exact below 2^53 (16 digits).
const maxAckDigits = 15

// eioSeparator separates the packets of a polling answer (and of a POST).
const eioSeparator = 0x1e

// parsePacket decodes one Engine.IO v4 text packet and, when it is a
// message, the Socket.IO v5 packet in it:
//
//	<engine.io type>[<socket.io type>[<namespace>,][<ack id>]]<data>
//
// The data of open, connect, event, ack and connect error packets is
// checked to be the JSON their kind carries (an object, or an array
// whose first element is the event's name); stack is validate's scratch
// space, returned grown. Binary packets (Engine.IO's b prefix, Socket.IO's
// binary event and ack), packets of another namespace than "/" and
// unknown types are errors wrapping ErrNotSocketIO. It does not allocate.
func parsePacket(p []byte, stack []byte) (sioPacket, []byte, error) {
	pk := sioPacket{ack: -1}
	if len(p) == 0 {
		return pk, stack, packetError(p, "an empty packet")
	}
	switch p[0] {
	case '0':
		pk.kind = eioOpen
	case '1':
		pk.kind = eioClose
	case '2':
		pk.kind = eioPing
	case '3':
		pk.kind = eioPong
	case '4':
		return parseMessage(p, stack)
	case '5':
		pk.kind = eioUpgrade
	case '6':
		pk.kind = eioNoop
	case 'b':
		return pk, stack, packetError(p, "a binary packet (the client takes text only)")
	default:
		return pk, stack, packetError(p, "Engine.IO packet type %q unknown", p[0])
	}
	pk.data = p[1:]
	if pk.kind != eioOpen {
		return pk, stack, nil
	}
	var err error
	stack, err = jsonOf(p, pk.data, '{', stack)
	return pk, stack, err
}

// parseMessage decodes the Socket.IO packet in the Engine.IO message p.
func parseMessage(p []byte, stack []byte) (sioPacket, []byte, error) {
	pk := sioPacket{ack: -1}
	if len(p) < 2 {
		return pk, stack, packetError(p, "an Engine.IO message without a Socket.IO packet type")
	}
	var want byte // the JSON the data must be: '{', '[', or 0 for none
	switch p[1] {
	case '0':
		pk.kind, want = sioConnect, '{'
	case '1':
		pk.kind = sioDisconnect
	case '2':
		pk.kind, want = sioEvent, '['
	case '3':
		pk.kind, want = sioAck, '['
	case '4':
		pk.kind, want = sioConnectError, '{'
	case '5', '6':
		return pk, stack, packetError(p, "a Socket.IO binary event or ack (the client takes text only)")
	default:
		return pk, stack, packetError(p, "Socket.IO packet type %q unknown", p[1])
	}
	i := 2
	if i < len(p) && p[i] == '/' {
		end := bytes.IndexByte(p[i:], ',')
		nsp := p[i:]
		if end >= 0 {
			nsp = p[i : i+end]
		}
		if len(nsp) != 1 { // "/" written out is still the main namespace
			return pk, stack, packetError(p, "a packet of namespace %q (the client joins only /)", nsp)
		}
		if end < 0 {
			i = len(p)
		} else {
			i += end + 1
		}
	}
	if pk.kind == sioEvent || pk.kind == sioAck {
		start := i
		var id int64
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			if i-start == maxAckDigits {
				return pk, stack, packetError(p, "an acknowledgement id of more than %d digits", maxAckDigits)
			}
			id = id*10 + int64(p[i]-'0')
			i++
		}
		if i > start {
			pk.ack = id
		}
	}
	pk.data = p[i:]
	switch {
	case want == 0:
		if len(pk.data) > 0 {
			return pk, stack, packetError(p, "a disconnect packet with data")
		}
		return pk, stack, nil
	case len(pk.data) == 0 && pk.kind == sioConnect:
		return pk, stack, nil // Socket.IO v4's connect reply, without the sid
	}
	var err error
	if stack, err = jsonOf(p, pk.data, want, stack); err != nil {
		return pk, stack, err
	}
	if pk.kind == sioEvent {
		if at := element(pk.data, 0, 0); at < 0 || pk.data[at] != '"' {
			return pk, stack, packetError(p, "an event whose arguments do not start with its name")
		}
	}
	return pk, stack, nil
}

// jsonOf checks that data, a slice of packet p, is one JSON value whose
// first byte is want ('{' or '['), without white space around it.
func jsonOf(p, data []byte, want byte, stack []byte) ([]byte, error) {
	var err error
	if stack, err = validate(data, stack); err != nil {
		return stack, packetError(p, "data not JSON (%v)", err)
	}
	if data[0] != want || isSpace(data[len(data)-1]) {
		kind := "an object"
		if want == '[' {
			kind = "an array"
		}
		return stack, packetError(p, "data not %s", kind)
	}
	return stack, nil
}

// eventDocument returns the document an event packet's data (a validated
// array whose first element is a string) holds for event: its second
// element, a string's decoded contents (appended to buf[:0]) or any other
// value's JSON text. named is false when the event has another name;
// doc is empty when it has no argument. It does not allocate once buf
// holds the largest document.
func eventDocument(data []byte, event string, buf []byte) (doc []byte, named bool, grown []byte) {
	at := element(data, 0, 0)
	if !nameIs(data[at+1:stringEnd(data, at)-1], event) {
		return nil, false, buf
	}
	at = element(data, 0, 1)
	if at < 0 {
		return nil, true, buf
	}
	end := valueEnd(data, at)
	if data[at] != '"' {
		return data[at:end], true, buf
	}
	buf = appendDecoded(buf[:0], data[at+1:end-1])
	return buf, true, buf
}

// eioHandshake is what an open packet says: the session id and the
// heartbeat, in milliseconds (0 when absent).
type eioHandshake struct {
	sid                       []byte
	pingInterval, pingTimeout int64
}

// parseHandshake reads the open packet's validated JSON object into h,
// reusing h.sid. The session id is required.
func parseHandshake(p, data []byte, h *eioHandshake) error {
	h.sid, h.pingInterval, h.pingTimeout = h.sid[:0], 0, 0
	hasSID := false
	var bad []byte
	members(data, 0, func(name []byte, start, end int) bool {
		v := data[start:end]
		switch {
		case nameIs(name, "sid"):
			if v[0] != '"' || end-start < 3 {
				bad = name
				return false
			}
			h.sid, hasSID = appendDecoded(h.sid[:0], v[1:len(v)-1]), true
		case nameIs(name, "pingInterval"), nameIs(name, "pingTimeout"):
			n, ok := parseInt(v)
			if !ok || n < 0 {
				bad = name
				return false
			}
			if nameIs(name, "pingInterval") {
				h.pingInterval = n
			} else {
				h.pingTimeout = n
			}
		}
		return true
	})
	switch {
	case bad != nil:
		return packetError(p, "open packet's %s is not what Engine.IO sends", bad)
	case !hasSID:
		return packetError(p, "open packet without a sid")
	}
	return nil
}
