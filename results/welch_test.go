package results

import (
	"math"
	"testing"
)

// studentT4Two is the two-sided tail of Student's t with 4 degrees of
// freedom in closed form, an oracle independent of WelchP's library.
func studentT4Two(t float64) float64 {
	u := 1 + t*t/4
	cdf := 0.5 + 3.0/8*(t/math.Sqrt(u))*(1-t*t/(12*u))
	return 2 * (1 - cdf)
}

func TestWelchPMatchesTheClosedForm(t *testing.T) {
	// Equal sizes and variances: Welch's degrees of freedom are 2(n-1) = 4.
	a, b := []float64{1, 2, 3}, []float64{4, 5, 6}
	tstat := 3 / math.Sqrt(2.0/3)
	want := studentT4Two(tstat)
	if got := WelchP(a, b); math.Abs(got-want) > 1e-9 {
		t.Fatalf("WelchP = %g, want %g", got, want)
	}
	if got := WelchP(b, a); math.Abs(got-want) > 1e-9 {
		t.Fatalf("WelchP is not symmetric: %g, want %g", got, want)
	}
}

func TestWelchPSeparatesWhatARankTestCannot(t *testing.T) {
	// Three repetitions a side of a per-connection figure, 2x apart with
	// a few percent of spread: the rank test's p is 0.10 at best.
	ws := []float64{19.6, 19.9, 20.3}
	sse := []float64{42.6, 41.8, 43.5}
	if p, _ := Significance(ws, sse); p < 0.1 {
		t.Fatalf("Mann-Whitney p = %g below its floor of 0.10 at 3 a side", p)
	}
	if p := WelchP(ws, sse); p > 1e-4 {
		t.Fatalf("WelchP = %g: a 2x difference with 2%% spread should be far below 1e-4", p)
	}
	// Overlapping samples decide nothing.
	if p := WelchP([]float64{10, 12, 14}, []float64{11, 13, 15}); p < 0.3 {
		t.Fatalf("WelchP = %g for overlapping samples", p)
	}
}

func TestWelchPCannotEstimateWithoutSpread(t *testing.T) {
	for _, c := range [][2][]float64{
		{{1}, {2, 3}},       // one value a side cannot give a variance
		{{5, 5, 5}, {7, 7}}, // neither varies
		{{}, {1, 2}},        // empty
	} {
		if p := WelchP(c[0], c[1]); p != 1 {
			t.Errorf("WelchP(%v, %v) = %g, want 1", c[0], c[1], p)
		}
	}
}
