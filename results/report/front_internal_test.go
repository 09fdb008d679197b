package report

import (
	"testing"

	"github.com/pushbench/pushbench/results/advise"
)

// A row sized without memory or p99 models says "not measured", never 0;
// an infeasible row has no figures at all.
func TestFrontRowSaysNotMeasured(t *testing.T) {
	r := formatRow(advise.Row{Key: advise.Key{Transport: "sse", Implementation: "pushbench", Network: "loopback"}, Feasible: advise.Unknown, Servers: 2, Cores: 8})
	if r.GiB != "not measured" || r.P99 != "not measured" || r.Servers != "2" || r.Cores != "8" {
		t.Errorf("unmeasured row: %+v", r)
	}
	p := advise.Prediction{Value: 0.01234, CI: &advise.Interval{Lo: 0.011, Hi: 0.0137}}
	r = formatRow(advise.Row{Feasible: advise.Feasible, Servers: 1, Cores: 4, RSSGiB: &p})
	if r.GiB != "0.0123 [0.0110, 0.0137]" {
		t.Errorf("GiB cell %q", r.GiB)
	}
	r = formatRow(advise.Row{Feasible: advise.Infeasible, Why: []string{"no resume"}})
	if r.GiB != "-" || r.P99 != "-" || r.Servers != "-" || r.Why != "no resume" {
		t.Errorf("infeasible row: %+v", r)
	}
}
