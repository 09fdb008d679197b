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
			f, err := wire.Decode(obj)
			a.obj = a.obj[:0]
			if err != nil {
				return err
			}
			a.n++
			p.message(f, e)
			a.astate = arrAfter
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
