package wire

import "errors"

// ErrNotArray is returned by EachInArray for input that is not a JSON array
// of objects.
var ErrNotArray = errors.New("not a JSON array of objects")

// EachInArray calls fn with each top-level object of a JSON array, in order,
// without allocating. It validates only the array structure; fn decodes.
func EachInArray(b []byte, fn func(obj []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return ErrNotArray
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '{' {
			return ErrNotArray
		}
		end, ok := objectEnd(b, i)
		if !ok {
			return ErrNotArray
		}
		if err := fn(b[i:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return ErrNotArray
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return trailing(b, i+1)
		default:
			return ErrNotArray
		}
	}
}

// objectEnd returns the index just past the object starting at b[i] == '{'.
func objectEnd(b []byte, i int) (int, bool) {
	depth, inString, escaped := 0, false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return ErrNotArray
	}
	return nil
}
