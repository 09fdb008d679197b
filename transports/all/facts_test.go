package all_test

import (
	"reflect"
	"testing"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
)

// The facts old records fall back to (facts.Builtin) are those the six
// base transports' descriptors give new records, so a report reads both
// alike.
func TestBuiltinFactsAreTheDescriptors(t *testing.T) {
	for _, name := range facts.BuiltinNames() {
		tr, err := transports.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 100, 125, 126, 65535, 65536, 1 << 20} {
			for _, binary := range []bool{false, true} {
				want, _ := facts.Builtin(name, size, binary)
				if got := tr.Facts(size, binary); !reflect.DeepEqual(*got, want) {
					t.Errorf("%s (size %d, binary %v): descriptor facts %+v, built in %+v", name, size, binary, *got, want)
				}
			}
		}
	}
}

// Every registered transport, variants included, has what the report and
// plots need: an order, a style, a minimum no smaller than the message;
// one floor, plaintext; a variant's base registered.
func TestEveryTransportHasFacts(t *testing.T) {
	floors := 0
	forEach(t, func(t *testing.T, tr transports.Transport) {
		f := tr.Facts(100, false)
		if f.Order <= 0 || f.Style.IsZero() || f.MinimumBytes < 100 {
			t.Errorf("facts %+v: want an order, a style and a minimum of at least the message", *f)
		}
		if f.Floor {
			floors++
			if !f.Plain() {
				t.Errorf("the floor is a variant (%s)", f.Variant)
			}
		}
		if tr.Base != "" {
			if _, err := transports.Lookup(tr.Base); err != nil {
				t.Errorf("variant of an unregistered base: %v", err)
			}
		}
	})
	if floors != 1 {
		t.Errorf("%d floors registered, want 1", floors)
	}
}
