package target

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParsePacket: each Engine.IO and Socket.IO packet the client meets
// decodes to its kind, data and acknowledgement id; what it cannot take
// is an error wrapping ErrNotSocketIO.
func TestParsePacket(t *testing.T) {
	ok := []struct {
		p    string
		kind sioKind
		data string
		ack  int64
	}{
		{`0{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, eioOpen, `{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, -1},
		{"1", eioClose, "", -1},
		{"2", eioPing, "", -1},
		{"2probe", eioPing, "probe", -1},
		{"3", eioPong, "", -1},
		{"5", eioUpgrade, "", -1},
		{"6", eioNoop, "", -1},
		{`40{"sid":"x"}`, sioConnect, `{"sid":"x"}`, -1},
		{"40", sioConnect, "", -1},
		{`40/,{"sid":"x"}`, sioConnect, `{"sid":"x"}`, -1},
		{"41", sioDisconnect, "", -1},
		{`42["message","{\"seq\":1}"]`, sioEvent, `["message","{\"seq\":1}"]`, -1},
		{`4217["message",{}]`, sioEvent, `["message",{}]`, 17},
		{`42/,3["m"]`, sioEvent, `["m"]`, 3},
		{`43["a"]`, sioAck, `["a"]`, -1},
		{`4312[]`, sioAck, `[]`, 12},
		{`44{"message":"Invalid namespace"}`, sioConnectError, `{"message":"Invalid namespace"}`, -1},
	}
	for _, tc := range ok {
		pk, _, err := parsePacket([]byte(tc.p), nil)
		if err != nil || pk.kind != tc.kind || string(pk.data) != tc.data || pk.ack != tc.ack {
			t.Errorf("parsePacket(%q) = kind %d data %q ack %d, %v; want kind %d data %q ack %d", tc.p, pk.kind, pk.data, pk.ack, err, tc.kind, tc.data, tc.ack)
		}
	}
	bad := map[string]string{
		"":      "empty",
		"7":     "type",
		"bAQID": "binary",
		"4":     "without a Socket.IO packet type",
		"47":    "type",
		`451-["m",{"_placeholder":true,"num":0}]`: "binary",
		`42/admin,["message","x"]`:                "namespace",
		`40/admin,`:                               "namespace",
		`0{"sid":`:                                "not JSON",
		`0["sid"]`:                                "not an object",
		`0 {"sid":"a"}`:                           "not an object",
		`40{"sid":"a"} `:                          "not an object",
		`42{"message":1}`:                         "not an array",
		`42[]`:                                    "start with its name",
		`42[1,"x"]`:                               "start with its name",
		`42["message","x"`:                        "not JSON",
		"41x":                                     "disconnect packet with data",
		"421234567890123456[]":                    "digits",
	}
	for p, want := range bad {
		_, _, err := parsePacket([]byte(p), nil)
		if !errors.Is(err, ErrNotSocketIO) || !strings.Contains(err.Error(), want) {
			t.Errorf("parsePacket(%q) = %v, want an ErrNotSocketIO naming %q", p, err, want)
		}
	}
}

// TestEventDocument: the document is the event's first argument, a
// string's decoded contents or any other value's JSON text; events of
// another name hold none, events without an argument an empty one.
func TestEventDocument(t *testing.T) {
	cases := []struct {
		data, event, doc string
		named            bool
	}{
		{`["message","{\"seq\":1,\"sent\":\"2\",\"payload\":\"a\\\"b\\u00e9\"}"]`, "message", `{"seq":1,"sent":"2","payload":"a\"b\u00e9"}`, true},
		{`["message",{"seq":1},"more"]`, "message", `{"seq":1}`, true},
		{`[ "message" , [1, 2] ]`, "message", `[1, 2]`, true},
		{`["mess\u0061ge","x"]`, "message", `x`, true},
		{`["message"]`, "message", ``, true},
		{`["other","{}"]`, "message", ``, false},
		{`["messages","{}"]`, "message", ``, false},
		{`["é","é"]`, "é", `é`, true},
	}
	for _, tc := range cases {
		doc, named, _ := eventDocument([]byte(tc.data), tc.event, nil)
		if string(doc) != tc.doc || named != tc.named {
			t.Errorf("eventDocument(%s, %q) = %q, %v; want %q, %v", tc.data, tc.event, doc, named, tc.doc, tc.named)
		}
	}
}

// TestParseHandshake: the open packet's sid and heartbeat are read; an
// open packet without a sid, or with a heartbeat that is not a
// non-negative integer, is refused.
func TestParseHandshake(t *testing.T) {
	var h eioHandshake
	p := []byte(`0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	if err := parseHandshake(p, p[1:], &h); err != nil || string(h.sid) != "lv_VI97HAXpY6yYWAAAC" || h.pingInterval != 25000 || h.pingTimeout != 20000 {
		t.Fatalf("parseHandshake = %+v, %v", h, err)
	}
	for _, data := range []string{`{"pingInterval":1}`, `{"sid":""}`, `{"sid":1}`, `{"sid":"a","pingInterval":1.5}`, `{"sid":"a","pingTimeout":-1}`, `{"sid":"a","pingTimeout":"1"}`} {
		if err := parseHandshake([]byte("0"+data), []byte(data), &h); !errors.Is(err, ErrNotSocketIO) {
			t.Errorf("parseHandshake(%s) = %v, want ErrNotSocketIO", data, err)
		}
	}
}

// The per-message path (an event packet parsed, its string argument
// unescaped, pushbench's message decoded) does not allocate once its
// buffers have grown.
func TestSocketIOEventDoesNotAllocate(t *testing.T) {
	msg := `{"seq":123456,"sent":"1700000000123456789","payload":"` + strings.Repeat("x", 100) + `"}`
	arg, _ := json.Marshal(msg)
	p := []byte(`42["message",` + string(arg) + `]`)
	dec, err := NewDecoder("", false)
	if err != nil {
		t.Fatal(err)
	}
	var stack, buf []byte
	n := 0
	allocs := testing.AllocsPerRun(200, func() {
		var pk sioPacket
		var err error
		if pk, stack, err = parsePacket(p, stack); err != nil {
			t.Fatal(err)
		}
		var doc []byte
		doc, _, buf = eventDocument(pk.data, "message", buf)
		if _, err := dec.Reset(doc); err != nil {
			t.Fatal(err)
		}
		m, more, err := dec.Next()
		if err != nil || !more || m.Seq != 123456 || m.Sent != 1700000000123456789 || m.PayloadSize != 100 {
			t.Fatalf("message %+v, %v, %v", m, more, err)
		}
		n++
	})
	if allocs != 0 || n == 0 {
		t.Errorf("%v allocations per event packet, want 0", allocs)
	}
}

// referencePacket is what parsePacket and eventDocument promise, written
// with encoding/json and plain string operations: the kind by the type
// digits, the namespace and acknowledgement id as the format puts them,
// the data's JSON checked with json.Valid and the event's document found
// with json.Unmarshal. ok is false where parsePacket must fail.
func referencePacket(p []byte, event string) (kind sioKind, data, doc []byte, named, ok bool) {
	if len(p) == 0 {
		return 0, nil, nil, false, false
	}
	eio := map[byte]sioKind{'0': eioOpen, '1': eioClose, '2': eioPing, '3': eioPong, '5': eioUpgrade, '6': eioNoop}
	if k, found := eio[p[0]]; found {
		if k == eioOpen && !jsonIs(p[1:], '{') {
			return 0, nil, nil, false, false
		}
		return k, p[1:], nil, false, true
	}
	if p[0] != '4' || len(p) < 2 {
		return 0, nil, nil, false, false
	}
	sio := map[byte]sioKind{'0': sioConnect, '1': sioDisconnect, '2': sioEvent, '3': sioAck, '4': sioConnectError}
	kind, found := sio[p[1]]
	if !found {
		return 0, nil, nil, false, false
	}
	rest := p[2:]
	if len(rest) > 0 && rest[0] == '/' {
		nsp, after, comma := bytes.Cut(rest, []byte(","))
		if string(nsp) != "/" {
			return 0, nil, nil, false, false
		}
		if comma {
			rest = after
		} else {
			rest = nil
		}
	}
	if kind == sioEvent || kind == sioAck {
		digits := len(rest) - len(bytes.TrimLeft(rest, "0123456789"))
		if digits > maxAckDigits {
			return 0, nil, nil, false, false
		}
		rest = rest[digits:]
	}
	switch kind {
	case sioDisconnect:
		return kind, rest, nil, false, len(rest) == 0
	case sioConnect:
		if len(rest) == 0 {
			return kind, rest, nil, false, true
		}
		return kind, rest, nil, false, jsonIs(rest, '{')
	case sioConnectError:
		return kind, rest, nil, false, jsonIs(rest, '{')
	case sioAck:
		return kind, rest, nil, false, jsonIs(rest, '[')
	}
	if !jsonIs(rest, '[') {
		return 0, nil, nil, false, false
	}
	var args []json.RawMessage
	if err := json.Unmarshal(rest, &args); err != nil {
		panic(err)
	}
	var name string
	if len(args) == 0 || args[0][0] != '"' {
		return 0, nil, nil, false, false
	}
	if err := json.Unmarshal(args[0], &name); err != nil {
		panic(err)
	}
	if name != event {
		return kind, rest, nil, false, true
	}
	if len(args) < 2 {
		return kind, rest, nil, true, true
	}
	if args[1][0] != '"' {
		return kind, rest, args[1], true, true
	}
	var s string
	if err := json.Unmarshal(args[1], &s); err != nil {
		panic(err)
	}
	return kind, rest, []byte(s), true, true
}

func jsonIs(data []byte, first byte) bool {
	return json.Valid(data) && data[0] == first && !isSpace(data[len(data)-1])
}

// FuzzSocketIOPacket: for any packet, parsePacket and eventDocument agree
// with the reference (kind, data, the event's document, or failure), and
// a failure wraps ErrNotSocketIO.
func FuzzSocketIOPacket(f *testing.F) {
	for _, s := range []string{
		`0{"sid":"a","pingInterval":25000,"pingTimeout":20000}`, "2", "3probe", "6", "1",
		`40{"sid":"x"}`, "40", `40/,{}`, "41", `44{"message":"no"}`, `43["a"]`, `4212["message"]`,
		`42["message","{\"seq\":1,\"sent\":\"2\",\"payload\":\"\\u00e9\"}"]`, `42["message",{"seq":1}]`,
		`42["other","x"]`, `42/admin,["message","x"]`, `451-["m",{"_placeholder":true,"num":0}]`, "bAQID", "",
		`42["message","\ud800"]`, "42[\"message\",\"\xff\"]",
	} {
		f.Add([]byte(s), "message")
	}
	f.Fuzz(func(t *testing.T, p []byte, event string) {
		if !utf8.ValidString(event) {
			return // an endpoint's event name is YAML text, valid UTF-8
		}
		pk, _, err := parsePacket(p, nil)
		kind, data, wantDoc, wantNamed, ok := referencePacket(p, event)
		if !ok {
			if !errors.Is(err, ErrNotSocketIO) {
				t.Fatalf("parsePacket(%q) = %v, want an ErrNotSocketIO", p, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("parsePacket(%q) = %v, want kind %d", p, err, kind)
		}
		if pk.kind != kind || !bytes.Equal(pk.data, data) {
			t.Fatalf("parsePacket(%q) = kind %d data %q, want kind %d data %q", p, pk.kind, pk.data, kind, data)
		}
		if kind != sioEvent {
			return
		}
		doc, named, _ := eventDocument(pk.data, event, nil)
		if named != wantNamed || !bytes.Equal(doc, wantDoc) {
			t.Fatalf("eventDocument(%q, %q) = %q, %v; want %q, %v", pk.data, event, doc, named, wantDoc, wantNamed)
		}
	})
}
