package plots

import "github.com/pushbench/pushbench/transports/wire"

// ProtocolMinimum is the fewest bytes a transport's protocol needs on the
// wire to deliver one message of messageBytes (the encoded JSON message)
// to one client: the message plus its unavoidable framing. It counts the
// server-to-client direction only and leaves out TCP/IP headers,
// handshakes and keep-alives:
//
//   - rawtcp: a 4-byte length prefix + the message.
//   - websocket: a server frame header (unmasked, so no masking key) of 2
//     bytes for messages up to 125 bytes, 4 up to 65535, 10 above.
//   - sse, sse-lean: the event "id: N\ndata: <message>\n\n" with a 1-digit
//     id (14 bytes of framing). The HTTP/1.1 chunk framing around it is left
//     out: a server packs several events into one chunk when it flushes a
//     batch, so per event it can cost almost nothing, and a minimum must be
//     a lower bound.
//   - longpoll, shortpoll: the message in the JSON array of a poll
//     response plus its share of the brackets and commas, taken as 1 byte.
//     The HTTP request and response headers are paid per poll, not per
//     message, so they are not part of this minimum; with one message per
//     poll they dominate the measured bytes.
//
// Other transports get the message alone. A binary payload's message is
// not the JSON one where it travels raw: see MessageMinimum.
func ProtocolMinimum(transport string, messageBytes int) float64 {
	m := messageBytes
	switch transport {
	case "rawtcp":
		return float64(4 + m)
	case "websocket":
		switch {
		case m <= 125:
			return float64(2 + m)
		case m <= 65535:
			return float64(4 + m)
		}
		return float64(10 + m)
	case "sse", "sse-lean":
		return float64(len("id: 1\ndata: ") + m + len("\n\n"))
	case "longpoll", "shortpoll":
		return float64(m + 1)
	}
	return float64(m)
}

// BinaryMessageBytes is the bytes of one binary message of payload bytes
// as the transport carries it: raw behind wire's 21-byte header (kind,
// seq, sent, size) over WebSocket binary frames and rawtcp frames; in the
// JSON message {"seq":1,"sent":T,"size":N,"base64":"..."} elsewhere (SSE,
// the polls), the payload base64-encoded: 4 bytes per 3, padded, so about
// 4/3 of the payload, plus the envelope (wire.BinaryJSONLen; seq 1, a
// 19-digit sent, as MessageBytes is counted).
func BinaryMessageBytes(transport string, payload int) int {
	switch transport {
	case "rawtcp", "websocket":
		return wire.BinaryHeaderSize + payload
	}
	return wire.BinaryJSONLen(1, 1e18, payload) // 1e18: any 19-digit time
}

// MessageBytes is the bytes of one message of payload bytes as the
// transport carries it: a binary one's (BinaryMessageBytes), or the text
// message's encoded JSON (messageBytes, a record's Params.MessageBytes).
func MessageBytes(transport string, payload int, binary bool, messageBytes int) int {
	if binary {
		return BinaryMessageBytes(transport, payload)
	}
	return messageBytes
}

// MessageMinimum is ProtocolMinimum of that message: the protocol's
// minimum for a text or binary payload (a record's Params.Payload, Binary
// and MessageBytes).
func MessageMinimum(transport string, payload int, binary bool, messageBytes int) float64 {
	return ProtocolMinimum(transport, MessageBytes(transport, payload, binary, messageBytes))
}
