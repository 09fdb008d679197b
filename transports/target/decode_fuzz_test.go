package target_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/target"
)

// referenceDecode is what Decoder promises, written with encoding/json:
// json.Valid decides what is JSON, maps of json.RawMessage walk the
// pointer (so repeated names and escaped names resolve as encoding/json
// resolves them), and json.Unmarshal decodes the strings (the payload's
// decoded length, sent's text). The numbers' rules are the documented
// ones, with strconv.
func referenceDecode(doc []byte, ptr string, array bool) (msgs []target.Message, found bool, kind error) {
	if len(bytes.Trim(doc, " \t\r\n")) == 0 {
		return nil, false, nil
	}
	if !json.Valid(doc) {
		return nil, false, target.ErrNotJSON
	}
	cur := json.RawMessage(bytes.Trim(doc, " \t\r\n"))
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch cur[0] {
			case '{':
				var m map[string]json.RawMessage
				if err := json.Unmarshal(cur, &m); err != nil {
					panic(err)
				}
				v, ok := m[tok]
				if !ok {
					return nil, false, nil
				}
				cur = v
			case '[':
				var a []json.RawMessage
				if err := json.Unmarshal(cur, &a); err != nil {
					panic(err)
				}
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(a) || strconv.Itoa(i) != tok {
					return nil, false, nil
				}
				cur = a[i]
			default:
				return nil, false, nil
			}
		}
	}
	if !array {
		m, err := referenceMessage(cur)
		if err != nil {
			return nil, true, err
		}
		return []target.Message{m}, true, nil
	}
	if cur[0] != '[' {
		return nil, true, target.ErrNotArray
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(cur, &elems); err != nil {
		panic(err)
	}
	for _, e := range elems {
		m, err := referenceMessage(e)
		if err != nil {
			return msgs, true, err
		}
		msgs = append(msgs, m)
	}
	return msgs, true, nil
}

var decimal = regexp.MustCompile(`^-?[0-9]+$`)

func referenceMessage(raw json.RawMessage) (target.Message, error) {
	var m target.Message
	if raw[0] != '{' {
		return m, target.ErrNotObject
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		panic(err)
	}
	isNum := func(v json.RawMessage) bool { return v[0] == '-' || (v[0] >= '0' && v[0] <= '9') }
	seq, ok := obj["seq"]
	if !ok {
		return m, target.ErrMissingField
	}
	var err error
	if !isNum(seq) {
		return m, target.ErrBadField
	}
	if m.Seq, err = strconv.ParseInt(string(seq), 10, 64); err != nil {
		return m, target.ErrBadField
	}
	sent, ok := obj["sent"]
	switch {
	case !ok:
		return m, target.ErrMissingField
	case isNum(sent):
		if bytes.ContainsAny(sent, ".eE") {
			return m, target.ErrSentFloat
		}
		if m.Sent, err = strconv.ParseInt(string(sent), 10, 64); err != nil {
			return m, target.ErrBadField
		}
	case sent[0] == '"':
		var s string
		if err := json.Unmarshal(sent, &s); err != nil {
			panic(err)
		}
		if !decimal.MatchString(s) {
			return m, target.ErrBadField
		}
		if m.Sent, err = strconv.ParseInt(s, 10, 64); err != nil {
			return m, target.ErrBadField
		}
	default:
		return m, target.ErrBadField
	}
	payload, ok := obj["payload"]
	switch {
	case !ok:
		return m, target.ErrMissingField
	case payload[0] != '"':
		return m, target.ErrBadField
	}
	var p string
	if err := json.Unmarshal(payload, &p); err != nil {
		panic(err)
	}
	m.PayloadSize = len(p)
	return m, nil
}

// FuzzDecoder: for any document, pointer and array flag, the decoder
// finds the same messages (seq, sent, payload size) as the encoding/json
// reference, or fails with the same kind of error. The seed corpus is in
// testdata/fuzz/FuzzDecoder.
func FuzzDecoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte, ptr string, array bool) {
		if _, err := target.ParsePointer(ptr); err != nil {
			return
		}
		d, err := target.NewDecoder(ptr, array)
		if err != nil {
			t.Fatal(err)
		}
		got, found, err := decodeAll(d, doc)
		want, wantFound, wantErr := referenceDecode(doc, ptr, array)
		if wantErr == nil {
			if err != nil {
				t.Fatalf("error %v, want messages %+v (found %v)", err, want, wantFound)
			}
		} else if !errors.Is(err, wantErr) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		if wantErr != target.ErrNotJSON && found != wantFound {
			t.Fatalf("found %v, want %v", found, wantFound)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("messages %+v, want %+v", got, want)
		}
	})
}
