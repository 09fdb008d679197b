package compare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// errorMetric is the metric name of rows about records with an error.
const errorMetric = "error"

// groupKey is what must match for records to be compared: the
// results.Key and the step's value, which the key holds only as an index
// (step 0 of fanout is 20 clients in the quick suite, 100 in the full one).
type groupKey struct {
	results.Key
	step string
}

// group is the records of one (scenario, step, transport) in both runs.
type group struct {
	key        results.Key
	step       string
	base, head []results.Record
}

func (g *group) label() string {
	return g.key.Scenario + "/" + g.step + "/" + g.key.Transport
}

// groupByKey sorts records by key; order is the keys in order of first
// appearance, base first.
func groupByKey(base, head []results.Record) (map[groupKey]*group, []groupKey) {
	groups := map[groupKey]*group{}
	var order []groupKey
	add := func(r results.Record, isBase bool) {
		k := groupKey{results.KeyOf(r), stepLabel(r)}
		g, ok := groups[k]
		if !ok {
			g = &group{key: k.Key, step: k.step}
			groups[k] = g
			order = append(order, k)
		}
		if isBase {
			g.base = append(g.base, r)
		} else {
			g.head = append(g.head, r)
		}
	}
	for _, r := range base {
		if !r.Interrupted {
			add(r, true)
		}
	}
	for _, r := range head {
		if !r.Interrupted {
			add(r, false)
		}
	}
	return groups, order
}

// interrupted counts the records groupByKey leaves out.
func interrupted(recs []results.Record) int {
	n := 0
	for _, r := range recs {
		if r.Interrupted {
			n++
		}
	}
	return n
}

func stepLabel(r results.Record) string {
	if r.StepParam == "" {
		return "-"
	}
	return r.StepParam + "=" + strconv.FormatFloat(r.StepValue, 'f', -1, 64)
}

// compareGroup appends g's rows: its errors, then every metric measured in
// both runs.
func (res *Result) compareGroup(g *group, thresholds map[string]float64) {
	baseOK, baseErrs := split(g.base)
	headOK, headErrs := split(g.head)
	if len(baseErrs)+len(headErrs) > 0 {
		res.Rows = append(res.Rows, errorRow(g, baseErrs, headErrs))
	}
	var oneSided []string
	for _, m := range results.Metrics {
		b, h := values(m, baseOK), values(m, headOK)
		if len(b) == 0 || len(h) == 0 {
			if len(b)+len(h) > 0 {
				oneSided = append(oneSided, m.Name)
			}
			continue
		}
		row := judge(m, b, h, threshold(thresholds, m.Name), res.Alpha)
		row.Key, row.Step = g.key, g.step
		res.Rows = append(res.Rows, row)
	}
	if len(oneSided) > 0 && len(baseOK) > 0 && len(headOK) > 0 { // else the error row says why
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %s measured in one run only, not compared", g.label(), strings.Join(oneSided, ", ")))
	}
}

// split separates measured records from failed ones: an error, counts
// that do not reconcile, or a saturated load generator (whose figures
// measure pushbench, not the transport) make a record a failure, never a
// number.
func split(recs []results.Record) (ok, failed []results.Record) {
	for _, r := range recs {
		if failure(r) != "" {
			failed = append(failed, r)
		} else {
			ok = append(ok, r)
		}
	}
	return ok, failed
}

// failure says why r is a failure rather than a measurement; "" when it
// is a measurement.
func failure(r results.Record) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Delivery.Mismatch != "":
		return "counts do not reconcile: " + r.Delivery.Mismatch
	case r.Loadgen.Saturated != "":
		return "load generator saturated (" + r.Loadgen.Saturated + "): the figures measure pushbench, not the transport"
	}
	return ""
}

// values are m's values over recs, where m applies.
func values(m results.Metric, recs []results.Record) []float64 {
	var out []float64
	for _, r := range recs {
		if m.Applies(r) {
			out = append(out, m.Value(r))
		}
	}
	return out
}

// errorRow applies the error rule to failed records (see failure): any
// failed head repetition is a regression, whether or not the base failed
// too; failures in the base only are reported, never held against the head.
func errorRow(g *group, baseErrs, headErrs []results.Record) Row {
	row := Row{
		Key: g.key, Step: g.step, Metric: errorMetric, P: nan, Delta: nan,
		Base:    Side{N: len(g.base), Errors: len(baseErrs)},
		Head:    Side{N: len(g.head), Errors: len(headErrs)},
		Verdict: Same,
	}
	switch {
	case len(headErrs) == 0:
		row.Note = "failed in base only, not a regression of the head: " + describeFailures(baseErrs)
	case len(baseErrs) == 0:
		row.Verdict = Regression
		row.Note = "failed in head, not in base: " + describeFailures(headErrs)
	default:
		row.Verdict = Regression
		row.Note = "failed in head: " + describeFailures(headErrs) + "; in base too: " + describeFailures(baseErrs)
	}
	return row
}

// describeFailures names the failed repetitions of recs by their reason,
// reasons in order of first appearance: "dial tcp: refused (repetitions
// 1, 3); server exited (repetition 5)".
func describeFailures(recs []results.Record) string {
	var reasons []string
	reps := map[string][]string{}
	for _, r := range recs {
		why := firstLine(failure(r))
		if _, ok := reps[why]; !ok {
			reasons = append(reasons, why)
		}
		reps[why] = append(reps[why], strconv.Itoa(r.Repetition))
	}
	parts := make([]string, len(reasons))
	for i, why := range reasons {
		noun := "repetition "
		if len(reps[why]) > 1 {
			noun = "repetitions "
		}
		parts[i] = why + " (" + noun + strings.Join(reps[why], ", ") + ")"
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// sample names a few of keys, for an error message.
func sample(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	if len(keys) > 3 {
		return strings.Join(keys[:3], ", ") + fmt.Sprintf(" and %d more", len(keys)-3)
	}
	return strings.Join(keys, ", ")
}

func list(keys []string) string { return strings.Join(keys, ", ") }

// workloadDiff lists the scenario settings that differ between a base and a
// head record of one key; results of different workloads are not compared.
// The server ring is compared only when both runs recorded it.
func workloadDiff(b, h results.Record) string {
	pb, ph := b.Params, h.Params
	var diffs []string
	add := func(name string, x, y any) {
		if x != y {
			diffs = append(diffs, fmt.Sprintf("%s %v vs %v", name, x, y))
		}
	}
	add("clients", pb.Clients, ph.Clients)
	add("rate", pb.Rate, ph.Rate)
	add("payload", pb.Payload, ph.Payload)
	add("burst_size", pb.BurstSize, ph.BurstSize)
	add("burst_every", pb.BurstEvery, ph.BurstEvery)
	add("duration_s", pb.DurationS, ph.DurationS)
	add("warmup_s", pb.WarmupS, ph.WarmupS)
	add("poll_interval", pb.PollInterval, ph.PollInterval)
	add("lifetime", pb.Lifetime, ph.Lifetime)
	add("network", pb.Network, ph.Network)
	if pb.Ring != 0 && ph.Ring != 0 {
		add("ring", pb.Ring, ph.Ring)
	}
	return strings.Join(diffs, ", ")
}
