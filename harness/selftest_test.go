package harness

import (
	"context"
	"testing"
)

// TestSelftestCatchesEveryCountingPlant runs the selftest's plants judged
// on counts: the clean window must come out clean and every planted fault
// must be caught by the check named for it. The timing plants (a held
// message, a stall, a starved load generator) need the CPU the parallel
// test packages take: make test runs `pushbench selftest`, all of them,
// alone after the tests.
func TestSelftestCatchesEveryCountingPlant(t *testing.T) {
	lines, err := Selftest(context.Background(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(plants(false)) || len(lines) < 7 {
		t.Fatalf("%d lines for %d plants", len(lines), len(plants(false)))
	}
	for _, l := range lines {
		t.Logf("%-65s caught=%v  %s", l.Plant, l.Caught, l.By)
	}
	if err := SelftestErr(lines); err != nil {
		t.Error(err)
	}
}

// TestSelftestErrNamesWhatWentUnseen: an unseen plant is an error naming
// it; all seen is nil.
func TestSelftestErrNamesWhatWentUnseen(t *testing.T) {
	if err := SelftestErr([]SelftestLine{{Plant: "a", Caught: true}}); err != nil {
		t.Errorf("all caught: %v", err)
	}
	err := SelftestErr([]SelftestLine{{Plant: "a", Caught: true}, {Plant: "b"}})
	if err == nil || err.Error() != "plants went unseen: 1 of 2 (b)" {
		t.Errorf("one unseen: %v", err)
	}
}
