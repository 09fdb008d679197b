package target_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/sselean"
	"github.com/pushbench/pushbench/transports/target"
)

// decodeAll runs a decoder over one document.
func decodeAll(d *target.Decoder, doc []byte) (msgs []target.Message, found bool, err error) {
	found, err = d.Reset(doc)
	if err != nil || !found {
		return nil, found, err
	}
	for {
		m, more, err := d.Next()
		if err != nil {
			return msgs, true, err
		}
		if !more {
			return msgs, true, nil
		}
		msgs = append(msgs, m)
	}
}

const envelope = `{"channel":"bench","pub":{"data":{"seq":7,"sent":"1700000000123456789","payload":"hello"},"offset":7}}`

func TestDecoder(t *testing.T) {
	m := func(seq, sent int64, size int) target.Message {
		return target.Message{Seq: seq, Sent: sent, PayloadSize: size}
	}
	cases := []struct {
		name, ptr string
		array     bool
		doc       string
		want      []target.Message
		notFound  bool
		err       error
		field     string
	}{
		{name: "whole document", doc: `{"seq":1,"sent":"1700000000123456789","payload":"abc"}`, want: []target.Message{m(1, 1700000000123456789, 3)}},
		{name: "sent as an integer", doc: `{"seq":2,"sent":1700000000123456789,"payload":""}`, want: []target.Message{m(2, 1700000000123456789, 0)}},
		{name: "any order, white space, other members",
			doc:  " {\n \"payload\" : \"xy\",\t\"meta\":{\"seq\":99,\"sent\":[1,{\"seq\":98}]}, \"sent\" : \"5\" ,\"seq\" : 3 } \n",
			want: []target.Message{m(3, 5, 2)}},
		{name: "envelope", ptr: "/pub/data", doc: envelope, want: []target.Message{m(7, 1700000000123456789, 5)}},
		{name: "connect reply", ptr: "/pub/data", doc: `{"connect":{"client":"x","subs":{"bench":{"offset":3}}}}`, notFound: true},
		{name: "ping", ptr: "/pub/data", doc: `{}`, notFound: true},
		{name: "pointer through a scalar", ptr: "/pub/data", doc: `{"pub":"x"}`, notFound: true},
		{name: "empty document", doc: "", notFound: true},
		{name: "white space document", doc: " \r\n\t", notFound: true},
		{name: "escaped pointer tokens", ptr: "/a~1b/m~0n", doc: `{"a/b":{"m~n":{"seq":4,"sent":"4","payload":"q"}}}`, want: []target.Message{m(4, 4, 1)}},
		{name: "array index", ptr: "/items/1", doc: `{"items":[{"seq":1},{"seq":5,"sent":"6","payload":"z"}]}`, want: []target.Message{m(5, 6, 1)}},
		{name: "array index past the end", ptr: "/items/2", doc: `{"items":[1,2]}`, notFound: true},
		{name: "array index with a leading zero", ptr: "/items/01", doc: `{"items":[1,2]}`, notFound: true},
		{name: "array of messages", ptr: "/messages", array: true,
			doc:  `{"cursor":9,"messages":[{"seq":8,"sent":"1","payload":"a"} , {"seq":9,"sent":"2","payload":"bb"}]}`,
			want: []target.Message{m(8, 1, 1), m(9, 2, 2)}},
		{name: "empty array", ptr: "/messages", array: true, doc: `{"messages":[ ]}`},
		{name: "escaped member names", doc: `{"s\u0065q":10,"sen\u0074":"11","p\u0061yload":"x"}`, want: []target.Message{m(10, 11, 1)}},
		{name: "the last of repeated names counts", doc: `{"seq":1,"seq":12,"sent":"1","sent":"13","payload":"a","payload":"abcd"}`, want: []target.Message{m(12, 13, 4)}},
		{name: "escaped payload", doc: `{"seq":1,"sent":"1","payload":"a\nb\u00e9\ud83d\ude00\/"}`, want: []target.Message{m(1, 1, 1+1+1+2+4+1)}},
		{name: "lone surrogate and invalid UTF-8", doc: "{\"seq\":1,\"sent\":\"1\",\"payload\":\"\\ud800x\xff\"}", want: []target.Message{m(1, 1, 3+1+3)}},
		{name: "sent with escaped digits", doc: `{"seq":1,"sent":"\u0031\u0032","payload":""}`, want: []target.Message{m(1, 12, 0)}},
		{name: "extremes", doc: `{"seq":9223372036854775807,"sent":"-9223372036854775808","payload":""}`, want: []target.Message{m(9223372036854775807, -9223372036854775808, 0)}},

		{name: "sent re-encoded as a float", doc: `{"seq":1,"sent":1.7000000000000001e+18,"payload":""}`, err: target.ErrSentFloat, field: "sent"},
		{name: "sent with a fraction", doc: `{"seq":1,"sent":17.0,"payload":""}`, err: target.ErrSentFloat, field: "sent"},
		{name: "sent with an exponent", doc: `{"seq":1,"sent":17E3,"payload":""}`, err: target.ErrSentFloat, field: "sent"},
		{name: "sent string not an integer", doc: `{"seq":1,"sent":"1.5","payload":""}`, err: target.ErrBadField, field: "sent"},
		{name: "sent null", doc: `{"seq":1,"sent":null,"payload":""}`, err: target.ErrBadField, field: "sent"},
		{name: "no sent", doc: `{"seq":1,"payload":""}`, err: target.ErrMissingField, field: "sent"},
		{name: "no seq", doc: `{"sent":"1","payload":""}`, err: target.ErrMissingField, field: "seq"},
		{name: "seq a string", doc: `{"seq":"1","sent":"1","payload":""}`, err: target.ErrBadField, field: "seq"},
		{name: "seq a float", doc: `{"seq":1.0,"sent":"1","payload":""}`, err: target.ErrBadField, field: "seq"},
		{name: "seq past int64", doc: `{"seq":9223372036854775808,"sent":"1","payload":""}`, err: target.ErrBadField, field: "seq"},
		{name: "no payload", doc: `{"seq":1,"sent":"1"}`, err: target.ErrMissingField, field: "payload"},
		{name: "payload a number", doc: `{"seq":1,"sent":"1","payload":5}`, err: target.ErrBadField, field: "payload"},
		{name: "message not an object", ptr: "/pub/data", doc: `{"pub":{"data":"hello"}}`, err: target.ErrNotObject},
		{name: "not an array", ptr: "/messages", array: true, doc: `{"messages":{"seq":1}}`, err: target.ErrNotArray},
		{name: "array element not an object", ptr: "/m", array: true, doc: `{"m":[{"seq":1,"sent":"2","payload":""},3]}`, want: []target.Message{m(1, 2, 0)}, err: target.ErrNotObject},
		{name: "not JSON", doc: `seq=1`, err: target.ErrNotJSON},
		{name: "trailing garbage", doc: `{"seq":1,"sent":"1","payload":""}x`, err: target.ErrNotJSON},
		{name: "two documents", doc: `{} {}`, err: target.ErrNotJSON},
		{name: "unterminated", ptr: "/pub/data", doc: `{"pub":{"data":{"seq":1`, err: target.ErrNotJSON},
		{name: "bad escape", doc: `{"seq":1,"sent":"1","payload":"\x"}`, err: target.ErrNotJSON},
		{name: "control character", doc: "{\"seq\":1,\"sent\":\"1\",\"payload\":\"a\tb\"}", err: target.ErrNotJSON},
		{name: "bad number", doc: `{"seq":01,"sent":"1","payload":""}`, err: target.ErrNotJSON},
		{name: "nested too deep", doc: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), err: target.ErrNotJSON},
		{name: "nested at the limit", ptr: "/x", doc: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), notFound: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := target.NewDecoder(tc.ptr, tc.array)
			if err != nil {
				t.Fatal(err)
			}
			msgs, found, err := decodeAll(d, []byte(tc.doc))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.field != "" {
				var me *target.MessageError
				if !errors.As(err, &me) || me.Field != tc.field {
					t.Errorf("error %#v, want a *MessageError naming %s", err, tc.field)
				}
			}
			if errors.Is(tc.err, target.ErrNotJSON) {
				var se *target.SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("error %#v, want a *SyntaxError", err)
				}
				return
			}
			if found == tc.notFound {
				t.Errorf("found = %v, want %v", found, !tc.notFound)
			}
			if !slices.Equal(msgs, tc.want) {
				t.Errorf("messages %+v, want %+v", msgs, tc.want)
			}
		})
	}
}

