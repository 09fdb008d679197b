package facts_test

import (
	"testing"

	"github.com/pushbench/pushbench/transports/facts"
)

// A variant's name comes apart into the base and variant it was formed
// from; a base's name and malformed names do not.
func TestVariantNames(t *testing.T) {
	for _, base := range facts.BuiltinNames() {
		for _, v := range facts.Variants {
			b, got, ok := facts.SplitName(facts.VariantName(base, v))
			if !ok || b != base || got != v {
				t.Errorf("SplitName(VariantName(%q, %q)) = %q, %q, %v", base, v, b, got, ok)
			}
		}
		if _, _, ok := facts.SplitName(base); ok {
			t.Errorf("SplitName(%q): a base taken for a variant", base)
		}
	}
	for _, bad := range []string{"+tls", "sse+", "+"} {
		if _, _, ok := facts.SplitName(bad); ok {
			t.Errorf("SplitName(%q) = ok", bad)
		}
	}
}

// Of hands out copies: changing one's style does not change the table.
func TestOfIsACopy(t *testing.T) {
	d, ok := facts.Of(facts.RawTCP)
	if !ok || len(d.Style.Dashes) == 0 {
		t.Fatalf("rawtcp: %+v %v, want facts with dashes", d, ok)
	}
	d.Style.Dashes[0] = -1
	if again, _ := facts.Of(facts.RawTCP); again.Style.Dashes[0] == -1 {
		t.Error("Of shares its table's dashes")
	}
	if _, ok := facts.Of("carrier-pigeon"); ok {
		t.Error("Of knows an unknown name")
	}
}

// Exactly one built-in transport is the floor, and every one has an order,
// a style and a minimum of at least the message.
func TestBuiltinFacts(t *testing.T) {
	floors := 0
	for _, name := range facts.BuiltinNames() {
		f, ok := facts.Builtin(name, 100, false)
		if !ok || f.Order <= 0 || f.Style.IsZero() || f.MinimumBytes < 100 || f.MessageBytes != 100 {
			t.Errorf("%s: %+v", name, f)
		}
		if f.Floor {
			floors++
		}
	}
	if floors != 1 {
		t.Errorf("%d floors, want 1", floors)
	}
}
