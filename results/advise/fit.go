package advise

import (
	"fmt"
	"math"
	"sort"
)

// Point is one measurement a model is fitted on: X the size (clients,
// messages per second, message bytes), Y the figure, Rep the repetition
// it belongs to, File the record it came from.
type Point struct {
	X, Y float64
	Rep  int
	File string
}

// Shape is how a model relates its figure to the size.
type Shape string

// The shapes a model can take.
const (
	// Linear is Y = Intercept + Slope·X, fitted by least squares per
	// repetition when it holds two sizes or more.
	Linear Shape = "linear"
	// Ratio is Y = Slope·X through the origin: a repetition measured at
	// one size only.
	Ratio Shape = "ratio"
	// Mean is Y = Intercept, whatever the size: a figure per unit (bytes
	// per connection-minute, CPU per handshake).
	Mean Shape = "mean"
	// Piecewise joins each size's mean by straight lines, per repetition,
	// and continues the last segment past the largest size (flat if it
	// falls, and flat below the smallest): for figures that bend and do
	// not fall with load, such as p99.
	Piecewise Shape = "piecewise"
)

// Interval is a two-sided 95% interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Fit is a model fitted per repetition: the central figures are the mean
// of the repetitions' fits, the interval a Student t interval across them
// (none with one repetition).
type Fit struct {
	Shape     Shape   `json:"shape"`
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	// SlopeCI is the interval of Slope (of Intercept for Mean); nil with
	// one repetition.
	SlopeCI *Interval `json:"slope_ci,omitempty"`
	Reps    int       `json:"repetitions"`
	// LeftOut are the repetitions measured at one size only, left out of
	// a line the others could fit.
	LeftOut int `json:"left_out,omitempty"`
	Points  int `json:"points"`
	// XMin and XMax are the range of sizes measured (points at X = 0, a
	// process before its clients connected, aside).
	XMin float64 `json:"x_min"`
	XMax float64 `json:"x_max"`
	// HoldOut is the model fitted without its largest size and asked to
	// predict it; nil when that leaves nothing to fit (NotValidated says
	// why).
	HoldOut      *HoldOut `json:"hold_out,omitempty"`
	NotValidated string   `json:"not_validated,omitempty"`
	// Files are the records the points came from.
	Files []string `json:"files"`
	// RepFits are the repetitions' own fits, from which Predict builds
	// its interval (kept in the JSON form so a page can do the same).
	RepFits []RepFit `json:"rep_fits"`
}

// HoldOut is a validation: the model without the points at X, its
// prediction there and what was measured (the mean over repetitions).
type HoldOut struct {
	X         float64 `json:"x"`
	Predicted float64 `json:"predicted"`
	Measured  float64 `json:"measured"`
	// Error is (Predicted - Measured) / Measured; 0 when Measured is 0
	// (then no error can be stated: writers say so).
	Error float64 `json:"error"`
}

// RepFit is one repetition's fit.
type RepFit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	// Xs and Ys are a Piecewise fit's sizes and their means, ascending;
	// Slope is then its last segment's, Intercept the value at Xs[0].
	Xs []float64 `json:"xs,omitempty"`
	Ys []float64 `json:"ys,omitempty"`
}

func (r RepFit) at(x float64) float64 {
	if len(r.Xs) == 0 {
		return r.Intercept + r.Slope*x
	}
	n := len(r.Xs)
	switch {
	case x <= r.Xs[0] || n == 1:
		return r.Ys[0]
	case x >= r.Xs[n-1]:
		return r.Ys[n-1] + r.Slope*(x-r.Xs[n-1])
	}
	i := sort.SearchFloat64s(r.Xs, x) // Xs[i-1] < x <= Xs[i]
	t := (x - r.Xs[i-1]) / (r.Xs[i] - r.Xs[i-1])
	return r.Ys[i-1] + t*(r.Ys[i]-r.Ys[i-1])
}

