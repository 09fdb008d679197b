package poll

import (
	"bytes"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/wire"
)

// data reads body bytes: a non-200's are kept for its error; a 200's are
// scanned as a JSON array of objects, each reported once it is whole (in
// place when it lies in one piece, else gathered in obj).
func (a *answer) data(d []byte, p *poller, e *transports.PollEnv) error {
	if a.code != 200 {
		if room := maxErrBody - len(a.body); room > 0 {
			a.body = append(a.body, d[:min(room, len(d))]...)
		}
		return nil
	}
	start := 0 // where the object in progress starts in d
	for i := 0; i < len(d); i++ {
		c := d[i]
		if a.astate == arrObj {
			if a.inStr && !a.esc { // skip to the string's next quote or escape
				j := bytes.IndexAny(d[i:], "\\\"")
				if j < 0 {
					break
				}
				i += j
				c = d[i]
			}
			if !a.objByte(c) {
				continue
			}
			obj := d[start : i+1]
			if len(a.obj) > 0 {
				a.obj = append(a.obj, obj...)
				obj = a.obj
			}
			if err := a.emit(obj, p, e); err != nil {
				return err
			}
			continue
		}
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			continue
		}
		switch {
		case a.astate == arrStart && c == '[':
			a.astate = arrFirst
		case a.astate == arrFirst && c == ']', a.astate == arrAfter && c == ']':
			a.astate = arrTail
		case a.astate == arrAfter && c == ',':
			a.astate = arrNext
		case (a.astate == arrFirst || a.astate == arrNext) && c == '{':
			if n := flatObject(d[i:]); n > 0 {
				if err := a.emit(d[i:i+n], p, e); err != nil {
					return err
				}
				i += n - 1
				continue
			}
			a.astate, a.depth, start = arrObj, 1, i
		default:
			return errNotArray
		}
	}
	if a.astate == arrObj {
		a.obj = append(a.obj, d[start:]...)
	}
	return nil
}

// emit decodes and reports one whole object.
func (a *answer) emit(obj []byte, p *poller, e *transports.PollEnv) error {
	f, err := wire.Decode(obj)
	a.obj = a.obj[:0]
	a.astate = arrAfter
	if err != nil {
		return err
	}
	a.n++
	p.message(f, e)
	return nil
}

// flatObject returns the length of the object at the start of b when it
// is whole in b and flat, as the server writes them: no escape, brace or
// bracket inside, so its first '}' after an even number of quotes ends
// it, as the byte scan would find; 0 otherwise (the byte scan reads it).
// It uses the vectorised searches only.
func flatObject(b []byte) int {
	j := bytes.IndexByte(b, '}')
	if j < 0 {
		return 0
	}
	in := b[1:j]
	if bytes.IndexByte(in, '\\') >= 0 || bytes.IndexByte(in, '{') >= 0 || bytes.IndexByte(in, '[') >= 0 ||
		bytes.IndexByte(in, ']') >= 0 || bytes.Count(in, []byte{'"'})%2 != 0 {
		return 0
	}
	return j + 1
}

// objByte scans one byte of an object as wire's objectEnd does; true at
// the byte that closes it.
func (a *answer) objByte(c byte) bool {
	switch {
	case a.inStr:
		if a.esc {
			a.esc = false
		} else if c == '\\' {
			a.esc = true
		} else if c == '"' {
			a.inStr = false
		}
	case c == '"':
		a.inStr = true
	case c == '{' || c == '[':
		a.depth++
	case c == '}' || c == ']':
		a.depth--
		return a.depth == 0
	}
	return false
}
