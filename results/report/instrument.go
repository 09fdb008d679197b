package report

import (
	"fmt"
	"strconv"

	"github.com/pushbench/pushbench/results"
)

// instrumentGoal is the most the load generator's CPU per delivered
// message may be as a share of the server's: the instrument lighter than
// what it measures, so a throughput or fanout figure is the server's.
const instrumentGoal = 1.0 / 3

// appendInstrumentSection adds the instrument's cost beside the server's
// in every throughput and fanout step (a broadcast stepping its rate or
// its clients, without faults), when the records have any.
func appendInstrumentSection(secs []Section, byScenario map[string][]*group) []Section {
	t := Table{Title: "The load generator's CPU per delivered message beside the server's",
		Header: []string{"scenario", "transport", "load generator µs/msg", "server µs/msg", "ratio", "messages per read", fmt.Sprintf("goal <= %.2f", instrumentGoal)}}
	met, steps := 0, 0
	var shown []*group
	for _, n := range sortedNames(byScenario) {
		for _, g := range byScenario[n] {
			r := g.first()
			if r.Kind != "broadcast" || (r.StepParam != "rate" && r.StepParam != "clients") || r.Params.Fault != "" || len(g.ok) == 0 {
				continue
			}
			shown = append(shown, g)
			lg := statOver(g, func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs }, measuredPerMessage(false))
			srv := statOver(g, func(r results.Record) float64 { return r.Server.CPUPerMessageUs }, measuredPerMessage(true))
			ratio := statOver(g, func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs / r.Server.CPUPerMessageUs },
				func(r results.Record) bool { return measuredPerMessage(false)(r) && measuredPerMessage(true)(r) })
			perRead := statOver(g, func(r results.Record) float64 { return float64(r.Delivery.Delivered) / float64(r.Loadgen.Reads) },
				func(r results.Record) bool { return r.Loadgen.Reads > 0 })
			verdict := "not measured"
			if ratio.OK() {
				steps++
				verdict = fmt.Sprintf("not met (%.1fx the goal)", ratio.Center/instrumentGoal)
				if ratio.Center <= instrumentGoal {
					met++
					verdict = "met"
				}
			}
			t.Rows = append(t.Rows, []string{n + stepLabel(r), transportCell(g), statCell(lg, f2), statCell(srv, f2), statCell(ratio, f2), perReadCell(perRead), verdict})
		}
	}
	if len(t.Rows) == 0 {
		return secs
	}
	t.Note = "CPU per delivered message: each process's CPU over the window over the messages delivered to every client (the load generator's workers summed; the server's processes summed). " +
		"The ratio is taken per repetition, then its median. A server whose CPU is not measured (a target running elsewhere) gives \"not measured\". " +
		"Messages per read: messages delivered over the reactor's reads (goroutine clients do not count theirs). " +
		"Over TCP the server writes each message to each subscriber and a client reads it; on loopback each side's call also does the kernel's receive work for the other's segment (the server's data, the client's acknowledgement), " +
		"so where a read carries what one write sent the two cost about the same, whatever the client does in user space. The load generator is lighter only where a read carries more messages than a write did (a poll's answer gathering an interval's messages). " + repsNote(shown)
	summary := fmt.Sprintf("%d of %d throughput and fanout steps keep the load generator at or under %.2f of the server's CPU per message", met, steps, instrumentGoal)
	return append(secs, Section{Scenario: "instrument-cost",
		Question: "Is the instrument lighter than what it measures? The load generator's CPU per delivered message against the server's, in every throughput and fanout step.",
		Tables:   []Table{t}, Summary: []string{summary}})
}

// perReadCell is the messages per read, "not measured" where no worker
// counted its reads (goroutine clients).
func perReadCell(st results.Stat) string {
	if !st.OK() {
		return "not measured"
	}
	return statCell(st, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
}

// measuredPerMessage accepts a record whose server's (server) or load
// generator's CPU per message was measured and is above zero.
func measuredPerMessage(server bool) func(results.Record) bool {
	return func(r results.Record) bool {
		if server {
			return r.Server.Measured("cpu") && r.Server.CPUPerMessageUs > 0
		}
		return r.Loadgen.CPUPerMessageUs > 0
	}
}
