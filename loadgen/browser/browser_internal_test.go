package browser

import "testing"

// TestClockCorrectionOnlyBeyondItsUncertainty: an offset within the
// reading's uncertainty is noise and corrects nothing; one beyond it is
// taken off the page's readings whole.
func TestClockCorrectionOnlyBeyondItsUncertainty(t *testing.T) {
	for _, tt := range []struct {
		c    Clock
		want float64
	}{
		{Clock{OffsetUs: 40, UncertaintyUs: 60}, 0},
		{Clock{OffsetUs: -40, UncertaintyUs: 60}, 0},
		{Clock{OffsetUs: 400, UncertaintyUs: 60}, 400},
		{Clock{OffsetUs: -400, UncertaintyUs: 60}, -400},
	} {
		if got := tt.c.Correction(); got != tt.want {
			t.Errorf("%+v: correction %v, want %v", tt.c, got, tt.want)
		}
	}
}
