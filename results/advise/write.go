package advise

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Formats Write knows.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
)

// Output is what pushbench advise prints: the ranking and the models it
// came from.
type Output struct {
	Advice Advice `json:"advice"`
	Models Set    `json:"models"`
	// Evidence are the folders the records were read from.
	Evidence []string `json:"evidence"`
}

// Write writes o in format (text, markdown or json).
func (o Output) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(o)
	case FormatText, FormatMarkdown:
		return o.writeTables(w, format == FormatMarkdown)
	}
	return fmt.Errorf("format %q: want text, markdown or json", format)
}

func (o Output) writeTables(w io.Writer, md bool) error {
	a := o.Advice
	head := func(s string) {
		if md {
			fmt.Fprintf(w, "\n## %s\n\n", s)
		} else {
			fmt.Fprintf(w, "\n== %s\n", s)
		}
	}
	line := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if md {
			fmt.Fprintln(w, "- "+s)
		} else {
			fmt.Fprintln(w, s)
		}
	}
	if md {
		fmt.Fprintln(w, "# pushbench advise")
	}
	head("workload")
	line("%s", describe(a.Workload))
	line("evidence: %s; network looked for: %s", strings.Join(o.Evidence, ", "), a.Network)
	if a.FloorP99 > 0 {
		line("raw-TCP floor's lowest p99: %s (%s)", usString(a.FloorP99), a.FloorFile)
	} else {
		line("raw-TCP floor's p99: not measured (no rawtcp broadcast record): the SLO is not checked against it")
	}
	head("ranking, per transport and implementation")
	t := Table{Header: []string{"#", "transport", "feasible", "servers", "cores", "conns/core", "GiB RSS [95% CI]", "GiB kernel", "egress GB/month", "cost/month", "p99 [95% CI]"}}
	for i, r := range a.Rows {
		t.Rows = append(t.Rows, []string{fmt.Sprint(i + 1), r.Key.String(), r.Feasible, intOrDash(r.Servers), floatOrDash(r.Cores), connsPerCore(r),
			predCell(r.RSSGiB, func(v float64) string { return fmt.Sprintf("%.2f", v) }), r.KernelGiB, egressCell(r), costCell(r),
			predCell(r.P99, usString)})
	}
	if err := t.Render(w, md); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for i, r := range a.Rows {
		var parts []string
		if len(r.Why) > 0 {
			parts = append(parts, "why: "+strings.Join(r.Why, "; "))
		}
		if len(r.Decided) > 0 {
			parts = append(parts, "decided by: "+strings.Join(r.Decided, "; "))
		}
		if len(r.Notes) > 0 {
			parts = append(parts, "notes: "+strings.Join(r.Notes, "; "))
		}
		if r.CostWhy != "" && r.CostMonth == nil {
			parts = append(parts, "cost: "+r.CostWhy)
		}
		parts = append(parts, "records: "+citeList(r.Records))
		line("[%d] %s: %s", i+1, r.Key.String(), strings.Join(parts, ". "))
	}
	head("models, each validated on its largest size held out")
	mt := Table{Header: []string{"transport", "model", "fit", "95% CI (slope)", "sizes fitted", "reps", "hold-out: predicted / measured", "error"}}
	for _, m := range o.Models.Models {
		for _, x := range m.All() {
			mt.Rows = append(mt.Rows, modelRow(m.Key, x))
		}
		mt.Rows = append(mt.Rows, []string{m.Key.String(), "kernel/conn", m.KernelPerConn, "-", "-", "-", "-", "-"})
	}
	if err := mt.Render(w, md); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, n := range a.Notes {
		line("note: %s", n)
	}
	return nil
}

// Table is a header and rows rendered with tablewriter.
type Table struct {
	Header []string
	Rows   [][]string
}

