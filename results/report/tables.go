package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/results"
)

func sum(g *group, f func(int) int64) int64 {
	var n int64
	for i := range g.ok {
		n += f(i)
	}
	return n
}

// latencyTable: delivery accounting, latency percentiles, the p99 ratio to
// the floor, wire and CPU cost. withStep adds the stepped parameter.
func latencyTable(groups []*group, withStep string) Table {
	t := Table{Title: "Delivery and latency (receive time minus intended send time)",
		Header: []string{"transport", "delivered", "lost", "dups", "reord", "reconn", "p50", "p90", "p99", "p99.9", "max", "p99 vs floor", "B/msg", "server µs/msg", "loadgen CPU", "errors"}}
	if withStep != "" {
		t.Header = append([]string{withStep}, t.Header...)
	}
	for _, g := range groups {
		floor := floorGroup(groups, g.key.Step)
		p50 := intervalCell(g, "p50", us)
		p90, _, _ := metricCell(g, "p90", us)
		p99 := intervalCell(g, "p99", us)
		p999, _, _ := metricCell(g, "p99.9", us)
		mx, _, _ := metricCell(g, "max", us)
		bpm, _, _ := metricCell(g, "bytes-per-msg", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
		cpu, _, _ := metricCell(g, "server-cpu-per-msg", func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) })
		row := []string{transportCell(g), deliveredCell(g),
			num(float64(sum(g, func(i int) int64 { return g.ok[i].Delivery.Lost }))),
			num(float64(sum(g, func(i int) int64 { return g.ok[i].Delivery.Duplicates }))),
			num(float64(sum(g, func(i int) int64 { return g.ok[i].Delivery.Reorders }))),
			num(float64(sum(g, func(i int) int64 { return g.ok[i].Delivery.Reconnects }))),
			p50, p90, p99, p999, mx, ratioCell(g, floor, "p99"), bpm, cpu, loadgenCell(g), errCell(g)}
		if withStep != "" {
			row = append([]string{num(g.first().StepValue)}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Note = repsNote(groups)
	return t
}

// pollNote names short poll's interval, which its latency depends on.
func pollNote(g *group) string {
	if iv := g.first().Params.PollInterval; iv != "" {
		return " (every " + iv + ")"
	}
	return ""
}

func throughputTable(groups []*group) Table {
	t := Table{Title: "Delivered vs offered rate",
		Header: []string{"publish msg/s", "transport", "offered msg/s", "delivered msg/s", "vs floor", "lost", "p99", "server µs/msg", "loadgen CPU", "errors"}}
	for _, g := range groups {
		floor := floorGroup(groups, g.key.Step)
		rate := intervalCell(g, "delivered-rate", num)
		p99 := intervalCell(g, "p99", us)
		cpu, _, _ := metricCell(g, "server-cpu-per-msg", func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) })
		offered := "-"
		if len(g.ok) > 0 {
			offered = num(medianOver(g, func(r results.Record) float64 { return r.Delivery.OfferedPerS }))
		}
		t.Rows = append(t.Rows, []string{num(g.first().Params.Rate), transportCell(g), offered, rate, ratioCell(g, floor, "delivered-rate"),
			num(float64(sum(g, func(i int) int64 { return g.ok[i].Delivery.Lost }))), p99, cpu, loadgenCell(g), errCell(g)})
	}
	t.Note = "Offered = messages published x clients, per second of publishing: what the clients should receive. " + repsNote(groups)
	return t
}

func idleTable(groups []*group) Table {
	t := Table{Title: "Cost of an idle connection",
		Header: []string{"transport", "clients", "server RSS/conn", "server heap/conn", "goroutines/conn", "loadgen heap/conn", "B/conn-min", "server µs CPU/conn-s", "connect p50", "connect p99", "errors"}}
	for _, g := range groups {
		rss, _, _ := metricCell(g, "server-rss-per-conn", fmtBytes)
		heap, _, _ := metricCell(g, "server-heap-per-conn", fmtBytes)
		lg, _, _ := metricCell(g, "loadgen-heap-per-conn", fmtBytes)
		bpm, _, _ := metricCell(g, "bytes-per-conn-min", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
		cpu, _, _ := metricCell(g, "server-cpu-per-conn-s", func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) })
		gor, cp50, cp99 := "-", "-", "-"
		if len(g.ok) > 0 {
			gor = goroutinesCell(g)
			cp50 = us(medianOver(g, func(r results.Record) float64 { return float64(r.Connect.P50) }))
			cp99, _, _ = metricCell(g, "connect-p99", us)
		}
		t.Rows = append(t.Rows, []string{transportCell(g), strconv.Itoa(g.first().Params.Clients), rss, heap, gor, lg, bpm, cpu, cp50, cp99, errCell(g)})
	}
	t.Note = "Per connection = (after connecting - before) / clients. Bytes and CPU over the idle window: polls, heartbeats, held requests. " + repsNote(groups)
	return t
}

