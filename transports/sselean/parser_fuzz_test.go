package sselean

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// referenceParse is the WHATWG event-stream algorithm written the plain
// way, for FuzzParser to compare against: normalise line ends, split,
// drop the unterminated tail, apply the fields.
func referenceParse(stream string) []event {
	stream = strings.TrimPrefix(stream, "\xef\xbb\xbf")
	stream = strings.ReplaceAll(stream, "\r\n", "\n")
	stream = strings.ReplaceAll(stream, "\r", "\n")
	lines := strings.Split(stream, "\n")
	lines = lines[:len(lines)-1] // the part after the last terminator
	var out []event
	var data, typ strings.Builder
	hasData := false
	for _, line := range lines {
		if line == "" {
			if hasData {
				out = append(out, event{typ.String(), strings.TrimSuffix(data.String(), "\n")})
			}
			data.Reset()
			typ.Reset()
			hasData = false
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "data":
			data.WriteString(value + "\n")
			hasData = true
		case "event":
			typ.Reset()
			typ.WriteString(value)
		}
	}
	return out
}

// FuzzParser: the parser dispatches exactly the events the reference
// algorithm does, whatever the read sizes.
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n", "data: a\r\n\r\n", "data: a\r\rdata: b\r\r", "\xef\xbb\xbfdata: bom\n\n",
		"event: gap\ndata: g\n\ndata: m\n\n", ": c\nretry: 5\ndata\n\n", "data: a\ndata: b\n\n", "data: x\n",
		"data: " + strings.Repeat("y", 5000) + "\n\n", "data:\n\n", "event: e\n\ndata: z\n\n", "data: a\r",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, stream string, oneByte bool) {
		var got []event
		p := Parser{OnEvent: func(typ, data []byte) error {
			got = append(got, event{string(typ), string(data)})
			return nil
		}, OnRetry: func(int64) {}}
		var rd = bytes.NewReader([]byte(stream))
		var err error
		if oneByte {
			err = p.Parse(iotest.OneByteReader(rd), nil)
		} else {
			err = p.Parse(rd, nil)
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", stream, err)
		}
		if want := referenceParse(stream); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q) = %q, reference %q", stream, got, want)
		}
	})
}