// FitPoints fits shape to points (Linear falls back to single, Ratio or
// Mean, for a repetition measured at one size) and validates it by
// holding out the largest size. It returns false when there is nothing
// to fit.
func FitPoints(shape, single Shape, points []Point) (Fit, bool) {
	f, used, ok := fitOnly(shape, single, points)
	if !ok {
		return Fit{}, false
	}
	points = used
	largest := f.XMax
	var rest, held []Point
	for _, p := range points {
		if p.X == largest {
			held = append(held, p)
		} else {
			rest = append(rest, p)
		}
	}
	sub, _, ok := fitOnly(shape, single, rest)
	switch {
	case !ok || len(distinctX(points)) < 2:
		f.NotValidated = fmt.Sprintf("one size only (%s): nothing to hold out", num(largest))
	default:
		measured := meanY(held)
		pred := sub.Predict(largest).Value
		h := &HoldOut{X: largest, Predicted: pred, Measured: measured}
		if measured != 0 {
			h.Error = (pred - measured) / measured
		}
		f.HoldOut = h
	}
	return f, true
}

// fitOnly fits without validating. When some repetitions of a Linear
// fit hold two sizes or more, those alone are fitted (LeftOut counts the
// others): a repetition at one size would force its line through the
// origin, or flat, beside the others' lines.
func fitOnly(shape, single Shape, points []Point) (Fit, []Point, bool) {
	byRep := map[int][]Point{}
	var reps []int
	for _, p := range points {
		if _, ok := byRep[p.Rep]; !ok {
			reps = append(reps, p.Rep)
		}
		byRep[p.Rep] = append(byRep[p.Rep], p)
	}
	sort.Ints(reps)
	f := Fit{Shape: shape, XMin: math.Inf(1)}
	if shape == Linear || shape == Piecewise {
		var multi []int
		for _, r := range reps {
			if len(distinctX(byRep[r])) >= 2 {
				multi = append(multi, r)
			}
		}
		if len(multi) > 0 {
			f.LeftOut = len(reps) - len(multi)
			reps = multi
		}
	}
	files := map[string]bool{}
	var used []Point
	for _, r := range reps {
		rf, sh, ok := fitRep(shape, single, byRep[r])
		if !ok {
			continue
		}
		used = append(used, byRep[r]...)
		if sh != shape {
			f.Shape = sh // no repetition held two sizes: the simpler shape
		}
		f.RepFits = append(f.RepFits, rf)
		for _, p := range byRep[r] {
			f.Points++
			if p.X > 0 {
				f.XMin = math.Min(f.XMin, p.X)
			}
			f.XMax = math.Max(f.XMax, p.X)
			if p.File != "" && !files[p.File] {
				files[p.File] = true
				f.Files = append(f.Files, p.File)
			}
		}
	}
	if len(f.RepFits) == 0 {
		return Fit{}, nil, false
	}
	if math.IsInf(f.XMin, 1) {
		f.XMin = 0
	}
	sort.Strings(f.Files)
	f.Reps = len(f.RepFits)
	var slopes, icepts []float64
	for _, r := range f.RepFits {
		slopes = append(slopes, r.Slope)
		icepts = append(icepts, r.Intercept)
	}
	f.Slope, f.Intercept = mean(slopes), mean(icepts)
	if f.Reps > 1 {
		v := slopes
		if f.Shape == Mean {
			v = icepts // a mean has no slope: its interval is the figure's
		}
		lo, hi := tInterval(v)
		f.SlopeCI = &Interval{lo, hi}
	}
	return f, used, true
}