// Render writes t as a terminal table or, with md, as markdown.
func (t Table) Render(w io.Writer, md bool) error {
	var r tw.Renderer = renderer.NewBlueprint()
	if md {
		r = renderer.NewMarkdown()
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	tbl.Header(t.Header)
	for _, row := range t.Rows {
		if err := tbl.Append(append([]string(nil), row...)); err != nil { // the table keeps the slice
			return fmt.Errorf("failed to add a row: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("failed to render a table: %w", err)
	}
	return nil
}

// modelRow is one model's line: its fit, the slope's interval, the sizes
// and the hold-out.
func modelRow(k Key, m *Model) []string {
	u := unitsOf(m.Name)
	var fit, ci string
	switch m.Shape {
	case Mean:
		fit = u.y(m.Intercept)
		if m.SlopeCI != nil {
			ci = u.y(m.SlopeCI.Lo) + " .. " + u.y(m.SlopeCI.Hi)
		}
	case Ratio:
		fit = u.slope(m.Slope) + " (one size: through 0)"
		if m.SlopeCI != nil {
			ci = u.slope(m.SlopeCI.Lo) + " .. " + u.slope(m.SlopeCI.Hi)
		}
	case Piecewise:
		fit = fmt.Sprintf("%s at %s .. %s at %s, then %s", u.y(m.Predict(m.XMin).Value), num(m.XMin), u.y(m.Predict(m.XMax).Value), num(m.XMax), u.slope(m.Slope))
		if m.SlopeCI != nil {
			ci = u.slope(m.SlopeCI.Lo) + " .. " + u.slope(m.SlopeCI.Hi) + " (last segment)"
		}
	default:
		fit = u.y(m.Intercept) + " + " + u.slope(m.Slope)
		if m.Slope < 0 {
			fit = u.y(m.Intercept) + " - " + u.slope(-m.Slope)
		}
		if m.SlopeCI != nil {
			ci = u.slope(m.SlopeCI.Lo) + " .. " + u.slope(m.SlopeCI.Hi)
		}
	}
	if ci == "" {
		ci = "one repetition: none"
	}
	sizes := num(m.XMin) + " .. " + num(m.XMax) + " " + u.x
	if m.XMin == m.XMax {
		sizes = num(m.XMax) + " " + u.x
	}
	hold, errCell := "not validated: "+m.NotValidated, "-"
	if h := m.HoldOut; h != nil {
		hold = fmt.Sprintf("%s / %s at %s", u.y(h.Predicted), u.y(h.Measured), num(h.X))
		errCell = fmt.Sprintf("%+.0f%%", h.Error*100)
		if h.Measured == 0 {
			errCell = "n/a (measured 0)"
		}
	}
	reps := fmt.Sprint(m.Reps)
	if m.LeftOut > 0 {
		reps += fmt.Sprintf(" (+%d at one size, left out)", m.LeftOut)
	}
	return []string{k.String(), m.Name, fit, ci, sizes, reps, hold, errCell}
}

type units struct {
	x        string
	y, slope func(float64) string
}

func unitsOf(name string) units {
	cores := func(v float64) string { return fmt.Sprintf("%.3g cores", v) }
	switch name {
	case "rss":
		return units{"conns", func(v float64) string { return bytesString(v) }, func(v float64) string { return bytesString(v) + "/conn" }}
	case "cpu-idle":
		return units{"conns", cores, func(v float64) string { return fmt.Sprintf("%.3g µs/conn-s", v*1e6) }}
	case "cpu-msg", "cpu-chat":
		return units{"msg/s", cores, func(v float64) string { return fmt.Sprintf("%.3g µs/msg", v*1e6) }}
	case "bytes-msg":
		return units{"payload B", func(v float64) string { return bytesString(v) + "/msg" }, func(v float64) string { return fmt.Sprintf("%.3g B/payload B", v) }}
	case "bytes-idle":
		return units{"conns", func(v float64) string { return bytesString(v) + "/conn-min" }, func(v float64) string { return fmt.Sprintf("%.3g B/conn-min per conn", v) }}
	case "handshake":
		return units{"clients", func(v float64) string { return usString(v) + " CPU/handshake" }, func(v float64) string { return fmt.Sprintf("%.3g µs", v) }}
	}
	return units{"clients", usString, func(v float64) string { return fmt.Sprintf("%.3g µs/client", v) }}
}

// describe is the workload in one line.
func describe(w Workload) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d users", w.Clients)
	if w.Tabs > 0 {
		fmt.Fprintf(&b, " in browsers, %d tabs each (%s streams)", w.Tabs, num(w.Connections()))
	}
	fmt.Fprintf(&b, "; %s published", w.Rate)
	if w.ClientMsgs > 0 {
		fmt.Fprintf(&b, " + %s from each user", w.ClientMsgs)
	}
	fan := "every user"
	if w.Fanout > 0 && w.Fanout < w.Clients {
		fan = fmt.Sprintf("%d users", w.Fanout)
	}
	fmt.Fprintf(&b, ", each to %s (%s deliveries/s); payload %d B; SLO p99 %s", fan, num(math.Round(w.Delivered())), w.Payload, time.Duration(w.SLOP99))
	if w.TLS {
		b.WriteString("; TLS")
	}
	if w.Proxy != "" {
		fmt.Fprintf(&b, "; behind %s", w.Network())
	}
	if w.Resume {
		b.WriteString("; resume needed")
	}
	fmt.Fprintf(&b, "; %g cores per server", w.CoresPerServer)
	return b.String()
}

func predCell(p *Prediction, f func(float64) string) string {
	if p == nil {
		return "not measured"
	}
	s := f(max(0, p.Value))
	if p.CI != nil {
		// Every figure predicted is at least 0: a line's interval that
		// reaches below is shown from 0.
		s += " [" + f(max(0, p.CI.Lo)) + ", " + f(p.CI.Hi) + "]"
	} else {
		s += " [one rep]"
	}
	if p.Far() {
		s += " (!)"
	}
	return s
}

func egressCell(r Row) string {
	if r.EgressGBMonth == nil {
		if r.Feasible == Infeasible {
			return "-"
		}
		return "not measured"
	}
	return fmt.Sprintf("%.0f", *r.EgressGBMonth)
}

func costCell(r Row) string {
	if r.CostMonth == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *r.CostMonth)
}

func connsPerCore(r Row) string {
	if r.ConnsPerCore == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", r.ConnsPerCore)
}

func intOrDash(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func floatOrDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", v)
}

// citeList names record files by their folder once and their base names.
func citeList(files []string) string {
	if len(files) == 0 {
		return "none"
	}
	byDir := map[string][]string{}
	var dirs []string
	for _, f := range files {
		d, b := filepath.Split(f)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], b)
	}
	var parts []string
	for _, d := range dirs {
		if d == "" {
			parts = append(parts, strings.Join(byDir[d], ", "))
			continue
		}
		parts = append(parts, d+"{"+strings.Join(byDir[d], ", ")+"}")
	}
	return strings.Join(parts, "; ")
}

// bytesString writes a byte count with a binary unit.
func bytesString(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
