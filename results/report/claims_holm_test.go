package report

import (
	"math"
	"testing"
)

// Holm-Bonferroni over p = 0.03, 0.04, 0.2: uncorrected, the first two are
// below alpha 0.05; corrected (0.09, 0.09, 0.2) none is, so a claim that
// rested on them is not decided.
func TestHolmUndoesARawVerdict(t *testing.T) {
	j := newJudging()
	var cs []*comparison
	for _, p := range []float64{0.04, 0.2, 0.03} {
		cs = append(cs, j.add(string(rune('a'+len(cs))), &comparison{label: "x", p: p, above: true, unit: num}))
	}
	raw := 0
	for _, c := range cs {
		if c.p < 0.05 {
			raw++
		}
	}
	if raw != 2 {
		t.Fatalf("%d raw p-values below 0.05, want 2", raw)
	}
	j.holm()
	for i, want := range []float64{0.09, 0.2, 0.09} {
		if math.Abs(cs[i].adj-want) > 1e-12 || cs[i].sig {
			t.Errorf("p %.2f: Holm %.3f (significant %v), want %.2f, not significant", cs[i].p, cs[i].adj, cs[i].sig, want)
		}
	}
	if v := pairsVerdict([]*comparison{cs[0], cs[2]}); v != NotDecided {
		t.Errorf("the two raw-significant comparisons give %s after Holm, want not decided", v)
	}
	// Alone in its family, p 0.03 stays 0.03 and decides.
	k := newJudging()
	a := k.add("a", &comparison{p: 0.03, above: true})
	k.holm()
	if v := pairsVerdict([]*comparison{a}); v != Supported || a.adj != 0.03 {
		t.Errorf("p 0.03 alone: Holm %.3f, %s, want 0.03, supported", a.adj, v)
	}
}

// The sign test is exact: n repetitions all above the value give 2/2^n.
func TestSignP(t *testing.T) {
	for _, c := range []struct {
		vals []float64
		want float64
	}{
		{[]float64{0.9}, 1},
		{[]float64{0.9, 0.8, 0.7, 0.6, 0.9, 0.8}, 2.0 / 64},
		{[]float64{0.9, 0.8, 0.7, 0.6, 0.9, 0.4}, 2 * 7.0 / 64},
		{[]float64{0.5, 0.5}, 1},
	} {
		if got := signP(c.vals, 0.5); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("signP(%v, 0.5) = %g, want %g", c.vals, got, c.want)
		}
	}
}
