// Package wire is pushbench's message format, shared by every transport:
// a JSON object {"seq":S,"sent":T,"payload":"..."} per message and
// {"type":"gap","first":F,"last":L} when messages F..L are no longer held.
package wire

import (
	"encoding/json"
	"strconv"
)

// AppendMessageJSON appends the wire form of a message,
// {"seq":S,"sent":T,"payload":"..."}, to dst.
func AppendMessageJSON(dst []byte, seq, sent int64, payload string) []byte {
	return AppendMessageTail(AppendMessageHead(dst, seq), sent, payload)
}

// AppendMessageHead appends the start of a message's wire form,
// {"seq":S. AppendMessageTail appends the rest; the log escapes the tail
// outside its lock and puts the head, which needs the seq, in front.
func AppendMessageHead(dst []byte, seq int64) []byte {
	dst = append(dst, `{"seq":`...)
	return strconv.AppendInt(dst, seq, 10)
}

// AppendMessageTail appends ,"sent":T,"payload":"..."} (see AppendMessageHead).
func AppendMessageTail(dst []byte, sent int64, payload string) []byte {
	dst = append(dst, `,"sent":`...)
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, `,"payload":`...)
	dst = AppendString(dst, payload)
	return append(dst, '}')
}

// AppendGapJSON appends the gap signal, {"type":"gap","first":F,"last":L},
// to dst: messages F..L were published but have left the server's ring.
func AppendGapJSON(dst []byte, first, last int64) []byte {
	dst = append(dst, `{"type":"gap","first":`...)
	dst = strconv.AppendInt(dst, first, 10)
	dst = append(dst, `,"last":`...)
	dst = strconv.AppendInt(dst, last, 10)
	return append(dst, '}')
}

// AppendString appends s as a JSON string.
func AppendString(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
