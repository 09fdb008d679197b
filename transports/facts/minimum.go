package facts

// The framing minimums: the fewest bytes a protocol needs on the wire to
// deliver a message of n bytes, as the transport carries it, to one
// client: the message plus its unavoidable framing, server to client only,
// without TCP/IP headers, handshakes and keep-alives.

// RawMinimum: raw TCP's 4-byte length prefix + the message.
func RawMinimum(n int) int { return 4 + n }

// WebSocketMinimum: a server frame header (unmasked, so no masking key)
// of 2 bytes for messages up to 125 bytes, 4 up to 65535, 10 above; binary
// frames carry a binary message raw.
func WebSocketMinimum(n int) int {
	switch {
	case n <= 125:
		return 2 + n
	case n <= 65535:
		return 4 + n
	}
	return 10 + n
}

// SSEMinimum: the event "id: N\ndata: <message>\n\n" with a 1-digit id
// (14 bytes of framing). The HTTP/1.1 chunk framing around it is left out:
// a server packs several events into one chunk when it flushes a batch, so
// per event it can cost almost nothing, and a minimum must be a lower
// bound. A binary payload is base64 in the JSON message.
func SSEMinimum(n int) int {
	return len("id: 1\ndata: ") + n + len("\n\n")
}

// PollMinimum: the message in the JSON array of a poll response plus its
// share of the brackets and commas, taken as 1 byte; a binary payload
// base64 in it. The HTTP request and response headers are paid per poll,
// not per message, so they are not part of this minimum; with one message
// per poll they dominate the measured bytes.
func PollMinimum(n int) int { return n + 1 }
