package results

import (
	"hash/fnv"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/transports/wire"
)

// TransportFacts are what the report and the plots know of a transport:
// its place among the others, how it is drawn, which claims it enters. A
// record carries the facts of its transport's descriptor
// (transports.Transport.Facts), so a report of old or remote results needs
// no registry; records without them fall back to Builtin.
type TransportFacts struct {
	// Base is the transport a variant is built on ("sse" for "sse+h2"),
	// "" for a base transport; Variant names the variant ("tls", "h2",
	// "h2c"), "" for plaintext HTTP/1.1 (or plain TCP).
	Base    string `json:"base,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Floor marks the transport every ratio is taken against.
	Floor bool `json:"floor,omitempty"`
	// Push: it streams to a held connection; false for polls.
	Push bool `json:"push"`
	// PollInterval: its client polls on an interval (short poll).
	PollInterval bool `json:"poll_interval,omitempty"`
	// EventSource: an SSE transport.
	EventSource bool `json:"event_source,omitempty"`
	// Upgrades: it starts with an HTTP Upgrade handshake (WebSocket).
	Upgrades bool `json:"upgrades,omitempty"`
	// RawBinary: a binary payload travels raw behind wire's binary header
	// (WebSocket binary frames, raw frames), not base64 in the JSON message.
	RawBinary bool `json:"raw_binary,omitempty"`
	// HonoursRetry: its client takes the server's SSE retry: as its delay.
	HonoursRetry bool `json:"honours_retry,omitempty"`
	// Representative: the claims take it for its protocol where they
	// compare protocols rather than libraries (sse-lean for SSE, not the
	// r3labs library, whose own costs are not the protocol's).
	Representative bool `json:"representative,omitempty"`
	// Order is the display rank, leanest first (the plots' order; tables
	// list the other way round, the floor last); variants share their
	// base's. 0 places a transport after the ranked ones.
	Order int `json:"order,omitempty"`
	// Style is how the plots draw it.
	Style Style `json:"style"`
	// MinimumBytes is the fewest bytes the protocol needs on the wire to
	// deliver this record's message to one client (see Builtin's
	// doc); 0 when not known.
	MinimumBytes int `json:"minimum_bytes,omitempty"`
	// MessageBytes is this record's message as the transport carries it
	// (Carried); 0 when not known.
	MessageBytes int `json:"message_bytes,omitempty"`
}

// Family is the base transport's name: Base for a variant, else name.
func (f TransportFacts) Family(name string) string {
	if f.Base != "" {
		return f.Base
	}
	return name
}

// Plain reports whether the facts are of a plaintext HTTP/1.1 (or plain
// TCP) transport: the records claims compare unless they say otherwise.
func (f TransportFacts) Plain() bool { return f.Variant == "" }

// Style is how a transport is drawn, as plain data: colour "#rrggbb",
// line dashes and width in points (nil dashes: solid; width 0: 2 points)
// and the marker: cross, circle, triangle, square, pyramid, ring, box or
// plus. A zero Style (no Color) leaves the choice to the plots.
type Style struct {
	Color  string    `json:"color,omitempty"`
	Dashes []float64 `json:"dashes,omitempty"`
	Width  float64   `json:"width,omitempty"`
	Glyph  string    `json:"glyph,omitempty"`
}

// IsZero reports whether no style is set.
func (s Style) IsZero() bool { return s.Color == "" }

// variantDashes gives each variant of a base its own line, the base's
// colour kept.
var variantDashes = map[string][]float64{
	"tls": {2, 2},
	"h2":  {8, 3, 2, 3},
	"h2c": {4, 4},
}

var spareDashes = [][]float64{{1, 3}, {10, 2, 2, 2, 2, 2}, {6, 6}}

// VariantOf is the facts of variant of a base transport, derived from the
// base's: its style in the base's colour and marker with a dash of the
// variant's own, its order, its minimum. Floor is not inherited: a variant
// of the floor is not the floor.
func VariantOf(base TransportFacts, baseName, variant string) TransportFacts {
	f := base
	f.Base, f.Variant, f.Floor = baseName, variant, false
	f.Style.Dashes = variantDashes[variant]
	if f.Style.Dashes == nil {
		h := fnv.New32a()
		h.Write([]byte(variant))
		f.Style.Dashes = spareDashes[h.Sum32()%uint32(len(spareDashes))]
	}
	return f
}

// builtin are the six base transports' facts as their descriptors had them
// before records carried facts: the fallback for such records.
var builtin = map[string]struct {
	facts   TransportFacts
	minimum func(size int) int
}{
	"rawtcp": {TransportFacts{Floor: true, Push: true, RawBinary: true, Representative: true, Order: 10,
		Style: Style{Color: "#000000", Dashes: []float64{6, 3}, Width: 2.2, Glyph: "cross"}}, rawMinimum},
	"websocket": {TransportFacts{Push: true, Upgrades: true, RawBinary: true, Representative: true, Order: 20,
		Style: Style{Color: "#0072B2", Glyph: "circle"}}, websocketMinimum},
	"sse-lean": {TransportFacts{Push: true, EventSource: true, HonoursRetry: true, Representative: true, Order: 30,
		Style: Style{Color: "#009E73", Glyph: "triangle"}}, sseMinimum},
	"sse": {TransportFacts{Push: true, EventSource: true, Order: 40,
		Style: Style{Color: "#E69F00", Glyph: "square"}}, sseMinimum},
	"longpoll": {TransportFacts{Representative: true, Order: 50,
		Style: Style{Color: "#CC79A7", Glyph: "pyramid"}}, pollMinimum},
	"shortpoll": {TransportFacts{PollInterval: true, Representative: true, Order: 60,
		Style: Style{Color: "#D55E00", Glyph: "ring"}}, pollMinimum},
}

// Builtin is the facts of one of the six base transports for a message of
// size bytes (text: the encoded JSON message; binary: size is the payload's
// length, and the message is as Carried sizes it), with MessageBytes the
// message as carried and MinimumBytes the protocol's minimum: the message plus
// its unavoidable framing, server to client only, without TCP/IP headers,
// handshakes and keep-alives:
//
//   - rawtcp: a 4-byte length prefix + the message.
//   - websocket: a server frame header (unmasked, so no masking key) of 2
//     bytes for messages up to 125 bytes, 4 up to 65535, 10 above; binary
//     frames carry a binary message raw (RawBinary).
//   - sse, sse-lean: the event "id: N\ndata: <message>\n\n" with a 1-digit
//     id (14 bytes of framing). The HTTP/1.1 chunk framing around it is left
//     out: a server packs several events into one chunk when it flushes a
//     batch, so per event it can cost almost nothing, and a minimum must be
//     a lower bound. A binary payload is base64 in the JSON message.
//   - longpoll, shortpoll: the message in the JSON array of a poll
//     response plus its share of the brackets and commas, taken as 1 byte;
//     a binary payload base64 in it. The HTTP request and response headers are paid per
//     poll, not per message, so they are not part of this minimum; with one
//     message per poll they dominate the measured bytes.
//
// ok is false for any other name.
func Builtin(name string, size int, binary bool) (f TransportFacts, ok bool) {
	b, ok := builtin[name]
	if !ok {
		return TransportFacts{}, false
	}
	f = b.facts
	f.Style.Dashes = append([]float64(nil), f.Style.Dashes...)
	if size > 0 || binary {
		f.MessageBytes = Carried(f.RawBinary, size, binary)
		f.MinimumBytes = b.minimum(f.MessageBytes)
	}
	return f, true
}

// Carried is the bytes of one message as a transport carries it: a text
// message is size bytes (its encoded JSON); a binary payload of size bytes
// travels raw behind wire's binary header when raw (WebSocket, raw TCP),
// else base64 inside the JSON message {"seq","sent","size","base64"} (SSE,
// polls: 4 bytes per 3, padded, plus the envelope, with seq 1 and a
// 19-digit sent as Params.MessageBytes is counted).
func Carried(raw bool, size int, binary bool) int {
	switch {
	case !binary:
		return size
	case raw:
		return wire.BinaryHeaderSize + size
	}
	return wire.BinaryJSONLen(1, 1e18, size) // 1e18: any 19-digit time
}

// SizeOf is the size Builtin and a descriptor's facts take for p's
// message: the payload's length for a binary one, else the JSON message's.
func SizeOf(p Params) int {
	if p.Binary {
		return p.Payload
	}
	return p.MessageBytes
}

func rawMinimum(n int) int { return 4 + n }

func websocketMinimum(n int) int {
	switch {
	case n <= 125:
		return 2 + n
	case n <= 65535:
		return 4 + n
	}
	return 10 + n
}

func sseMinimum(n int) int {
	return len("id: 1\ndata: ") + n + len("\n\n")
}

func pollMinimum(n int) int {
	return n + 1
}

// FactsOf is r's transport facts: those the record carries, else the
// built-in ones of its name (a variant "base+variant" of a built-in base
// derived with VariantOf). ok is false for a record of an unknown
// transport without facts.
func FactsOf(r Record) (TransportFacts, bool) {
	if r.Facts != nil {
		return *r.Facts, true
	}
	if f, ok := Builtin(r.Transport, SizeOf(r.Params), r.Params.Binary); ok {
		return f, true
	}
	if base, variant, cut := strings.Cut(r.Transport, "+"); cut {
		if f, ok := Builtin(base, SizeOf(r.Params), r.Params.Binary); ok {
			return VariantOf(f, base, variant), true
		}
	}
	return TransportFacts{}, false
}

// MinimumOf is the protocol minimum of r's message in bytes (FactsOf's
// MinimumBytes), or the message alone when the transport's is not known.
func MinimumOf(r Record) int {
	if f, ok := FactsOf(r); ok && f.MinimumBytes > 0 {
		return f.MinimumBytes
	}
	return MessageBytesOf(r)
}

// MessageBytesOf is r's message as its transport carries it (a binary
// payload raw or base64: Carried), or Params.MessageBytes when not known.
func MessageBytesOf(r Record) int {
	if f, ok := FactsOf(r); ok && f.MessageBytes > 0 {
		return f.MessageBytes
	}
	return r.Params.MessageBytes
}

// BuiltinTransports are the names Builtin knows, sorted.
func BuiltinTransports() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
