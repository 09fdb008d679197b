package results

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Better says which direction of a metric is an improvement.
type Better int

// Directions.
const (
	Lower Better = iota
	Higher
)

func (b Better) String() string {
	if b == Higher {
		return "higher"
	}
	return "lower"
}

// Metric is one number taken from a Record, with its unit (in Go benchmark
// style: no spaces) and the direction that is better.
type Metric struct {
	Name   string // short name used in tables, bench.txt and compare thresholds
	Unit   string // e.g. "us", "msgs/s", "B/msg"
	Better Better
	Value  func(Record) float64
	// Applies says whether the metric means something for a record
	// (bytes per message needs deliveries; latency needs messages).
	Applies func(Record) bool
}

func delivered(r Record) bool { return r.Delivery.Delivered > 0 }

// serverMeasured: the server's figure was measured: its server runs
// here (ServerMeasured) and the record does not name the figure as not
// measured (Resources.NotMeasured; a target's heap).
func serverMeasured(figure string) func(Record) bool {
	if figure == "heap" {
		return heapMeasured
	}
	return func(r Record) bool { return ServerMeasured(r) && r.Server.Measured(figure) }
}

func and(a, b func(Record) bool) func(Record) bool {
	return func(r Record) bool { return a(r) && b(r) }
}
func always(Record) bool      { return true }
func connected(r Record) bool { return r.Params.Clients > 0 }

// atSocket: the record's bytes were counted at the client sockets (a
// browser's are not).
func atSocket(r Record) bool { return r.Client != ClientBrowser }

// ServerMeasured reports whether the record's server CPU and memory were
// measured: false for a target that runs elsewhere, whose figures are
// absent, never zero.
func ServerMeasured(r Record) bool { return ImplementationOf(r).Local }

// heapMeasured: the server reported its Go heap. pushbench's own serve
// does; a target's heap is not visible from outside, so a record that
// names its implementation has one only when it recorded a heap.
func heapMeasured(r Record) bool {
	return ServerMeasured(r) && r.Server.Measured("heap") && (r.Implementation == nil || r.Server.HeapBytes > 0)
}