// goroutinesCell is the server's goroutines per connection, median over
// the usable repetitions: pushbench's own serve reports them; a target
// that runs elsewhere is not measured, and a local one's goroutines are
// not visible ("-" when it recorded none).
func goroutinesCell(g *group) string {
	r := g.first()
	switch {
	case !results.ServerMeasured(r):
		return notMeasured
	case r.Implementation != nil && r.Server.Goroutines == 0:
		return "-"
	}
	return strconv.FormatFloat(medianOver(g, func(r results.Record) float64 { return r.Server.GoroutinesPerConn }), 'f', 1, 64)
}

func payloadTable(groups []*group) Table {
	t := Table{Title: "Bytes on the wire per delivered message",
		Header: []string{"payload", "transport", "message B", "B/msg (both directions)", "protocol minimum", "overhead vs minimum", "vs floor", "p99"}}
	for _, g := range groups {
		floor := floorGroup(groups, g.key.Step)
		r := g.first()
		bpm, v, ok := metricCell(g, "bytes-per-msg", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
		mb := results.MessageBytesOf(r) // as the transport carries it: a binary payload raw or base64
		minimum := float64(results.MinimumOf(r))
		over := "-"
		if ok && minimum > 0 {
			over = fmt.Sprintf("%.2fx", v/minimum)
		}
		p99, _, _ := metricCell(g, "p99", us)
		t.Rows = append(t.Rows, []string{fmtBytes(float64(r.Params.Payload)), transportCell(g), strconv.Itoa(mb), bpm,
			strconv.FormatFloat(minimum, 'f', 0, 64), over, ratioCell(g, floor, "bytes-per-msg"), p99})
	}
	t.Note = "Counted at the client sockets: headers, framing, polls and heartbeats included. " + repsNote(groups)
	return t
}

// faultTable: what a fault cost each transport: disconnects seen by the
// clients, time to reconnect, what was lost or repeated, the latency spike.
// Counts are summed over the usable repetitions; reconnect times are the
// medians of the repetitions' own figures.
func faultTable(groups []*group) Table {
	t := Table{Title: "Fault: " + groups[0].first().Params.Fault + " (network " + groups[0].first().Params.Network + ")",
		Header: []string{"transport", "disconnects", "reconnect p50", "reconnect max", "slow-consumer cuts", "lost", "dups", "reord", "gap signals", "p99", "max", "loadgen CPU", "errors"}}
	for _, g := range groups {
		cells := []string{transportCell(g), "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", errCell(g)}
		if len(g.ok) > 0 {
			var d results.Delivery
			var rp50, rmax []float64
			for _, r := range g.ok {
				d.Counts.Add(r.Delivery.Counts)
				d.SlowDisconnects += r.Delivery.SlowDisconnects
				if r.Reconnect.Count > 0 {
					rp50 = append(rp50, float64(r.Reconnect.P50))
					rmax = append(rmax, float64(r.Reconnect.Max))
				}
			}
			c50, cmax := "-", "-"
			if len(rp50) > 0 {
				c50, cmax = us(results.StatOf(rp50).Center), us(results.StatOf(rmax).Center)
			}
			p99 := intervalCell(g, "p99", us)
			mx, _, _ := metricCell(g, "max", us)
			cells = []string{transportCell(g), num(float64(d.Drops)), c50, cmax, num(float64(d.SlowDisconnects)),
				num(float64(d.Lost)), num(float64(d.Duplicates)), num(float64(d.Reorders)), num(float64(d.GapSignals)), p99, mx, loadgenCell(g), errCell(g)}
		}
		t.Rows = append(t.Rows, cells)
	}
	t.Note = "Disconnects are connections that ended with an error, as the clients saw them (an HTTP client retries a poll on a fresh connection without telling). Reconnect: from that disconnect to the next completed handshake; " + reconnectPolicies(groups) + " " + repsNote(groups)
	return t
}

// reconnectPolicies describes, from the records, how each transport's
// clients reconnected; transports sharing a policy are listed together.
func reconnectPolicies(groups []*group) string {
	var order []string
	by := map[string][]string{}
	for _, g := range groups {
		d := describeReconnect(g.first().Params.Reconnect)
		if _, ok := by[d]; !ok {
			order = append(order, d)
		}
		by[d] = append(by[d], g.label())
	}
	parts := make([]string, len(order))
	for i, d := range order {
		parts[i] = strings.Join(by[d], ", ") + ": " + d
	}
	return "reconnect policy as recorded: " + strings.Join(parts, "; ") + "."
}

func describeReconnect(p *results.ReconnectPolicy) string {
	if p == nil {
		return "not recorded by this run"
	}
	s := "waits " + p.Delay
	if p.Backoff {
		s += ", doubling per consecutive failure"
		if p.Max != "" {
			s += " up to " + p.Max
		}
	}
	if p.SSEDefault != "" {
		s += ", " + p.SSEDefault + " until the server's retry: arrives"
	}
	switch {
	case p.HonoursRetry && p.ServerRetry != "":
		s += ", or the server's retry: (" + p.ServerRetry + ") once one arrived"
	case p.HonoursRetry:
		s += ", or the server's retry: when one arrived"
	}
	return s
}
