package results_test

import (
	"testing"

	"github.com/pushbench/pushbench/results"
)

func TestReconcileCatchesCountsThatDisagree(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    results.Counts
		ok   bool
	}{
		{"consistent", results.Counts{Expected: 10, Delivered: 9, Lost: 1, Late: 2, Raw: 9}, true},
		{"every arrival accounted for", results.Counts{Expected: 10, Delivered: 9, Lost: 1, Duplicates: 2, Unexpected: 1, Discarded: 3, Raw: 15}, true},
		{"a delivery counted twice", results.Counts{Expected: 10, Delivered: 10, Lost: 1, Raw: 10}, false},
		{"a loss not counted", results.Counts{Expected: 10, Delivered: 8, Lost: 1, Raw: 8}, false},
		{"more late than delivered", results.Counts{Expected: 10, Delivered: 2, Lost: 8, Late: 3, Raw: 2}, false},
		{"an arrival dropped after the parser", results.Counts{Expected: 10, Delivered: 9, Lost: 1, Raw: 10}, false},
		{"a delivery no parser handed over", results.Counts{Expected: 10, Delivered: 10, Raw: 9}, false},
	} {
		if err := tt.c.Reconcile(); (err == nil) != tt.ok {
			t.Errorf("%s: Reconcile() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	var sum results.Counts
	sum.Add(results.Counts{Expected: 5, Delivered: 5, ClientsWithLoss: 0})
	sum.Add(results.Counts{Expected: 5, Delivered: 3, Lost: 2, ClientsWithLoss: 1, Unexpected: 4})
	if want := (results.Counts{Expected: 10, Delivered: 8, Lost: 2, ClientsWithLoss: 1, Unexpected: 4}); sum != want {
		t.Errorf("Add: got %+v, want %+v", sum, want)
	}
}
