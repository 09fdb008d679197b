// Package wire is pushbench's message format, shared by every transport:
// a JSON object {"seq":S,"sent":T,"payload":"..."} per message and
// {"type":"gap","first":F,"last":L} when messages F..L are no longer held.
package wire

import (
	"strconv"
	"unicode/utf8"
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

// AppendString appends s as a JSON string, byte for byte what
// encoding/json writes for it (HTML-safe escapes included), in one pass
// and without an intermediate copy.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	last := 0 // s[last:i] is pending, unescaped
	for i := 0; i < len(s); {
		var esc string
		size := 1
		if c := s[i]; c < utf8.RuneSelf {
			esc = asciiEscapes[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			esc = runeEscape(r, size)
		}
		if esc != "" {
			dst = append(dst, s[last:i]...)
			dst = append(dst, esc...)
			last = i + size
		}
		i += size
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// StringLen is len(AppendString(nil, s)), counted without encoding.
func StringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if e := asciiEscapes[c]; e != "" {
				n += len(e)
			} else {
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if e := runeEscape(r, size); e != "" {
			n += len(e)
		} else {
			n += size
		}
		i += size
	}
	return n
}

// runeEscape is the escape of a decoded non-ASCII rune: invalid UTF-8
// becomes U+FFFD, and the JavaScript line separators are escaped; other
// runes are written as they are ("").
func runeEscape(r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return `\ufffd`
	case r == '\u2028':
		return `\u2028`
	case r == '\u2029':
		return `\u2029`
	}
	return ""
}

// asciiEscapes holds the escape of each ASCII byte that needs one: the
// quote and backslash, control characters (short forms where JSON has
// them) and, for HTML safety, <, > and &.
var asciiEscapes = func() (t [utf8.RuneSelf]string) {
	const hexDigits = "0123456789abcdef"
	for c := 0; c < utf8.RuneSelf; c++ {
		if c < 0x20 || c == '<' || c == '>' || c == '&' {
			t[c] = `\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf])
		}
	}
	for c, e := range map[byte]string{'"': `\"`, '\\': `\\`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`} {
		t[c] = e
	}
	return t
}()