func TestDecoderLookup(t *testing.T) {
	d, err := target.NewDecoder("/pub/data", false)
	if err != nil {
		t.Fatal(err)
	}
	connect := []byte(`{"connect":{"subs":{"bench":{"epoch":"ab\/cd","offset":3}}}}`)
	if found, err := d.Reset(connect); found || err != nil {
		t.Fatalf("Reset(connect) = %v, %v; want not found", found, err)
	}
	for ptr, want := range map[string]string{
		"/connect/subs/bench/epoch":  `"ab\/cd"`,
		"/connect/subs/bench/offset": `3`,
		"/connect/subs":              `{"bench":{"epoch":"ab\/cd","offset":3}}`,
	} {
		p, err := target.ParsePointer(ptr)
		if err != nil {
			t.Fatal(err)
		}
		raw, ok := d.Lookup(p)
		if !ok || string(raw) != want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", ptr, raw, ok, want)
		}
	}
	p, _ := target.ParsePointer("/connect/nope")
	if _, ok := d.Lookup(p); ok {
		t.Error("Lookup of a missing member resolved")
	}
	if _, err := d.Reset([]byte("{")); err == nil {
		t.Fatal("Reset of broken JSON succeeded")
	}
	if _, ok := d.Lookup(p); ok {
		t.Error("Lookup resolved in a document that is not JSON")
	}
}

