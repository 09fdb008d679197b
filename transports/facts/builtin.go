package facts

import (
	"slices"
	"sort"
)

// Descriptor is the facts a transport's descriptor gives for every
// message: Facts without the message's sizes, and the protocol's framing
// minimum as a function of the message's size as carried (nil: the message
// alone).
type Descriptor struct {
	Facts
	FramingMinimum func(size int) int
}

// builtin are the built-in base transports' descriptor facts: their
// descriptors take them from here (transports.Describe), and records that
// carry no facts (older runs) fall back to them (Builtin).
var builtin = map[string]Descriptor{
	RawTCP: {Facts{Floor: true, Push: true, RawBinary: true, NoBrowser: true, Representative: true, Order: 10,
		Style: Style{Color: "#000000", Dashes: []float64{6, 3}, Width: 2.2, Glyph: "cross"}}, RawMinimum},
	WebSocket: {Facts{Push: true, Upgrades: true, RawBinary: true, Representative: true, Order: 20,
		Style: Style{Color: "#0072B2", Glyph: "circle"}}, WebSocketMinimum},
	SSELean: {Facts{Push: true, EventSource: true, HonoursRetry: true, Representative: true, Order: 30,
		Style: Style{Color: "#009E73", Glyph: "triangle"}}, SSEMinimum},
	SSE: {Facts{Push: true, EventSource: true, Order: 40,
		Style: Style{Color: "#E69F00", Glyph: "square"}}, SSEMinimum},
	LongPoll: {Facts{Representative: true, Order: 50,
		Style: Style{Color: "#CC79A7", Glyph: "pyramid"}}, PollMinimum},
	ShortPoll: {Facts{PollInterval: true, Representative: true, Order: 60,
		Style: Style{Color: "#D55E00", Glyph: "ring"}}, PollMinimum},
}

// Of is the descriptor facts of a built-in base transport (a copy: its
// style's dashes are its own); ok is false for any other name.
func Of(name string) (d Descriptor, ok bool) {
	d, ok = builtin[name]
	d.Style.Dashes = slices.Clone(d.Style.Dashes)
	return d, ok
}

// ForMessage is d's facts for a message of size bytes (binary: a binary
// payload of size bytes): MessageBytes the message as carried, MinimumBytes
// the framing minimum of it (the message alone without one).
func (d Descriptor) ForMessage(size int, binary bool) Facts {
	f := d.Facts
	f.Style.Dashes = slices.Clone(f.Style.Dashes)
	f.MessageBytes = Carried(f.RawBinary, size, binary)
	f.MinimumBytes = f.MessageBytes
	if d.FramingMinimum != nil {
		f.MinimumBytes = d.FramingMinimum(f.MessageBytes)
	}
	return f
}

// Builtin is the facts of one of the built-in base transports for a
// message of size bytes (text: the encoded JSON message; binary: size is
// the payload's length, and the message is as Carried sizes it), with
// MessageBytes the message as carried and MinimumBytes the protocol's
// minimum (the Minimum functions' docs); both 0 for size 0 of text. ok is
// false for any other name.
func Builtin(name string, size int, binary bool) (f Facts, ok bool) {
	d, ok := Of(name)
	if !ok {
		return Facts{}, false
	}
	if size > 0 || binary {
		return d.ForMessage(size, binary), true
	}
	return d.Facts, true
}

// BuiltinNames are the names Builtin knows, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
