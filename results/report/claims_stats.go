package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// judging is what the claims of one report share: the family of
// comparisons they make, corrected together (Holm-Bonferroni at
// results.Alpha), and the records each claim read and excluded. A claim
// registers its comparisons while it is built and reads their outcome
// only after holm has run. Not safe for concurrent use.
type judging struct {
	tests  []*comparison
	byKey  map[string]*comparison
	done   bool
	reads  map[string]map[*group]bool // claim ID -> groups it read
	counts map[string]*exclusions     // claim ID -> its tally
}

func newJudging() *judging {
	return &judging{byKey: map[string]*comparison{}, reads: map[string]map[*group]bool{}, counts: map[string]*exclusions{}}
}

// comparison is one test a claim makes: two groups' samples (Mann-Whitney
// U, results.Significance), or one group's sample against a fixed value
// (the exact sign test). Above is whether the first side's median is
// above the second's (or the value); Tie that they are equal.
type comparison struct {
	label    string
	p, adj   float64 // raw and Holm-adjusted p
	above    bool
	tie      bool
	sig      bool // adj below results.Alpha (set by holm)
	a, b     results.Stat
	fixed    float64 // the sign test's value (b is then zero)
	signTest bool
	welch    bool // Welch's t-test on the means (welch), not Mann-Whitney
	unit     func(float64) string
	factor   float64
	// shared is the family's comparison of the same samples when another
	// claim registered them first: its p-values and outcome are this one's.
	shared *comparison
}

// sharedAs is c under another claim's label: one test in the family.
func (c *comparison) sharedAs(label string) *comparison {
	cp := *c
	cp.label, cp.shared = label, c
	return &cp
}

// result is the comparison whose p-values and outcome count.
func (c *comparison) result() *comparison {
	if c.shared != nil {
		return c.shared
	}
	return c
}

// Outcomes of a comparison once corrected.
const (
	outAbove = 1
	outBelow = -1
	outOpen  = 0
)

// outcome is +1 when the first side is significantly above the second
// after the correction, -1 when significantly below, 0 when the test
// cannot tell them apart (or their medians tie).
func (c *comparison) outcome() int {
	c = c.result()
	switch {
	case !c.sig || c.tie:
		return outOpen
	case c.above:
		return outAbove
	}
	return outBelow
}

// mannWhitney registers the comparison of a against factor times b;
// key names what is compared, so two claims comparing the same
// samples share one test in the family.
func (j *judging) mannWhitney(key, label string, a, b results.Stat, factor float64, unit func(float64) string) *comparison {
	if c := j.byKey[key]; c != nil {
		return c.sharedAs(label)
	}
	scaled := make([]float64, len(b.Values))
	for i, v := range b.Values {
		scaled[i] = v * factor
	}
	p, _ := results.Significance(a.Values, scaled)
	bs := results.StatOf(scaled)
	c := &comparison{label: label, p: p, a: a, b: b, unit: unit, factor: factor,
		above: a.Center > bs.Center, tie: a.Center == bs.Center}
	return j.add(key, c)
}

