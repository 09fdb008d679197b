// Package facts is what pushbench knows of its transports apart from their
// code: their names, how a variant's name is formed, the facts the report
// and the plots read (display order, style, which claims a transport
// enters, the protocol's framing minimum) and the built-in transports'
// values of them. It is a leaf: the transports' descriptors, the load
// generator, the harness and the results all read it, and it imports only
// the wire format.
package facts

import (
	"hash/fnv"

	"github.com/pushbench/pushbench/transports/wire"
)

// Facts are what the report and the plots know of a transport: its place
// among the others, how it is drawn, which claims it enters. A record
// carries the facts of its transport's descriptor, so a report of old or
// remote results needs no registry; records without them fall back to
// Builtin.
type Facts struct {
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
	// NoBrowser: a browser cannot open its connections (raw TCP); its
	// variants inherit it.
	NoBrowser bool `json:"no_browser,omitempty"`
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
	// deliver this record's message to one client (see Builtin's doc); 0
	// when not known.
	MinimumBytes int `json:"minimum_bytes,omitempty"`
	// MessageBytes is this record's message as the transport carries it
	// (Carried); 0 when not known.
	MessageBytes int `json:"message_bytes,omitempty"`
}

// Family is the base transport's name: Base for a variant, else name.
func (f Facts) Family(name string) string {
	if f.Base != "" {
		return f.Base
	}
	return name
}

// Plain reports whether the facts are of a plaintext HTTP/1.1 (or plain
// TCP) transport: the records claims compare unless they say otherwise.
func (f Facts) Plain() bool { return f.Variant == "" }

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
	VariantTLS: {2, 2},
	VariantH2:  {8, 3, 2, 3},
	VariantH2C: {4, 4},
}

var spareDashes = [][]float64{{1, 3}, {10, 2, 2, 2, 2, 2}, {6, 6}}

// VariantOf is the facts of variant of a base transport, derived from the
// base's: its style in the base's colour and marker with a dash of the
// variant's own, its order, its minimum. Floor is not inherited: a variant
// of the floor is not the floor.
func VariantOf(base Facts, baseName, variant string) Facts {
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

// Carried is the bytes of one message as a transport carries it: a text
// message is size bytes (its encoded JSON); a binary payload of size bytes
// travels raw behind wire's binary header when raw (WebSocket, raw TCP),
// else base64 inside the JSON message {"seq","sent","size","base64"} (SSE,
// polls: 4 bytes per 3, padded, plus the envelope, with seq 1 and a
// 19-digit sent as a run's message size is counted).
func Carried(raw bool, size int, binary bool) int {
	switch {
	case !binary:
		return size
	case raw:
		return wire.BinaryHeaderSize + size
	}
	return wire.BinaryJSONLen(1, 1e18, size) // 1e18: any 19-digit time
}
