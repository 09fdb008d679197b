package transports

import (
	"slices"

	"github.com/pushbench/pushbench/transports/facts"
)

// Style is how the plots draw a transport, as plain data (colour, dashes,
// width, marker): facts.Style.
type Style = facts.Style

// Describe is a descriptor of the built-in transport name with its facts
// (facts.Of: Push, EventSource, HonoursRetry, Upgrades, NoBrowser, PollInterval,
// Floor, Order, Representative, Style, RawBinary, FramingMinimum) filled
// in, for its package to add its halves to and register; it panics on a
// name facts does not know (a programming error found at init).
func Describe(name string) Transport {
	d, ok := facts.Of(name)
	if !ok {
		panic("transports: no built-in facts for " + name)
	}
	return Transport{Name: name,
		Push: d.Push, EventSource: d.EventSource, HonoursRetry: d.HonoursRetry, Upgrades: d.Upgrades, NoBrowser: d.NoBrowser,
		PollInterval: d.PollInterval, Floor: d.Floor, Order: d.Order, Representative: d.Representative,
		Style: d.Style, RawBinary: d.RawBinary, FramingMinimum: d.FramingMinimum}
}

// descriptor is t's facts as facts.Descriptor holds them.
func (t Transport) descriptor() facts.Descriptor {
	return facts.Descriptor{Facts: facts.Facts{
		Base: t.Base, Variant: t.Variant, Floor: t.Floor, Push: t.Push, PollInterval: t.PollInterval,
		EventSource: t.EventSource, Upgrades: t.Upgrades, NoBrowser: t.NoBrowser, RawBinary: t.RawBinary, HonoursRetry: t.HonoursRetry,
		Representative: t.Representative, Order: t.Order, Style: t.Style,
	}, FramingMinimum: t.FramingMinimum}
}

// Facts are t's facts for a record whose message is size bytes (binary:
// a binary payload of size bytes, carried as facts.Carried says), as the
// report and plots read them: the descriptor's fields, and MinimumBytes
// from FramingMinimum. A variant takes from its registered base what it
// leaves unset: style (the base's colour and marker with a dash of the
// variant's own: facts.VariantOf), order and framing minimum.
func (t Transport) Facts(size int, binary bool) *facts.Facts {
	f := t.descriptor().ForMessage(size, binary)
	if t.Base != "" && t.Base != t.Name {
		if base, err := Lookup(t.Base); err == nil {
			derived := facts.VariantOf(*base.Facts(size, binary), t.Base, t.Variant)
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
	f.Style.Dashes = slices.Clip(f.Style.Dashes)
	return &f
}
