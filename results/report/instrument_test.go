package report_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/report"
)

// TestInstrumentCostAgainstTheGoal: a throughput step whose load generator
// spends a quarter of the server's CPU per message meets the goal, one
// that spends as much does not (and says by how much), one whose server
// CPU was not measured says so, and a step that does not deliver at a
// rate or to a fanout (an idle one) is not in the table. Messages per read
// are the delivered messages over the reactor's reads, "not measured"
// where no read was counted.
func TestInstrumentCostAgainstTheGoal(t *testing.T) {
	set := func(lg, srv float64, notMeasured bool) func(r *results.Record, rep int) {
		return func(r *results.Record, rep int) {
			r.StepParam = "rate"
			if !notMeasured && lg < srv {
				r.Delivery.Delivered, r.Loadgen.Reads = 8000, 2000
			}
			r.Loadgen.CPUPerMessageUs = lg + float64(rep)/100
			r.Server.CPUPerMessageUs = srv
			if notMeasured {
				r.Server.NotMeasured = []string{"cpu"}
			}
		}
	}
	var recs []results.Record
	recs = append(recs, reps("throughput", "broadcast", "ev", set(5, 20, false))...)
	recs = append(recs, reps("throughput", "broadcast", "ws", set(20, 20, false))...)
	recs = append(recs, reps("throughput", "broadcast", "ws-secure", set(5, 20, true))...)
	recs = append(recs, reps("idle", "idle", "ev", func(r *results.Record, rep int) { r.StepParam = "clients" })...)
	var sec *report.Section
	for _, s := range report.Build(recs).Sections {
		if s.Scenario == "instrument-cost" {
			sec = &s
		}
	}
	if sec == nil {
		t.Fatal("no instrument-cost section")
	}
	rows := map[string][]string{}
	for _, row := range sec.Tables[0].Rows {
		if !strings.HasPrefix(row[0], "throughput") {
			t.Errorf("row %q: only throughput and fanout steps belong here", row)
		}
		rows[row[1]] = row
	}
	if r := rows["ev"]; r == nil || r[6] != "met" || !strings.HasPrefix(r[4], "0.25") || !strings.HasPrefix(r[5], "4.0") {
		t.Errorf("ev at a quarter, 4 messages a read: %q", r)
	}
	if r := rows["ws"]; r == nil || !strings.HasPrefix(r[6], "not met (3.0x") || r[5] != "not measured" {
		t.Errorf("ws at par, reads not counted: %q", r)
	}
	if r := rows["ws-secure"]; r == nil || r[6] != "not measured" || r[3] != "-" {
		t.Errorf("a server without CPU: %q", r)
	}
	if len(sec.Summary) != 1 || !strings.HasPrefix(sec.Summary[0], "1 of 2 ") {
		t.Errorf("summary %q", sec.Summary)
	}
}
