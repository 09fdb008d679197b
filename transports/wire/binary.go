package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Binary payloads travel in one of two forms, as a real application must
// send them.
//
// Where the protocol carries bytes (WebSocket binary frames, raw TCP
// frames) the payload is sent raw behind a fixed header of
// BinaryHeaderSize (21) bytes:
//
//	kind     1 byte             BinaryKind (0x01)
//	seq      8 bytes big-endian the message's sequence number (>= 0)
//	sent     8 bytes big-endian intended publish time, Unix ns (two's complement)
//	size     4 bytes big-endian the payload's length
//	payload  size bytes
//
// Where it carries text (SSE events, the polls' JSON answers) the payload
// is base64-encoded (standard alphabet, padded) in the JSON message
//
//	{"seq":S,"sent":T,"size":N,"base64":"..."}
//
// N being the decoded length. A client decodes the payload and checks its
// length against what the header or size claims: a short or long frame,
// a bad kind or bad base64 is an error, never a silent pass.
const (
	// BinaryKind is the first byte of a binary message: a JSON message
	// starts with '{', so a raw TCP frame says which form it holds.
	BinaryKind = 0x01
	// BinaryHeaderSize is the bytes in front of a binary message's payload.
	BinaryHeaderSize = 1 + 8 + 8 + 4
	// MaxBinaryPayload is the most bytes the header's size field can claim.
	MaxBinaryPayload = math.MaxUint32
)

var (
	keySize = []byte(`,"size":`)
	keyB64  = []byte(`,"base64":"`)
)

// PutBinaryHeader writes the header of a binary message of size payload
// bytes into dst[:BinaryHeaderSize] (dst must be at least that long).
func PutBinaryHeader(dst []byte, seq, sent int64, size int) {
	dst[0] = BinaryKind
	binary.BigEndian.PutUint64(dst[1:9], uint64(seq))
	binary.BigEndian.PutUint64(dst[9:17], uint64(sent))
	binary.BigEndian.PutUint32(dst[17:21], uint32(size))
}

// AppendBinaryMessage appends the raw binary form of a message (header,
// then payload) to dst.
func AppendBinaryMessage(dst []byte, seq, sent int64, payload []byte) []byte {
	var hdr [BinaryHeaderSize]byte
	PutBinaryHeader(hdr[:], seq, sent, len(payload))
	return append(append(dst, hdr[:]...), payload...)
}

// DecodeFrame decodes a message that carries no other type: a binary
// message's raw form when its first byte is BinaryKind (JSON never starts
// with it), else a JSON message or gap signal (Decode). Raw TCP frames are
// such messages.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > 0 && b[0] == BinaryKind {
		return DecodeBinary(b)
	}
	return Decode(b)
}

// DecodeBinary parses one raw binary message and checks that it carries
// exactly the payload its header claims.
func DecodeBinary(b []byte) (Frame, error) {
	if len(b) < BinaryHeaderSize {
		return Frame{}, fmt.Errorf("short binary frame: %d bytes, the header alone is %d", len(b), BinaryHeaderSize)
	}
	if b[0] != BinaryKind {
		return Frame{}, fmt.Errorf("binary frame of kind 0x%02x, want 0x%02x", b[0], BinaryKind)
	}
	seq := binary.BigEndian.Uint64(b[1:9])
	if seq > math.MaxInt64 {
		return Frame{}, fmt.Errorf("binary frame with seq %d past %d", seq, int64(math.MaxInt64))
	}
	size := int64(binary.BigEndian.Uint32(b[17:21]))
	if got := int64(len(b) - BinaryHeaderSize); got != size {
		return Frame{}, fmt.Errorf("binary frame claims %d payload bytes but carries %d", size, got)
	}
	return Frame{Binary: true, Seq: int64(seq), Sent: int64(binary.BigEndian.Uint64(b[9:17])), PayloadSize: int(size)}, nil
}

// AppendBinaryJSONTail appends ,"sent":T,"size":N,"base64":"..."}, the
// rest of a binary message's JSON form after AppendMessageHead.
func AppendBinaryJSONTail(dst []byte, sent int64, payload []byte) []byte {
	dst = append(dst, `,"sent":`...)
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, keySize...)
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, keyB64...)
	dst = base64.StdEncoding.AppendEncode(dst, payload)
	return append(dst, `"}`...)
}

