package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// us formats microseconds as a duration with three significant figures.
func us(v float64) string {
	if v <= 0 {
		return "0"
	}
	d := time.Duration(v * float64(time.Microsecond))
	switch {
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d >= 100*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + "ms"
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'g', 3, 64) + "ms"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + "µs"
	}
}

// num formats a count or rate compactly: 1234 -> 1234, 12345 -> 12.3k.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	case a == math.Trunc(a), a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// fmtBytes formats a byte count in B, KiB or MiB.
func fmtBytes(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1<<20:
		return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + " MiB"
	case a >= 1<<10:
		return strconv.FormatFloat(v/(1<<10), 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
}

// ratio formats v/floor as "1.23x"; "-" when either is missing or zero.
func ratio(v, floor float64, okV, okF bool) string {
	if !okV || !okF || floor == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v/floor)
}

func orDash(s string, ok bool) string {
	if !ok {
		return "-"
	}
	return s
}