// Metrics are the numbers pushbench compares across runs and transports.
var Metrics = []Metric{
	{"p50", "us", Lower, func(r Record) float64 { return float64(r.Latency.P50) }, delivered},
	{"p90", "us", Lower, func(r Record) float64 { return float64(r.Latency.P90) }, delivered},
	{"p99", "us", Lower, func(r Record) float64 { return float64(r.Latency.P99) }, delivered},
	{"p99.9", "us", Lower, func(r Record) float64 { return float64(r.Latency.P999) }, delivered},
	{"max", "us", Lower, func(r Record) float64 { return float64(r.Latency.Max) }, delivered},
	{"delivered-rate", "msgs/s", Higher, func(r Record) float64 { return r.Delivery.DeliveredPerS }, delivered},
	{"lost", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Lost) }, always},
	{"duplicates", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Duplicates) }, always},
	{"reorders", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Reorders) }, always},
	{"unexpected", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Unexpected) }, always},
	{"bytes-per-msg", "B/msg", Lower, func(r Record) float64 { return r.Wire.BytesPerMessage }, func(r Record) bool { return delivered(r) && atSocket(r) }},
	{"bytes-per-conn-min", "B/conn-min", Lower, func(r Record) float64 { return r.Wire.BytesPerConnMin }, func(r Record) bool { return connected(r) && atSocket(r) }},
	{"server-cpu-per-msg", "us/msg", Lower, func(r Record) float64 { return r.Server.CPUPerMessageUs }, and(delivered, serverMeasured("cpu"))},
	{"server-cpu-per-conn-s", "us/conn-s", Lower, func(r Record) float64 { return r.Server.CPUPerConnSecUs }, and(connected, serverMeasured("cpu"))},
	{"server-rss-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Server.RSSPerConn }, and(connected, serverMeasured("rss"))},
	{"server-heap-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Server.HeapPerConn }, and(connected, serverMeasured("heap"))},
	{"loadgen-heap-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Loadgen.HeapPerConn }, connected},
	{"connect-p99", "us", Lower, func(r Record) float64 { return float64(r.Connect.P99) }, func(r Record) bool { return r.Connect.Count > 0 }},
}

// MetricByName finds a metric; ok is false for an unknown name.
func MetricByName(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Key identifies what repetitions measure alike: scenario, step and
// transport.
type Key struct {
	Scenario  string
	Step      int
	Transport string
}

// KeyOf is r's key.
func KeyOf(r Record) Key { return Key{r.Scenario, r.Step, r.Transport} }

// Confidence is the level of every interval pushbench prints: tables,
// summaries, plots and compare.
const Confidence = 0.95

// Alpha is the significance level of every Mann-Whitney U test pushbench
// makes: naming a winner in a report, and compare's default.
const Alpha = 0.05

// Group is the repetitions of one Key: the one grouping that tables,
// plots, summaries and compare use.
type Group struct {
	Key     Key
	Records []Record // every repetition, in the order measured
}

// GroupRecords groups recs by Key, groups in order of first appearance.
func GroupRecords(recs []Record) []*Group {
	index := map[Key]*Group{}
	var out []*Group
	for _, r := range recs {
		k := KeyOf(r)
		g := index[k]
		if g == nil {
			g = &Group{Key: k}
			index[k] = g
			out = append(out, g)
		}
		g.Records = append(g.Records, r)
	}
	return out
}

// Usable reports whether r's figures enter the statistics: a record with
// an error measured nothing, and an interrupted one measured part of a
// window. Lossy, saturated or mismatched records are usable (their figures
// are shown, marked) but Disqualified from winning.
func Usable(r Record) bool { return r.Error == "" && !r.Interrupted }

// Usable are the group's repetitions whose figures enter the statistics.
func (g *Group) Usable() []Record {
	var out []Record
	for _, r := range g.Records {
		if Usable(r) {
			out = append(out, r)
		}
	}
	return out
}

// Disqualified says why the group cannot be a winner or a capacity limit:
// the first reason of its first disqualified repetition, or that no
// repetition is usable. "" when every repetition qualifies.
func (g *Group) Disqualified() string {
	for _, r := range g.Records {
		if why := r.Disqualified(); why != "" {
			return why
		}
	}
	if len(g.Records) == 0 {
		return "no records"
	}
	return ""
}

// Saturated is the first saturation reason among the group's repetitions.
func (g *Group) Saturated() string {
	for _, r := range g.Records {
		if r.Loadgen.Saturated != "" {
			return r.Loadgen.Saturated
		}
	}
	return ""
}

// Stat is a metric over a group's usable repetitions: the median and its
// 95% confidence interval (golang.org/x/perf/benchmath, assuming nothing
// about the distribution). This is the figure every table, summary, plot
// marker and comparison shows: the p99 of a (scenario, step, transport) is
// the median of its repetitions' p99s, never the p99 of their merged
// histograms. Lo and Hi are infinite when there are too few repetitions
// for an interval (benchmath needs 6 at 95%).
type Stat struct {
	N              int
	Center, Lo, Hi float64
	Values         []float64 // sorted
}

// OK reports whether the metric applied to any repetition.
func (s Stat) OK() bool { return s.N > 0 }

// HasInterval reports whether the interval is finite.
func (s Stat) HasInterval() bool {
	return s.N > 0 && !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0)
}

// StatOf summarises vals.
func StatOf(vals []float64) Stat {
	if len(vals) == 0 {
		return Stat{}
	}
	smp := benchmath.NewSample(slices.Clone(vals), &benchmath.Thresholds{CompareAlpha: Alpha}) // sorts its copy
	sum := benchmath.AssumeNothing.Summary(smp, Confidence)
	return Stat{N: len(vals), Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Values: smp.Values}
}

// Values are m's values over the group's usable repetitions it applies to.
func (g *Group) Values(m Metric) []float64 {
	var out []float64
	for _, r := range g.Records {
		if Usable(r) && m.Applies(r) {
			out = append(out, m.Value(r))
		}
	}
	return out
}

// Stat is m over the group's usable repetitions.
func (g *Group) Stat(m Metric) Stat { return StatOf(g.Values(m)) }

// StatByName is Stat for a metric by name; the zero Stat for an unknown one.
func (g *Group) StatByName(name string) Stat {
	m, ok := MetricByName(name)
	if !ok {
		return Stat{}
	}
	return g.Stat(m)
}

// Significance is the p-value of a two-sided Mann-Whitney U test between
// two samples (1 when either is empty or every value is the same), and
// whether it is below Alpha. With 3 repetitions a side the smallest
// possible p is 0.10, so no difference is ever significant; 4 a side
// reach 0.029, 5 a side 0.008.
func Significance(a, b []float64) (p float64, significant bool) {
	if len(a) == 0 || len(b) == 0 {
		return 1, false
	}
	same := true
	for _, v := range append(slices.Clone(a), b...) {
		if v != a[0] {
			same = false
			break
		}
	}
	if same {
		return 1, false
	}
	th := &benchmath.Thresholds{CompareAlpha: Alpha}
	cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(a), th), benchmath.NewSample(slices.Clone(b), th))
	return cmp.P, cmp.P < Alpha
}

// WelchP is the p-value of a two-sided Welch's t-test between the means of
// two samples: 1 when either side has fewer than 2 values or neither
// varies (the test cannot estimate its error). It suits figures that are
// themselves means over many units in each repetition (memory or CPU per
// connection over thousands of connections), whose repetitions are close
// to normal; with 3 repetitions a side a rank test cannot reach Alpha at
// all (Significance's smallest p is 0.10), while this test can when the
// difference is large against the repetitions' spread.
func WelchP(a, b []float64) float64 {
	if len(a) < 2 || len(b) < 2 {
		return 1
	}
	ma, va := stat.MeanVariance(a, nil)
	mb, vb := stat.MeanVariance(b, nil)
	sa, sb := va/float64(len(a)), vb/float64(len(b))
	se := sa + sb
	if se == 0 || math.IsNaN(se) {
		return 1
	}
	t := math.Abs(ma-mb) / math.Sqrt(se)
	df := se * se / (sa*sa/float64(len(a)-1) + sb*sb/float64(len(b)-1))
	return min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(t))
}
