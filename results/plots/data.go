package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

// series is one (scenario, step, transport) with its repetitions combined:
// scalar metrics by their median, latency histograms merged.
type series struct {
	key       results.Key
	stepValue float64
	recs      []results.Record
	hist      *hdrhistogram.Histogram // merged over repetitions; nil without deliveries
	drawn     drawn                   // how its transport is drawn
}

// median is the median of f over the repetitions (mean of the middle two
// for an even count).
func (s *series) median(f func(results.Record) float64) float64 {
	vs := make([]float64, 0, len(s.recs))
	for _, r := range s.recs {
		vs = append(vs, f(r))
	}
	return median(vs)
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	return results.StatOf(vs).Center
}

// params is the first repetition's parameters (repetitions share them).
func (s *series) params() results.Params { return s.recs[0].Params }

// hasLatency says whether the series delivered messages with a histogram.
func (s *series) hasLatency() bool { return s.hist != nil && s.hist.TotalCount() > 0 }

// dataset indexes the usable records (those without Error).
type dataset struct {
	series map[results.Key]*series
	facts  map[string]results.TransportFacts // per transport, from its first record (zero when unknown)
	// models is each transport's server model (results.Implementation's),
	// kept when the records measured more than one implementation: the
	// legends then group their entries by it.
	models map[string]string
}

// newDataset groups recs, skipping records with an Error or interrupted
// (results.Usable), and merges each
// group's latency histograms.
func newDataset(recs []results.Record) (*dataset, error) {
	d := &dataset{series: map[results.Key]*series{}, facts: map[string]results.TransportFacts{}, models: map[string]string{}}
	impls := map[string]bool{}
	for _, r := range recs {
		if !results.Usable(r) {
			continue
		}
		im := results.ImplementationOf(r)
		impls[im.Name] = true
		if _, ok := d.models[r.Transport]; !ok {
			d.models[r.Transport] = im.Model
		}
		k := results.KeyOf(r)
		s := d.series[k]
		if _, ok := d.facts[r.Transport]; !ok {
			d.facts[r.Transport], _ = results.FactsOf(r)
		}
		if s == nil {
			s = &series{key: k, stepValue: r.StepValue, drawn: drawnOf(r.Transport, d.facts[r.Transport])}
			d.series[k] = s
		}
		s.recs = append(s.recs, r)
		if err := s.addHist(r); err != nil {
			return nil, err
		}
	}
	if len(impls) < 2 {
		d.models = nil
	}
	return d, nil
}

func (s *series) addHist(r results.Record) error {
	if r.LatencyHist == nil {
		return nil
	}
	if err := r.LatencyHist.Validate(); err != nil {
		return fmt.Errorf("failed to read the latency histogram of %s step %d %s rep %d: %w", r.Scenario, r.Step, r.Transport, r.Repetition, err)
	}
	h := hdrhistogram.Import(r.LatencyHist)
	if s.hist == nil {
		s.hist = h
		return nil
	}
	if dropped := s.hist.Merge(h); dropped > 0 {
		return fmt.Errorf("failed to merge the latency histograms of %s step %d %s: %d values dropped", r.Scenario, r.Step, r.Transport, dropped)
	}
	return nil
}

// get is the series of (scenario, step, transport), or nil.
func (d *dataset) get(scenario string, step int, transport string) *series {
	return d.series[results.Key{Scenario: scenario, Step: step, Transport: transport}]
}

// scenarios are the scenarios with data: the known ones in suite order,
// then others alphabetically.
func (d *dataset) scenarios() []string {
	seen := map[string]bool{}
	for k := range d.series {
		seen[k.Scenario] = true
	}
	return ordered(seen, scenarioOrder)
}

// transports are the transports with data in scenario, in display order.
func (d *dataset) transports(scenario string) []string {
	seen := map[string]bool{}
	for k := range d.series {
		if k.Scenario == scenario {
			seen[k.Transport] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return plotLess(out[i], out[j], d.facts[out[i]], d.facts[out[j]]) })
	return out
}

// drawn is how transport tr is drawn.
func (d *dataset) drawn(tr string) drawn { return drawnOf(tr, d.facts[tr]) }

// steps are scenario's steps with data, ascending.
func (d *dataset) steps(scenario string) []int {
	seen := map[int]bool{}
	for k := range d.series {
		if k.Scenario == scenario {
			seen[k.Step] = true
		}
	}
	out := make([]int, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// ordered lists the names in set: those in known first, in that order,
// then the rest sorted.
func ordered(set map[string]bool, known []string) []string {
	var out, rest []string
	for _, n := range known {
		if set[n] {
			out = append(out, n)
		}
	}
	for n := range set {
		if !slices.Contains(known, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// metric is the median of the named results metric over the repetitions
// it applies to; ok is false when it applies to none of them.
func (s *series) metric(name string) (v float64, ok bool) {
	m, found := results.MetricByName(name)
	if !found {
		return 0, false
	}
	var vs []float64
	for _, r := range s.recs {
		if m.Applies(r) {
			vs = append(vs, m.Value(r))
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	return results.StatOf(vs).Center, true
}

// marks are the legend suffixes of scenario's transports whose load
// generator was saturated at any step.
func (d *dataset) marks(scenario string) map[string]string {
	out := map[string]string{}
	for k, s := range d.series {
		if k.Scenario != scenario {
			continue
		}
		for _, r := range s.recs {
			if r.Loadgen.Saturated != "" {
				out[k.Transport] = " ‡ saturated"
			}
		}
	}
	return out
}
