package plots

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// logTicks marks 1..9 times each power of ten in min..max and labels the
// powers of ten, plus 2 and 5 times them when the range spans at most 2.5
// decades. It never panics: a range that is not positive gets no ticks.
func logTicks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) || math.IsInf(max, 0) {
		return nil
	}
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	dense := math.Log10(max/min) <= 2.5
	var ticks []plot.Tick
	labelled := 0
	for e := lo; e <= hi; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || dense && (m == 2 || m == 5) {
				t.Label = formatNumber(v)
				labelled++
			}
			ticks = append(ticks, t)
		}
	}
	if labelled < 2 { // a narrow range: label every tick
		for i := range ticks {
			ticks[i].Label = formatNumber(ticks[i].Value)
		}
	}
	return ticks
}

// formatNumber writes v briefly: 0.5, 20, 1500, 20k, 3M.
func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e4:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatValue writes a bar's value with about three significant digits.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e4:
		return formatNumber(v)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// percentileX maps a percentile (0 <= pct < 100) to the spectrum's x,
// 1/(1-q): 0% -> 1, 90% -> 10, 99% -> 100.
func percentileX(pct float64) float64 { return 1 / (1 - pct/100) }

// percentileTicks labels 0%, 50%, 90%, 99%, 99.9%, ... on a 1/(1-q) axis,
// with unlabelled ticks between.
func percentileTicks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := 0; e <= 9; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, float64(e))
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			switch {
			case m == 1:
				t.Label = percentLabel(e)
			case m == 2 && e == 0 && max <= 1e4: // wider, it would overlap 0%
				t.Label = "50%"
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// percentLabel labels x = 10^e: 0%, 90%, 99%, 99.9%, ...
func percentLabel(e int) string {
	switch e {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", e-2) + "%"
}

// fractionTicks mark a 0..1 axis every 0.05 and label the quartiles and
// 0.9.
var fractionTicks = func() plot.ConstantTicks {
	var ts plot.ConstantTicks
	for i := 0; i <= 20; i++ {
		t := plot.Tick{Value: float64(i) / 20}
		if i%5 == 0 || i == 18 {
			t.Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}()