func TestParsePointer(t *testing.T) {
	for _, bad := range []string{"pub", "/a~", "/a~2b", "/\xff"} {
		if _, err := target.ParsePointer(bad); err == nil {
			t.Errorf("ParsePointer(%q) accepted it", bad)
		}
	}
	for _, good := range []string{"", "/", "/pub/data", "/a~0~1b/0/-"} {
		p, err := target.ParsePointer(good)
		if err != nil || p.String() != good {
			t.Errorf("ParsePointer(%q) = %q, %v", good, p, err)
		}
	}
	// "/" names the member "" (RFC 6901), not the whole document.
	d, _ := target.NewDecoder("/", false)
	msgs, found, err := decodeAll(d, []byte(`{"":{"seq":1,"sent":"2","payload":"x"}}`))
	if err != nil || !found || len(msgs) != 1 || msgs[0].Seq != 1 {
		t.Errorf(`pointer "/" gave %v, %v, %v`, msgs, found, err)
	}
}

// TestDecoderDoesNotAllocate: the common documents decode without a heap
// allocation once the decoder exists.
func TestDecoderDoesNotAllocate(t *testing.T) {
	for _, bc := range benchCases {
		d, err := target.NewDecoder(bc.ptr, bc.array)
		if err != nil {
			t.Fatal(err)
		}
		doc := []byte(bc.doc)
		n := 0
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := d.Reset(doc); err != nil {
				t.Fatal(err)
			}
			for {
				_, more, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !more {
					break
				}
				n++
			}
		})
		if allocs != 0 || n == 0 {
			t.Errorf("%s: %v allocations per document (%d messages), want 0", bc.name, allocs, n)
		}
	}
}

var benchCases = []struct {
	name, ptr string
	array     bool
	doc       string
}{
	{name: "whole", doc: `{"seq":123456,"sent":"1700000000123456789","payload":"` + strings.Repeat("x", 100) + `"}`},
	{name: "envelope", ptr: "/pub/data", doc: `{"channel":"bench","pub":{"data":{"seq":123456,"sent":"1700000000123456789","payload":"` + strings.Repeat("x", 100) + `"},"offset":7}}`},
	{name: "array10", ptr: "/messages", array: true, doc: `{"cursor":10,"messages":[` + strings.TrimSuffix(strings.Repeat(`{"seq":123456,"sent":"1700000000123456789","payload":"`+strings.Repeat("x", 100)+`"},`, 10), ",") + `]}`},
}

func BenchmarkDecoder(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			d, err := target.NewDecoder(bc.ptr, bc.array)
			if err != nil {
				b.Fatal(err)
			}
			doc := []byte(bc.doc)
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Reset(doc); err != nil {
					b.Fatal(err)
				}
				for {
					_, more, err := d.Next()
					if err != nil {
						b.Fatal(err)
					}
					if !more {
						break
					}
				}
			}
		})
	}
}

// TestParserOnID: sselean's OnID follows WHATWG's last event ID: set by
// id: fields without NUL (an empty one clears it), reported at dispatch
// whether or not the event has data, kept across events (no call when no
// id: came), and not set by an event the stream's end cut off.
func TestParserOnID(t *testing.T) {
	stream := "id: 1\ndata: a\n\n" +
		"data: b\n\n" +
		"id: 3\n\n" +
		"id: 4\ndata: c\n\n" +
		"id: x\x00y\ndata: d\n\n" +
		"id: 5\nid: 6\ndata: e\n\n" +
		"id\ndata: f\n\n" +
		"id: 9\ndata: cut"
	var log []string
	p := sselean.Parser{
		OnEvent: func(_, data []byte) error { log = append(log, "event "+string(data)); return nil },
		OnID:    func(id []byte) { log = append(log, "id "+string(id)) },
	}
	if err := p.Parse(strings.NewReader(stream), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"id 1", "event a", "event b", "id 3", "id 4", "event c", "event d", "id 6", "event e", "id ", "event f"}
	if !slices.Equal(log, want) {
		t.Errorf("calls %q, want %q", log, want)
	}
}
