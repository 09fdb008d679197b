package report

import (
	"sort"
	"strconv"

	"github.com/pushbench/pushbench/results"
)

// binaryPair is a binary payload's group and the text group measured like
// it (same kind, transport, payload, clients, rate and network, no fault);
// text is nil when the run has none.
type binaryPair struct{ bin, text *group }

// appendBinarySection adds, when the run has binary payload records, the
// section that sets them beside text: bytes on the wire and CPU per
// delivered message, server and load generator, per transport and payload.
func appendBinarySection(secs []Section, byScenario map[string][]*group) []Section {
	pairs := binaryPairs(byScenario)
	if len(pairs) == 0 {
		return secs
	}
	return append(secs, Section{Scenario: "binary-vs-text",
		Question: "What does a binary payload cost beside a text one of the same size: raw over WebSocket and raw TCP, base64 in SSE and the polls?",
		Tables:   []Table{binaryTable(pairs)}})
}

// binaryPairs finds every binary group, in scenario-name order and then
// in its section's order (step, transport), with its text counterpart.
func binaryPairs(byScenario map[string][]*group) []binaryPair {
	names := sortedNames(byScenario)
	var bins, texts []*group
	for _, n := range names {
		for _, g := range byScenario[n] {
			if g.first().Params.Binary {
				bins = append(bins, g)
			} else if g.first().Params.Fault == "" {
				texts = append(texts, g)
			}
		}
	}
	var out []binaryPair
	for _, b := range bins {
		p := binaryPair{bin: b}
		for _, t := range texts {
			if alike(b.first(), t.first()) {
				p.text = t
				break
			}
		}
		out = append(out, p)
	}
	return out
}

// alike: a text record measured like binary record b, on the same server.
func alike(b, t results.Record) bool {
	return idOf(results.ImplementationOf(t)) == idOf(results.ImplementationOf(b)) && t.Kind == b.Kind && t.Transport == b.Transport && t.Params.Payload == b.Params.Payload &&
		t.Params.Clients == b.Params.Clients && t.Params.Rate == b.Params.Rate && t.Params.Network == b.Params.Network
}

func binaryTable(pairs []binaryPair) Table {
	t := Table{Title: "Binary payloads beside text: bytes and CPU per delivered message",
		Header: []string{"payload", "transport", "text B/msg", "binary B/msg", "binary/text", "server µs CPU/msg text", "binary", "loadgen µs CPU/msg text", "binary"}}
	f0 := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	f2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	var groups []*group
	for _, p := range pairs {
		groups = append(groups, p.bin)
		bb, vb, okb := metricCell(p.bin, "bytes-per-msg", f0)
		bs, _, _ := metricCell(p.bin, "server-cpu-per-msg", f2)
		bl := loadgenCPUCell(p.bin)
		tb, ts, tl, rel := "-", "-", "-", "-"
		if p.text != nil {
			groups = append(groups, p.text)
			var vt float64
			var okt bool
			tb, vt, okt = metricCell(p.text, "bytes-per-msg", f0)
			ts, _, _ = metricCell(p.text, "server-cpu-per-msg", f2)
			tl = loadgenCPUCell(p.text)
			rel = ratio(vb, vt, okb, okt)
		}
		t.Rows = append(t.Rows, []string{fmtBytes(float64(p.bin.first().Params.Payload)), transportCell(p.bin), tb, bb, rel, ts, bs, tl, bl})
	}
	t.Note = "Binary: pseudo-random bytes, sent raw in WebSocket binary frames and rawtcp frames behind a 21-byte header (seq, sent, size), " +
		"base64-encoded (4 bytes per 3) in the JSON message of SSE events and poll answers, and decoded and checked by every client. " +
		"Text: the records at the same payload, clients and rate (the payload scenario). Bytes counted at the client sockets, both directions; " +
		"CPU over the window per delivered message, of the server processes and of the load generator. " + repsNote(groups)
	return t
}

// loadgenCPUCell is the load generator's CPU per delivered message, median
// over the group's usable repetitions.
func loadgenCPUCell(g *group) string {
	if len(g.ok) == 0 {
		return "-"
	}
	return strconv.FormatFloat(medianOver(g, func(r results.Record) float64 { return r.Loadgen.CPUPerMessageUs }), 'f', 2, 64)
}

// sortedNames is the scenario names of a run's groups, sorted.
func sortedNames(byScenario map[string][]*group) []string {
	names := make([]string, 0, len(byScenario))
	for n := range byScenario {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
