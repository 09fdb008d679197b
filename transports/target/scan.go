package target

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner works on one document in two steps: validate checks the
// whole of it against the JSON grammar (as encoding/json does, nesting
// limit included), after which the other functions walk it without
// checking again. None of them allocates.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// validate checks that b is one JSON value with optional white space
// around it. stack is scratch space for the containers open at each
// depth; it is returned grown, for reuse.
func validate(b []byte, stack []byte) ([]byte, error) {
	stack = stack[:0]
	i := skipSpace(b, 0)
	for {
		// A value starts at i.
		if i >= len(b) {
			return stack, syntaxError(i, "unexpected end of document, a value was due")
		}
		var err error
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return stack, syntaxError(i, "nested deeper than 10000")
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' is '{'+2 and ']' is '['+2
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if i, err = member(b, i); err != nil {
					return stack, err
				}
			}
			continue
		case c == '"':
			i, err = scanString(b, i)
		case c == '-' || (c >= '0' && c <= '9'):
			i, err = scanNumber(b, i)
		case c == 't':
			i, err = literal(b, i, "true")
		case c == 'f':
			i, err = literal(b, i, "false")
		case c == 'n':
			i, err = literal(b, i, "null")
		default:
			return stack, syntaxError(i, "invalid character, a value was due")
		}
		if err != nil {
			return stack, err
		}
		// A value ended: close containers until one continues.
		for {
			i = skipSpace(b, i)
			if len(stack) == 0 {
				if i != len(b) {
					return stack, syntaxError(i, "invalid character after the top-level value")
				}
				return stack, nil
			}
			if i >= len(b) {
				return stack, syntaxError(i, "unexpected end of document inside an object or array")
			}
			top := stack[len(stack)-1]
			if b[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if b[i] != ',' {
				return stack, syntaxError(i, "invalid character, a comma or the container's end was due")
			}
			i = skipSpace(b, i+1)
			if top == '{' {
				if i, err = member(b, i); err != nil {
					return stack, err
				}
			}
			break
		}
	}
}

// member checks an object member's name and colon at b[i]; it returns
// where the value starts.
func member(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return i, syntaxError(i, "a member name in quotes was due")
	}
	i, err := scanString(b, i)
	if err != nil {
		return i, err
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, syntaxError(i, "a colon after the member name was due")
	}
	return skipSpace(b, i+1), nil
}

// scanString checks the string starting at b[i] == '"' and returns the
// index past its closing quote.
func scanString(b []byte, i int) (int, error) {
	i++
	for {
		for i+8 <= len(b) { // eight plain bytes at a time
			x := binary.LittleEndian.Uint64(b[i:])
			if hasByte(x, '"')|hasByte(x, '\\')|hasLess(x, 0x20) != 0 {
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, syntaxError(i, "unexpected end of document in a string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return i, syntaxError(i, "control character in a string")
		case c == '\\':
			i++
			if i >= len(b) {
				return i, syntaxError(i, "unexpected end of document in a string escape")
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || hex4(b[i+1:i+5]) < 0 {
					return i, syntaxError(i, `\u must be followed by four hex digits`)
				}
				i += 4
			default:
				return i, syntaxError(i, "invalid escape in a string")
			}
		}
		i++
	}
}

// Eight bytes at a time (SWAR): each test is non-zero exactly when some
// byte of x matches.
const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

func hasZero(x uint64) uint64         { return (x - lsbs) & ^x & msbs }
func hasByte(x uint64, c byte) uint64 { return hasZero(x ^ (lsbs * uint64(c))) }
func hasLess(x uint64, n byte) uint64 { return (x - lsbs*uint64(n)) & ^x & msbs } // n <= 128

// scanNumber checks the number starting at b[i] and returns the index
// past it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, syntaxError(i, "a digit was due in a number")
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, syntaxError(j, "a digit was due after a decimal point")
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, syntaxError(j, "a digit was due in an exponent")
		}
		i = j
	}
	return i, nil
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func literal(b []byte, i int, word string) (int, error) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return i, syntaxError(i, "invalid literal (true, false or null)")
	}
	return i + len(word), nil
}

// hex4 is the value of four hex digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// The functions below assume a validated document.

// valueEnd returns the index past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index past the string starting at b[i] == '"':
// past the first quote after it that an odd run of backslashes does not
// escape.
func stringEnd(b []byte, i int) int {
	for i++; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		k := i - 1
		for b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}

// members calls fn for each member of the object at b[i] == '{' with the
// name's raw bytes (between its quotes) and where its value starts and
// ends; it stops when fn returns false.
func members(b []byte, i int, fn func(name []byte, start, end int) bool) {
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return
	}
	for {
		nameEnd := stringEnd(b, i)
		name := b[i+1 : nameEnd-1]
		v := skipSpace(b, skipSpace(b, nameEnd)+1)
		end := valueEnd(b, v)
		if !fn(name, v, end) {
			return
		}
		i = skipSpace(b, end)
		if b[i] == '}' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// element returns where the n-th element of the array at b[i] == '['
// starts, or -1.
func element(b []byte, i, n int) int {
	i = skipSpace(b, i+1)
	if b[i] == ']' {
		return -1
	}
	for k := 0; ; k++ {
		if k == n {
			return i
		}
		i = skipSpace(b, valueEnd(b, i))
		if b[i] == ']' {
			return -1
		}
		i = skipSpace(b, i+1)
	}
}

// nextRune decodes the rune at s[i] of a validated string's contents (the
// bytes between its quotes) as encoding/json does: escapes are decoded, a
// surrogate pair is joined, a lone surrogate and each byte of invalid
// UTF-8 become U+FFFD. It returns the index past what it consumed.
func nextRune(s []byte, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf && c != '\\' {
		return rune(c), i + 1
	}
	if c != '\\' {
		r, size := utf8.DecodeRune(s[i:])
		return r, i + size // an invalid byte: (RuneError, 1)
	}
	switch s[i+1] {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
	default: // " \ /
		return rune(s[i+1]), i + 2
	}
	r := hex4(s[i+2:])
	i += 6
	if !utf16.IsSurrogate(r) {
		return r, i
	}
	if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
		if r2 := hex4(s[i+2:]); r2 >= 0 {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, i + 6
			}
		}
	}
	return utf8.RuneError, i
}

// decodedLen is the length in bytes of a validated string's contents once
// decoded, as encoding/json decodes it.
func decodedLen(s []byte) int {
	n := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) { // eight plain ASCII bytes at a time
			if x := binary.LittleEndian.Uint64(s[i:]); x&msbs|hasByte(x, '\\') == 0 {
				n += 8
				i += 8
				continue
			}
		}
		if c := s[i]; c < utf8.RuneSelf && c != '\\' {
			n++
			i++
			continue
		}
		var r rune
		r, i = nextRune(s, i)
		n += utf8.RuneLen(r)
	}
	return n
}

// nameIs says whether a validated string's raw contents decode to want
// (valid UTF-8).
func nameIs(raw []byte, want string) bool {
	plain := true
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(raw) == want
	}
	j := 0
	var enc [utf8.UTFMax]byte
	for i := 0; i < len(raw); {
		var r rune
		r, i = nextRune(raw, i)
		n := utf8.EncodeRune(enc[:], r)
		if len(want)-j < n || string(enc[:n]) != want[j:j+n] {
			return false
		}
		j += n
	}
	return j == len(want)
}

// appendDecoded appends a validated string's decoded contents to dst.
func appendDecoded(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		var r rune
		r, i = nextRune(raw, i)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