// welch registers the comparison of a's mean against b's with Welch's
// t-test (results.WelchP), for figures that are means over many
// connections in each repetition; above and tie compare the means.
func (j *judging) welch(key, label string, a, b results.Stat, unit func(float64) string) *comparison {
	if c := j.byKey[key]; c != nil {
		return c.sharedAs(label)
	}
	ma, mb := mean(a.Values), mean(b.Values)
	c := &comparison{label: label, p: results.WelchP(a.Values, b.Values), a: a, b: b, unit: unit, factor: 1,
		welch: true, above: ma > mb, tie: ma == mb}
	return j.add(key, c)
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// signTest registers the comparison of a's repetitions against the fixed
// value v: the exact two-sided sign test, the test the tables' median
// interval is the inverse of (so a difference it finds is one the
// interval shows).
func (j *judging) signTest(key, label string, a results.Stat, v float64, unit func(float64) string) *comparison {
	if c := j.byKey[key]; c != nil {
		return c.sharedAs(label)
	}
	c := &comparison{label: label, p: signP(a.Values, v), a: a, fixed: v, signTest: true, unit: unit,
		above: a.Center > v, tie: a.Center == v}
	return j.add(key, c)
}

func (j *judging) add(key string, c *comparison) *comparison {
	if j.done {
		panic("report: a comparison registered after the correction")
	}
	j.byKey[key] = c
	j.tests = append(j.tests, c)
	return c
}

// signP is the exact two-sided sign test's p of vals against v: values
// equal to v are dropped; 1 when none is left.
func signP(vals []float64, v float64) float64 {
	above, n := 0, 0
	for _, x := range vals {
		switch {
		case x > v:
			above++
			n++
		case x < v:
			n++
		}
	}
	if n == 0 {
		return 1
	}
	k := min(above, n-above)
	tail := 0.0 // P(X <= k), X ~ Binomial(n, 1/2)
	for i := 0; i <= k; i++ {
		tail += binom(n, i)
	}
	tail /= math.Pow(2, float64(n))
	return min(1, 2*tail)
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// holm applies the Holm-Bonferroni correction to the family: the i-th
// smallest of m p-values is multiplied by m-i+1, kept monotone, capped at
// 1, and significant below results.Alpha.
func (j *judging) holm() {
	j.done = true
	order := make([]*comparison, len(j.tests))
	copy(order, j.tests)
	sort.SliceStable(order, func(a, b int) bool { return order[a].p < order[b].p })
	m := len(order)
	running := 0.0
	for i, c := range order {
		running = max(running, min(1, float64(m-i)*c.p))
		c.adj = running
		c.sig = running < results.Alpha
	}
}

// note is the family's statement for the claims section.
func (j *judging) note() string {
	return fmt.Sprintf("Every verdict comes from the repetition groups the tables use (the median of each repetition's own figure). "+
		"Two groups are compared with a two-sided Mann-Whitney U test, one group against a fixed value with the exact sign test, "+
		"and C9 per implementation and per model its servers' RSS and CPU per idle connection (each repetition's figure a mean over every connection of the step) with a two-sided Welch's t-test on the means; "+
		"the family is every distinct comparison the claims below make (%d in this report), corrected together with Holm-Bonferroni at alpha %g. "+
		"A comparison whose corrected p is not below alpha, or whose medians tie, decides nothing: the claim is then not decided and shows each side's median with its %.0f%% interval (6 repetitions are needed for one). "+
		"Records with an error, interrupted, whose counts do not reconcile, whose clients were lost with their worker, or whose load generator or publisher saturated are left out, and each claim says how many.",
		len(j.tests), results.Alpha, results.Confidence*100)
}

// text describes the comparison and its outcome: both sides with their
// intervals, the raw and corrected p.
func (c *comparison) text() string {
	right := side(c.b, c.unit)
	switch {
	case c.signTest:
		right = c.unit(c.fixed)
	case c.factor != 1:
		right = fmt.Sprintf("%gx %s", c.factor, right)
	}
	r := c.result()
	s := fmt.Sprintf("%s: %s vs %s, p=%s, Holm p=%s", c.label, side(c.a, c.unit), right, pText(r.p), pText(r.adj))
	if c.welch {
		s = fmt.Sprintf("%s: mean %s vs %s (%s vs %s), Welch t p=%s, Holm p=%s", c.label, c.unit(mean(c.a.Values)), c.unit(mean(c.b.Values)),
			side(c.a, c.unit), right, pText(r.p), pText(r.adj))
	}
	switch c.outcome() {
	case outAbove:
		s += ", above"
	case outBelow:
		s += ", below"
	case outOpen:
		if r.tie && c.welch {
			s += ", means tie: not decided"
		} else if r.tie {
			s += ", medians tie: not decided"
		} else {
			s += ", not significant: not decided"
		}
	}
	return s
}

// pText is a p-value to three decimals, or in scientific notation when
// smaller.
func pText(p float64) string {
	if p > 0 && p < 0.001 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.3f", p)
}

// side is a sample's median with its interval, or its count when there
// are too few repetitions for one.
func side(st results.Stat, f func(float64) string) string {
	if st.HasInterval() {
		return fmt.Sprintf("%s [%s, %s] (n=%d)", f(st.Center), f(st.Lo), f(st.Hi), st.N)
	}
	return fmt.Sprintf("%s (n=%d, no interval)", f(st.Center), st.N)
}

// pairsVerdict is the verdict of a claim that holds when every comparison
// comes out above: supported when all do, contradicted when all come out
// below, mixed when some do each, not decided when any decides nothing
// and none contradicts another.
func pairsVerdict(cs []*comparison) string {
	outs := make([]int, len(cs))
	for i, c := range cs {
		outs[i] = c.outcome()
	}
	return verdictOf(outs)
}

// verdictOf is pairsVerdict on outcomes already oriented to the claim
// (outAbove: the comparison supports it).
func verdictOf(outs []int) string {
	if len(outs) == 0 {
		return NotMeasured
	}
	up, down, _ := countOutcomes(outs)
	switch {
	case up == len(outs):
		return Supported
	case down == len(outs):
		return Contradicted
	case up > 0 && down > 0:
		return Mixed
	}
	return NotDecided
}

// countOutcomes counts oriented outcomes: supporting, contradicting, and
// deciding nothing.
func countOutcomes(outs []int) (up, down, open int) {
	for _, o := range outs {
		switch o {
		case outAbove:
			up++
		case outBelow:
			down++
		default:
			open++
		}
	}
	return up, down, open
}

// tally counts outcomes already oriented to a claim: "2 support it, 1
// contradicts it, 3 decide nothing" (the parts that are not zero).
func tally(outs []int) string {
	up, down, open := countOutcomes(outs)
	var parts []string
	for _, p := range []struct {
		n         int
		one, many string
	}{{up, "supports it", "support it"}, {down, "contradicts it", "contradict it"}, {open, "decides nothing", "decide nothing"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.one)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.many))
		}
	}
	return strings.Join(parts, ", ")
}

