package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// renderTable writes t with tablewriter: a boxed table for terminals, a
// markdown table for report.md. Header auto-formatting is off (it would
// turn "p50" into "P 50"); numbers are right-aligned.
func renderTable(w io.Writer, t Table, markdown bool) error {
	var r tw.Renderer = renderer.NewBlueprint()
	if markdown {
		r = renderer.NewMarkdown()
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignRight),
		tablewriter.WithHeaderAlignment(tw.AlignRight),
	)
	tbl.Header(t.Header)
	for _, row := range t.Rows {
		if err := tbl.Append(append([]string(nil), row...)); err != nil { // never hand over a shared slice
			return fmt.Errorf("failed to add a row: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("failed to render table %q: %w", t.Title, err)
	}
	return nil
}

// WriteText writes the report for a terminal: the sections, then the
// claims, which a terminal keeps on screen when the output ends.
func (r *Report) WriteText(w io.Writer) error {
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n== %s: %s\n", s.Scenario, s.Question)
		for _, a := range s.Alerts {
			fmt.Fprintf(w, "!! %s\n", a)
		}
		for _, t := range s.Tables {
			if err := renderTable(w, t, false); err != nil {
				return err
			}
			if t.Note != "" {
				fmt.Fprintln(w, t.Note)
			}
		}
		for _, line := range s.Summary {
			fmt.Fprintln(w, "  "+line)
		}
	}
	if len(r.Claims) > 0 {
		fmt.Fprintln(w, "\n== claims")
		fmt.Fprintln(w, r.ClaimsNote)
		for _, c := range r.Claims {
			fmt.Fprintf(w, "%-4s %-13s %s\n     %s\n", c.ID, c.Verdict, c.Text, c.Evidence)
		}
	}
	return nil
}

// WriteMarkdown writes report.md, the claims first (after the run's
// header), then the sections; plots are linked by relative path.
func (r *Report) WriteMarkdown(w io.Writer, plots []PlotRef) error {
	fmt.Fprintf(w, "# pushbench report\n\n%s\n\n", r.header())
	fmt.Fprintln(w, "## Claims\n\nEach common belief about push transports (docs/CLAIMS.md in pushbench's repository), judged by this run's numbers; the sections below hold the figures.")
	fmt.Fprintln(w)
	if r.ClaimsNote != "" {
		fmt.Fprintln(w, escapeMD(r.ClaimsNote))
		fmt.Fprintln(w)
	}
	ct := Table{Header: []string{"id", "claim", "verdict", "evidence", "rule"}}
	for _, c := range r.Claims {
		ct.Rows = append(ct.Rows, []string{c.ID, c.Text, c.Verdict, c.Evidence, c.Rule})
	}
	if err := renderTable(w, ct, true); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, s := range r.Sections {
		fmt.Fprintf(w, "## %s\n\n", s.Scenario)
		if s.Question != "" {
			fmt.Fprintf(w, "*%s*\n\n", s.Question)
		}
		for _, a := range s.Alerts {
			fmt.Fprintf(w, "> **%s**\n>\n", escapeMD(a))
		}
		if len(s.Alerts) > 0 {
			fmt.Fprintln(w)
		}
		for _, t := range s.Tables {
			fmt.Fprintf(w, "**%s**\n\n", t.Title)
			if err := renderTable(w, t, true); err != nil {
				return err
			}
			if t.Note != "" {
				fmt.Fprintf(w, "\n%s\n", t.Note)
			}
			fmt.Fprintln(w)
		}
		for _, p := range plots {
			if p.Scenario == s.Scenario {
				fmt.Fprintf(w, "![%s](%s)\n\n", p.Title, p.PNG)
			}
		}
		if len(s.Summary) > 0 {
			fmt.Fprintln(w, "Summary:")
			fmt.Fprintln(w)
			for _, line := range s.Summary {
				fmt.Fprintf(w, "- %s\n", escapeMD(strings.TrimSpace(line)))
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func escapeMD(s string) string {
	return strings.NewReplacer("*", `\*`, "_", `\_`, "|", `\|`).Replace(s)
}

func (r *Report) header() string {
	m := r.Machine
	return fmt.Sprintf("Run %s, %s. %d records. Machine: %s, %d CPUs, %.0f GiB, Linux %s, %s, GOMAXPROCS %d. Pinning: %s. Network: %s. Commit %s.",
		r.RunID, r.Started.Format("2006-01-02 15:04 MST"), r.Records, m.CPUModel, m.CPUs, m.MemoryGiB, m.Kernel, m.GoVersion, m.GOMAXPROCS, r.Pinning, r.Network, short(m.Commit))
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// PlotRef is a rendered plot the report links or embeds.
type PlotRef struct {
	Scenario, Title string
	PNG, SVG        string // paths relative to the output folder
}