// fitRep fits one repetition's points: least squares for Linear with two
// sizes or more, else single (the ratio of the means through the origin,
// or the mean).
func fitRep(shape, single Shape, ps []Point) (RepFit, Shape, bool) {
	if shape == Mean || len(distinctX(ps)) < 2 && single == Mean {
		return RepFit{Intercept: meanY(ps)}, Mean, true
	}
	if shape == Piecewise && len(distinctX(ps)) >= 2 {
		sum, cnt := map[float64]float64{}, map[float64]float64{}
		for _, p := range ps {
			sum[p.X] += p.Y
			cnt[p.X]++
		}
		var rf RepFit
		for x := range sum {
			rf.Xs = append(rf.Xs, x)
		}
		sort.Float64s(rf.Xs)
		for _, x := range rf.Xs {
			rf.Ys = append(rf.Ys, sum[x]/cnt[x])
		}
		n := len(rf.Xs)
		// Past the largest size the figure does not fall: a last
		// segment that falls (noise, at sizes this close) continues flat.
		rf.Slope = max(0, (rf.Ys[n-1]-rf.Ys[n-2])/(rf.Xs[n-1]-rf.Xs[n-2]))
		rf.Intercept = rf.Ys[0]
		return rf, Piecewise, true
	}
	if len(distinctX(ps)) >= 2 {
		var sx, sy float64
		for _, p := range ps {
			sx += p.X
			sy += p.Y
		}
		n := float64(len(ps))
		mx, my := sx/n, sy/n
		var sxx, sxy float64
		for _, p := range ps {
			sxx += (p.X - mx) * (p.X - mx)
			sxy += (p.X - mx) * (p.Y - my)
		}
		b := sxy / sxx
		return RepFit{Slope: b, Intercept: my - b*mx}, Linear, true
	}
	x := ps[0].X
	if x <= 0 {
		return RepFit{}, "", false
	}
	return RepFit{Slope: meanY(ps) / x}, Ratio, true
}

// Prediction is a model's figure at one size.
type Prediction struct {
	X     float64 `json:"x"`
	Value float64 `json:"value"`
	// CI is the t interval of the repetitions' predictions at X; nil
	// with one repetition.
	CI *Interval `json:"ci,omitempty"`
	// Beyond is X over the largest size measured, when X exceeds it.
	Beyond float64 `json:"beyond,omitempty"`
}

// Far says whether the prediction lies more than 4x past the largest
// size the model was fitted on.
func (p Prediction) Far() bool { return p.Beyond > 4 }

// Predict is the model at x: the mean of the repetitions' fits there,
// with their t interval.
func (f Fit) Predict(x float64) Prediction {
	p := Prediction{X: x}
	var v []float64
	for _, r := range f.RepFits {
		v = append(v, r.at(x))
	}
	p.Value = mean(v)
	if len(v) > 1 {
		lo, hi := tInterval(v)
		p.CI = &Interval{lo, hi}
	}
	if f.XMax > 0 && x > f.XMax {
		p.Beyond = x / f.XMax
	}
	return p
}

// Upper is the interval's upper end, or the value without an interval.
func (p Prediction) Upper() float64 {
	if p.CI != nil {
		return p.CI.Hi
	}
	return p.Value
}

// SolveUpper is the largest x at which the upper end of the prediction
// stays at or below limit, searched from 0 to hi; 0 when even x = 0
// exceeds it, hi when nothing in range does.
func (f Fit) SolveUpper(limit, hi float64) float64 {
	if f.Predict(0).Upper() > limit {
		return 0
	}
	if f.Predict(hi).Upper() <= limit {
		return hi
	}
	lo := 0.0
	for i := 0; i < 100 && hi-lo > 1e-6*hi; i++ {
		mid := (lo + hi) / 2
		if f.Predict(mid).Upper() <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func distinctX(ps []Point) map[float64]bool {
	out := map[float64]bool{}
	for _, p := range ps {
		out[p.X] = true
	}
	return out
}

func meanY(ps []Point) float64 {
	var s float64
	for _, p := range ps {
		s += p.Y
	}
	return s / float64(len(ps))
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// tInterval is the 95% Student t interval of v's mean (len(v) >= 2).
func tInterval(v []float64) (lo, hi float64) {
	m := mean(v)
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	n := float64(len(v))
	half := tQuantile975(len(v)-1) * math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	return m - half, m + half
}

// t975 are Student's t 0.975 quantiles for 1 to 30 degrees of freedom.
var t975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// tQuantile975 is the t distribution's 0.975 quantile for df degrees of
// freedom; past 30 the normal's 1.96 (within 2% of t's).
func tQuantile975(df int) float64 {
	if df >= 1 && df <= len(t975) {
		return t975[df-1]
	}
	return 1.96
}

// num writes a size without needless decimals.
func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}
