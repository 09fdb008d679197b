package compare

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/perf/benchunit"
)

// Write prints the comparison as a benchstat-like table: one row per metric
// with the median ± 95% confidence interval of each run, the change of the
// median, the U test's p-value and sample sizes, and the verdict; notes are
// footnotes under the table.
func (r *Result) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var table bytes.Buffer
	t := tablewriter.NewTable(&table,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithAlignment(tw.Alignment{
			tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft,
			tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft,
		}),
	)
	t.Header("scenario", "step", "transport", "metric", "base median ± CI", "head median ± CI", "delta", "p-value", "verdict")
	var notes []string
	noteIndex := map[string]int{}
	counts := map[Verdict]int{}
	for _, row := range r.Rows {
		counts[row.Verdict]++
		verdict := string(row.Verdict)
		if row.Note != "" {
			i, ok := noteIndex[row.Note]
			if !ok {
				notes = append(notes, row.Note)
				i = len(notes)
				noteIndex[row.Note] = i
			}
			verdict += " " + superscript(i)
		}
		// A fresh slice per row: the table keeps it.
		cells := []string{row.Key.Scenario, row.Step, row.Key.Transport, row.Metric,
			sideCell(row.Base, row.Unit, row.Metric), sideCell(row.Head, row.Unit, row.Metric),
			formatDelta(row.Delta), pCell(row), verdict}
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("failed to build the comparison table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("failed to render the comparison table: %w", err)
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		bw.WriteString(strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			bw.WriteString("\n")
		}
	}
	for i, n := range notes {
		fmt.Fprintf(bw, "%s %s\n", superscript(i+1), n)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "note: %s\n", n)
	}
	fmt.Fprintf(bw, "\n%d comparisons: %d regressions, %d worse within threshold, %d better, %d unchanged (~) "+
		"(medians ± %.0f%% confidence intervals, Mann-Whitney U test at alpha %g)\n",
		len(r.Rows), counts[Regression], counts[Worse], counts[Better], counts[Same], Confidence*100, r.Alpha)
	return bw.Flush()
}

func sideCell(s Side, unit, metric string) string {
	if metric == errorMetric {
		return fmt.Sprintf("%d of %d failed", s.Errors, s.N)
	}
	return formatValue(s.Summary.Center, unit) + " ± " + s.Summary.PctRangeString()
}

func pCell(row Row) string {
	n := strconv.Itoa(row.Base.N)
	if row.Head.N != row.Base.N {
		n += "+" + strconv.Itoa(row.Head.N)
	}
	if row.Metric == errorMetric {
		return "-"
	}
	if math.IsNaN(row.P) {
		return "- (n=" + n + ")"
	}
	return fmt.Sprintf("%.3f (n=%s)", row.P, n)
}

// formatValue prints v of a results.Metric unit: microseconds as times,
// bytes with binary prefixes, small whole numbers as they are.
func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == 0:
		return "0"
	case unit == "us" || strings.HasPrefix(unit, "us/"):
		return benchunit.Scale(v/1e6, benchunit.Decimal) + "s" + unit[2:]
	case strings.HasPrefix(unit, "B"):
		return benchunit.Scale(v, benchunit.Binary) + unit
	case v == math.Trunc(v) && math.Abs(v) < 1e4:
		return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
	}
	return benchunit.Scale(v, benchunit.Decimal) + " " + unit
}

func formatDelta(d float64) string {
	switch {
	case math.IsNaN(d):
		return "-"
	case math.IsInf(d, 1):
		return "+∞%"
	case math.IsInf(d, -1):
		return "-∞%"
	case d == 0:
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", d)
}

// superscript writes n in superscript digits, as benchstat marks notes.
func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	var b strings.Builder
	for _, c := range strconv.Itoa(n) {
		b.WriteString(string([]rune(digits)[c-'0']))
	}
	return b.String()
}
