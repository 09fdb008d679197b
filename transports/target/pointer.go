package target

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Pointer is a parsed JSON Pointer (RFC 6901): the reference tokens,
// unescaped (~1 is /, ~0 is ~). The zero Pointer is the whole document.
type Pointer struct {
	text   string
	tokens []token
}

type token struct {
	name  string // the object member name
	index int    // the array index it names; -1 when it names none
}

// ParsePointer parses a JSON Pointer: "" for the whole document, or
// tokens each after a '/'. A '~' must be followed by 0 or 1, and the
// pointer must be valid UTF-8 (JSON member names are).
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return Pointer{}, fmt.Errorf("JSON Pointer %q must start with / (RFC 6901), or be empty for the whole document", s)
	}
	if !utf8.ValidString(s) {
		return Pointer{}, fmt.Errorf("JSON Pointer %q is not valid UTF-8", s)
	}
	p := Pointer{text: s}
	for _, raw := range strings.Split(s[1:], "/") {
		for i := 0; i < len(raw); i++ {
			if raw[i] == '~' && (i+1 == len(raw) || (raw[i+1] != '0' && raw[i+1] != '1')) {
				return Pointer{}, fmt.Errorf("JSON Pointer %q: ~ must be followed by 0 (for ~) or 1 (for /), as RFC 6901 escapes them", s)
			}
		}
		name := strings.ReplaceAll(strings.ReplaceAll(raw, "~1", "/"), "~0", "~")
		p.tokens = append(p.tokens, token{name: name, index: arrayIndex(name)})
	}
	return p, nil
}

// arrayIndex is the array index a token names: "0" or digits without a
// leading zero (RFC 6901); -1 for anything else, "-" (past the end)
// included.
func arrayIndex(s string) int {
	if s == "" || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// String returns the pointer as written.
func (p Pointer) String() string { return p.text }
