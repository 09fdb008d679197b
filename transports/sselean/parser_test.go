package sselean

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

type event struct{ typ, data string }

func parseAll(t *testing.T, stream string) []event {
	t.Helper()
	var got []event
	p := Parser{OnEvent: func(typ, data []byte) error {
		got = append(got, event{string(typ), string(data)})
		return nil
	}}
	if err := p.Parse(strings.NewReader(stream), nil); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestParserFollowsTheEventStreamRules(t *testing.T) {
	long := strings.Repeat("x", 3*parserBuffer+7)
	cases := []struct {
		name   string
		stream string
		want   []event
	}{
		{"one event", "id: 1\ndata: {\"a\":1}\n\n", []event{{"", `{"a":1}`}}},
		{"CRLF lines", "data: a\r\n\r\n", []event{{"", "a"}}},
		{"multi-line data joined by newline", "data: a\ndata: b\n\n", []event{{"", "a\nb"}}},
		{"comments and retry ignored", ": hb\nretry: 1000\n\ndata: x\n\n", []event{{"", "x"}}},
		{"named event", "event: gap\ndata: g\n\n", []event{{"gap", "g"}}},
		{"event type resets", "event: gap\ndata: g\n\ndata: m\n\n", []event{{"gap", "g"}, {"", "m"}}},
		{"no space after colon", "data:x\n\n", []event{{"", "x"}}},
		{"no data, no event", "id: 5\n\n", nil},
		{"line longer than the buffer", "data: " + long + "\n\n", []event{{"", long}}},
		{"unterminated event dropped at EOF", "data: x\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseAll(t, c.stream)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

type nopReceiver struct{ n int }

func (r *nopReceiver) Connected()                        {}
func (r *nopReceiver) Message(seq, sent int64, size int) { r.n++ }
func (r *nopReceiver) Gap(first, last int64)             {}
func (r *nopReceiver) Empty()                            {}

// BenchmarkParseEvent is the lean client's per-event cost: SSE parsing and
// wire decoding of a 64-byte-payload message. It must not allocate.
func BenchmarkParseEvent(b *testing.B) {
	var one bytes.Buffer
	fmt.Fprintf(&one, "id: 1\ndata: {\"seq\":1,\"sent\":1795306802537491092,\"payload\":\"%s\"}\n\n", strings.Repeat("a", 64))
	stream := bytes.Repeat(one.Bytes(), b.N)
	r := &nopReceiver{}
	p := Parser{OnEvent: func(typ, data []byte) error { return dispatch(typ, data, r) }}
	b.SetBytes(int64(one.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	if err := p.Parse(bytes.NewReader(stream), nil); err != nil {
		b.Fatal(err)
	}
	if r.n != b.N {
		b.Fatalf("parsed %d of %d", r.n, b.N)
	}
}

func TestParserReportsRetry(t *testing.T) {
	var got []int64
	p := Parser{OnEvent: func(typ, data []byte) error { return nil }, OnRetry: func(ms int64) { got = append(got, ms) }}
	if err := p.Parse(strings.NewReader("retry: 2500\n\nretry: soon\nretry: 7\n\n"), nil); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[2500 7]" {
		t.Errorf("retry values %v, want [2500 7] (invalid ones ignored)", got)
	}
}
