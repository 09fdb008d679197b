package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
)

// BenchPackage is the pkg configuration line of the benchmark format.
const BenchPackage = "github.com/pushbench/pushbench"

// benchUnits names each metric's unit in the benchmark format. benchstat
// keys its columns by unit, so metrics that share a unit in Metrics (p50 and
// p99 are both "us") get one of their own here.
var benchUnits = map[string]string{
	"p50": "p50-ns", "p90": "p90-ns", "p99": "p99-ns", "p99.9": "p99.9-ns", "max": "max-ns",
	"connect-p99":    "connect-p99-ns",
	"delivered-rate": "msgs/s",
	"lost":           "lost-msgs", "duplicates": "duplicate-msgs", "reorders": "reordered-msgs", "unexpected": "unexpected-msgs",
	"bytes-per-msg": "B/msg", "bytes-per-conn-min": "B/conn-min",
	"server-cpu-per-msg": "server-cpu-ns/msg", "server-cpu-per-conn-s": "server-cpu-ns/conn-s",
	"server-rss-per-conn": "server-rss-B/conn", "server-heap-per-conn": "server-heap-B/conn",
	"loadgen-heap-per-conn": "loadgen-heap-B/conn",
}

// BenchUnit is m's unit in the benchmark format and the factor that turns
// m.Value into a value in that unit. Microsecond metrics are written in
// nanoseconds ("p99-ns"), which benchstat tidies to seconds ("p99-sec") and
// prints as times; every metric has a unit of its own, without spaces.
func BenchUnit(m Metric) (unit string, scale float64) {
	scale = 1
	u := m.Unit
	if u == "us" || strings.HasPrefix(u, "us/") {
		u, scale = "ns"+u[2:], 1000
	}
	if bu, ok := benchUnits[m.Name]; ok {
		return bu, scale
	}
	return strings.Join(strings.Fields(m.Name+"-"+u), "_"), scale
}

// BenchName is r's benchmark name without the "Benchmark" prefix:
// Push/scenario=S/step=PARAM-VALUE/transport=T, step "-" when the scenario
// has no stepped parameter. The sub-benchmark keys let benchstat slice by
// any of them (benchstat -col /transport).
func BenchName(r Record) string {
	stepLabel := "-"
	switch {
	case r.StepParam != "":
		stepLabel = r.StepParam + "-" + strconv.FormatFloat(r.StepValue, 'f', -1, 64)
	case r.Step != 0:
		stepLabel = strconv.Itoa(r.Step)
	}
	return "Push/scenario=" + nameSafe(r.Scenario) + "/step=" + nameSafe(stepLabel) + "/transport=" + nameSafe(r.Transport)
}

// WriteBenchFormat writes recs in the Go benchmark format read by benchstat
// (golang.org/x/perf/cmd/benchstat): configuration lines (goos, goarch,
// cpu, pkg, gomaxprocs, pinning, commit, network; written again when a
// record's configuration changes), one "Unit UNIT better=higher|lower" line
// per unit, then one benchmark line per record, iteration count 1, with every
// metric of Metrics that applies to the record as a value-unit pair.
// Repetitions become repeated lines, which benchstat reads as samples.
// Records with an Error, and interrupted ones, are left out and named in a
// "#" comment line, which benchfmt ignores.
//
// goos and goarch are the writing process's: records do not store them, and
// pushbench writes this file on the machine it measured. Counts such as lost messages are not marked assume=exact: they
// vary between repetitions, so the default non-parametric test fits them.
//
// benchstat puts results with different configuration in different tables,
// so compare runs of different commits with
// "benchstat -ignore commit base.txt new.txt".
func WriteBenchFormat(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	var cfg benchConfig
	var skipped []string
	for _, r := range recs {
		if r.Error != "" {
			skipped = append(skipped, fmt.Sprintf("# skipped Benchmark%s (repetition %d): error: %s", BenchName(r), r.Repetition, oneLine(r.Error)))
			continue
		}
		if r.Interrupted {
			skipped = append(skipped, fmt.Sprintf("# skipped Benchmark%s (repetition %d): interrupted, its figures are incomplete", BenchName(r), r.Repetition))
			continue
		}
		if first := cfg.write(bw, r); first {
			writeUnits(bw, recs)
		}
		writeBenchLine(bw, r)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(bw, "\n%s\n", strings.Join(skipped, "\n"))
	}
	return bw.Flush()
}

func writeBenchLine(w io.Writer, r Record) {
	var b strings.Builder
	b.WriteString("Benchmark" + BenchName(r) + " 1")
	for _, m := range Metrics {
		if !m.Applies(r) {
			continue
		}
		v := m.Value(r)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		unit, scale := BenchUnit(m)
		b.WriteString(" " + strconv.FormatFloat(v*scale, 'f', -1, 64) + " " + unit)
	}
	fmt.Fprintln(w, b.String())
}

// writeUnits writes the direction of every unit used by a record, so
// benchstat knows which changes are improvements.
func writeUnits(w io.Writer, recs []Record) {
	for _, m := range Metrics {
		for _, r := range recs {
			if Usable(r) && m.Applies(r) {
				unit, _ := BenchUnit(m)
				fmt.Fprintf(w, "Unit %s better=%s\n", unit, m.Better)
				break
			}
		}
	}
	fmt.Fprintln(w)
}

// benchConfig is the configuration last written.
type benchConfig struct {
	values map[string]string
}

// write writes the configuration lines of r that differ from the last ones
// (all of them the first time), and reports whether this was the first time.
func (c *benchConfig) write(w io.Writer, r Record) (first bool) {
	first = c.values == nil
	if first {
		c.values = map[string]string{}
	}
	kv := []string{
		"goos", runtime.GOOS, "goarch", runtime.GOARCH, "cpu", r.Machine.CPUModel, "pkg", BenchPackage,
		"gomaxprocs", strconv.Itoa(r.Machine.GOMAXPROCS), "pinning", r.Pinning,
		"commit", r.Machine.Commit, "network", r.Params.Network,
	}
	var changed []string
	for i := 0; i < len(kv); i += 2 {
		k, v := kv[i], oneLine(kv[i+1])
		if r.Machine.GOMAXPROCS == 0 && k == "gomaxprocs" {
			v = ""
		}
		if v == c.values[k] {
			continue
		}
		c.values[k] = v
		changed = append(changed, strings.TrimRight(k+": "+v, " "))
	}
	if len(changed) == 0 {
		return first
	}
	if !first {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\n\n", strings.Join(changed, "\n"))
	return first
}

// oneLine keeps a value on one line, as the format requires.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// nameSafe keeps a name part free of the separators of benchmark names.
func nameSafe(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}
