package plots

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
// Other transports get the message alone.
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