// outcomes are the comparisons' outcomes (comparison.outcome).
func outcomes(cs []*comparison) []int {
	outs := make([]int, len(cs))
	for i, c := range cs {
		outs[i] = c.outcome()
	}
	return outs
}

func comparisonsText(cs []*comparison) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.text()
	}
	return strings.Join(parts, "; ")
}

// exclusions tallies the records a claim read and left out, by reason.
type exclusions struct {
	read, left int
	why        map[string]int
}

// trustWhy is why r's measurement cannot be trusted, as a short reason
// ("" when it can): untrusted's reasons, cut before their details.
func trustWhy(r results.Record) string {
	if !untrusted(r) {
		return ""
	}
	c := r
	c.Delivery.Lost, c.Delivery.Duplicates, c.Delivery.Reorders, c.Delivery.Unexpected = 0, 0, 0, 0
	why := c.Disqualified()
	if strings.Contains(why, "clients were lost") {
		return "clients lost with their worker"
	}
	if i := strings.IndexAny(why, ":("); i > 0 {
		why = why[:i]
	}
	return strings.TrimSpace(why)
}

// trustedOnly is d with each group's untrusted repetitions left out of
// its statistics (first still names its settings); the groups left out
// are remembered for use.
func (j *judging) trustedOnly(d claimData) claimData {
	out := claimData{}
	seen := map[*group]*group{} // a group under two scenarios (withRoles) stays one
	for sc, gs := range d {
		for _, g := range gs {
			t := seen[g]
			if t == nil {
				t = j.trusted(g)
				seen[g] = t
			}
			out[sc] = append(out[sc], t)
		}
	}
	return out
}

// trusted is g without its untrusted repetitions in its statistics; recs
// keeps every repetition, so first and the counts of what was dropped
// remain.
func (j *judging) trusted(g *group) *group {
	var kept []results.Record
	for _, r := range g.recs {
		if !untrusted(r) {
			kept = append(kept, r)
		}
	}
	if len(kept) == len(g.recs) {
		return g
	}
	rg := &results.Group{Key: g.key, Records: kept}
	return &group{Group: rg, key: g.key, recs: g.recs, ok: rg.Usable(), facts: g.facts, known: g.known, impl: g.impl}
}

// use records that claim id read g: its repetitions count as read, and
// the untrusted among them as excluded.
func (j *judging) use(id string, gs ...*group) {
	if j.reads[id] == nil {
		j.reads[id] = map[*group]bool{}
		j.counts[id] = &exclusions{why: map[string]int{}}
	}
	for _, g := range gs {
		if g == nil || j.reads[id][g] {
			continue
		}
		j.reads[id][g] = true
		t := j.counts[id]
		for _, r := range g.recs {
			t.read++
			if why := trustWhy(r); why != "" {
				t.left++
				t.why[why]++
			}
		}
	}
}

// excluded is the sentence saying how many records claim id read and
// left out, and why.
func (j *judging) excluded(id string) string {
	t := j.counts[id]
	if t == nil || t.read == 0 {
		return ""
	}
	if t.left == 0 {
		return fmt.Sprintf(" Records: %d read, none excluded.", t.read)
	}
	reasons := make([]string, 0, len(t.why))
	for w := range t.why {
		reasons = append(reasons, w)
	}
	slices.Sort(reasons)
	for i, w := range reasons {
		reasons[i] = fmt.Sprintf("%d %s", t.why[w], w)
	}
	return fmt.Sprintf(" Records: %d read, %d excluded (%s).", t.read, t.left, strings.Join(reasons, ", "))
}

// groupKey names a group in a comparison's key.
func groupKey(g *group) string {
	return fmt.Sprintf("%s/%d/%s/%s/%s", g.key.Scenario, g.key.Step, g.key.Transport, g.impl.Name, g.impl.Version)
}
