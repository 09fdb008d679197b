package transports

import (
	"slices"

	"github.com/pushbench/pushbench/results"
)

// Style is how the plots draw a transport, as plain data (colour, dashes,
// width, marker): results.Style.
type Style = results.Style

// Facts are t's facts for a record whose message is size bytes (binary:
// a binary payload of size bytes, carried as results.Carried says), as the report and plots read them: the
// descriptor's fields, and MinimumBytes from FramingMinimum. A variant
// takes from its registered base what it leaves unset: style (the base's
// colour and marker with a dash of the variant's own), order and framing
// minimum.
func (t Transport) Facts(size int, binary bool) *results.TransportFacts {
	f := &results.TransportFacts{
		Base: t.Base, Variant: t.Variant, Floor: t.Floor, Push: t.Push, PollInterval: t.PollInterval,
		EventSource: t.EventSource, Upgrades: t.Upgrades, RawBinary: t.RawBinary, HonoursRetry: t.HonoursRetry,
		Representative: t.Representative, Order: t.Order, Style: t.Style,
	}
	f.Style.Dashes = slices.Clone(t.Style.Dashes)
	f.MessageBytes = results.Carried(t.RawBinary, size, binary)
	if t.FramingMinimum != nil {
		f.MinimumBytes = t.FramingMinimum(f.MessageBytes)
	}
	if t.Base != "" && t.Base != t.Name {
		if base, err := Lookup(t.Base); err == nil {
			derived := results.VariantOf(*base.Facts(size, binary), t.Base, t.Variant)
			if f.Style.IsZero() {
				f.Style = derived.Style
			}
			if f.Order == 0 {
				f.Order = derived.Order
			}
			if t.FramingMinimum == nil {
				f.MinimumBytes = derived.MinimumBytes
			}
		}
	}
	if f.MinimumBytes == 0 {
		f.MinimumBytes = f.MessageBytes
	}
	return f
}