// AppendBinaryJSON appends the JSON form of a binary message to dst.
func AppendBinaryJSON(dst []byte, seq, sent int64, payload []byte) []byte {
	return AppendBinaryJSONTail(AppendMessageHead(dst, seq), sent, payload)
}

// BinaryJSONTailMax is the most bytes AppendBinaryJSONTail writes for a
// payload of n bytes (the widest sent and size included).
func BinaryJSONTailMax(n int) int {
	return len(`,"sent":-9223372036854775808,"size":4294967295,"base64":""}`) + base64.StdEncoding.EncodedLen(n)
}

// BinaryJSONLen is len(AppendBinaryJSON(nil, seq, sent, payload)) for a
// payload of n bytes, counted without encoding: the envelope plus
// 4 bytes of base64 per 3 of payload, padded.
func BinaryJSONLen(seq, sent int64, n int) int {
	return len(`{"seq":,"sent":,"size":,"base64":""}`) + decimalLen(seq) + decimalLen(sent) + decimalLen(int64(n)) +
		base64.StdEncoding.EncodedLen(n)
}

func decimalLen(v int64) int {
	var b [20]byte
	return len(strconv.AppendInt(b[:0], v, 10))
}

// decodeBinaryJSON is the fast path of Decode for the canonical binary
// JSON form; rest follows the seq's `,"sent":`. It decodes the base64
// payload (into a small stack buffer, piece by piece: the bytes are
// checked and counted, not kept) and accepts only what is valid with a
// decoded length equal to size. Anything else is left to the slow path,
// which says what is wrong.
func decodeBinaryJSON(rest []byte, f Frame) (Frame, bool) {
	var ok bool
	if f.Sent, rest, ok = cutInt(rest, keySize); !ok {
		return f, false
	}
	var size int64
	if size, rest, ok = cutInt(rest, keyB64); !ok {
		return f, false
	}
	// The closing quote, found fast; what lies before it is left to the
	// base64 decoder to judge (a backslash or control byte is not base64).
	end := bytes.IndexByte(rest, '"')
	if end < 0 || string(rest[end:]) != `"}` {
		return f, false
	}
	n, ok := base64Len(rest[:end])
	if !ok || int64(n) != size {
		return f, false
	}
	f.Binary, f.PayloadSize = true, n
	return f, true
}

// base64Len decodes src (standard encoding, padded) in pieces and
// returns the decoded length, or false when it is not valid base64.
// Padding may only end the last piece. encoding/base64 skips CR and LF,
// which a JSON string cannot hold raw: every piece must decode to exactly
// 3 bytes per 4 characters (less its padding), so a skipped byte fails.
func base64Len(src []byte) (int, bool) {
	const piece = 1024 // base64 characters per piece, a multiple of 4
	var buf [piece / 4 * 3]byte
	n := 0
	for len(src) > 0 {
		chunk := src[:min(len(src), piece)]
		src = src[len(chunk):]
		if len(chunk)%4 != 0 {
			return 0, false
		}
		m, err := base64.StdEncoding.Decode(buf[:], chunk)
		if err != nil {
			return 0, false
		}
		want := len(chunk) / 4 * 3
		if len(src) == 0 { // the last piece: its padding
			for i := len(chunk) - 1; i >= len(chunk)-2 && chunk[i] == '='; i-- {
				want--
			}
		}
		if m != want {
			return 0, false
		}
		n += m
	}
	return n, true
}

// decodeBase64Payload is the slow path's reading of a binary JSON
// message: it says what is wrong with one that does not hold what it
// claims.
func decodeBase64Payload(seq, sent int64, size *int64, b64 string) (Frame, error) {
	if size == nil {
		return Frame{}, errors.New("binary wire object has base64 but no size")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Frame{}, fmt.Errorf("binary wire object has bad base64 (%s): %w", Quote(b64), err)
	}
	if int64(len(raw)) != *size {
		return Frame{}, fmt.Errorf("binary wire object's base64 decodes to %d bytes but size says %d", len(raw), *size)
	}
	return Frame{Binary: true, Seq: seq, Sent: sent, PayloadSize: len(raw)}, nil
}
