package results

import (
	"github.com/pushbench/pushbench/transports/facts"
)

// TransportFacts are what the report and the plots know of a transport
// (facts.Facts): a record carries its transport descriptor's
// (transports.Transport.Facts), so a report of old or remote results needs
// no registry; records without them fall back to facts.Builtin.
type TransportFacts = facts.Facts

// Style is how a transport is drawn (facts.Style).
type Style = facts.Style

// VariantOf is facts.VariantOf: the facts of a variant of a base, derived
// from the base's.
func VariantOf(base TransportFacts, baseName, variant string) TransportFacts {
	return facts.VariantOf(base, baseName, variant)
}

// Builtin is facts.Builtin: the facts of a built-in base transport for a
// message of size bytes; ok is false for any other name.
func Builtin(name string, size int, binary bool) (TransportFacts, bool) {
	return facts.Builtin(name, size, binary)
}

// Carried is facts.Carried: the bytes of one message as a transport
// carries it.
func Carried(raw bool, size int, binary bool) int { return facts.Carried(raw, size, binary) }

// SizeOf is the size Builtin and a descriptor's facts take for p's
// message: the payload's length for a binary one, else the JSON message's.
func SizeOf(p Params) int {
	if p.Binary {
		return p.Payload
	}
	return p.MessageBytes
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
	if base, variant, ok := facts.SplitName(r.Transport); ok {
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

// BuiltinTransports are the names Builtin knows, sorted
// (facts.BuiltinNames).
func BuiltinTransports() []string { return facts.BuiltinNames() }
