package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// Browser-measured records (Record.Client "browser", loadgen/browser): the
// browsers section (each stream's opening and first message, per
// transport and protocol) and claim C13 (six HTTP/1.1 connections per
// origin).

// BrowserSectionName is the browsers section's scenario field.
const BrowserSectionName = "browsers"

// perOriginLimit is the HTTP/1.1 connection limit per origin the claim
// names; a measurement needs more streams than it to show it.
const perOriginLimit = 6

// browserRecords is the usable browser-measured records, in a stable
// order (scenario, transport, repetition).
func browserRecords(recs []results.Record) []results.Record {
	var out []results.Record
	for _, r := range recs {
		if r.Client == results.ClientBrowser && r.Browser != nil && r.Error == "" && !r.Interrupted {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Scenario != b.Scenario {
			return a.Scenario < b.Scenario
		}
		if a.Transport != b.Transport {
			fa, fb := factsOf(a), factsOf(b)
			return tableLess(fa, fb) || (!tableLess(fb, fa) && a.Transport < b.Transport)
		}
		return a.Repetition < b.Repetition
	})
	return out
}

// streamFacts condenses one record's stream timelines.
type streamFacts struct {
	n, waited, maxOpen     int
	waitedIDs              []string // "tab.stream" (or "stream" with one tab) of those that waited
	openFirst, openLast    float64  // ms, streams that did not wait
	waitFrom, waitTo       float64  // ms, opening of those that waited
	waitLatFrom, waitLatTo int64    // µs, first-message latency of those that waited
	firstLatMax            int64    // µs, over all streams
}

func streamFactsOf(b *results.BrowserRun) streamFacts {
	f := streamFacts{n: len(b.Streams), maxOpen: b.MaxOpen(), openFirst: -1, waitFrom: -1}
	waited := map[[2]int]bool{}
	for _, s := range b.Waited() {
		waited[[2]int{s.Tab, s.Stream}] = true
	}
	f.waited = len(waited)
	for _, s := range b.Waited() {
		id := fmt.Sprint(s.Stream)
		if b.Tabs > 1 {
			id = fmt.Sprintf("%d.%d", s.Tab, s.Stream)
		}
		f.waitedIDs = append(f.waitedIDs, id)
	}
	for _, s := range b.Streams {
		f.firstLatMax = max(f.firstLatMax, s.FirstLatencyUs)
		if s.OpenedMs < 0 {
			continue
		}
		if waited[[2]int{s.Tab, s.Stream}] {
			if f.waitFrom < 0 || s.OpenedMs < f.waitFrom {
				f.waitFrom = s.OpenedMs
			}
			f.waitTo = max(f.waitTo, s.OpenedMs)
			if f.waitLatFrom == 0 || s.FirstLatencyUs < f.waitLatFrom {
				f.waitLatFrom = s.FirstLatencyUs
			}
			f.waitLatTo = max(f.waitLatTo, s.FirstLatencyUs)
			continue
		}
		if f.openFirst < 0 || s.OpenedMs < f.openFirst {
			f.openFirst = s.OpenedMs
		}
		f.openLast = max(f.openLast, s.OpenedMs)
	}
	return f
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// browserSection is one row per browser-measured record; ok is false when
// there is none.
func browserSection(recs []results.Record) (Section, bool) {
	brs := browserRecords(recs)
	if len(brs) == 0 {
		return Section{}, false
	}
	t := Table{Title: "Streams in headless Chromium: when each opened and its first message",
		Header: []string{"scenario", "transport", "rep", "protocol", "streams", "open at once", "connections", "waited", "opened (no wait)", "waiting ones opened", "first msg latency (max)", "p50", "p99"},
		Note: "Times from the first stream's creation, on the page's clock. A stream waited when it opened only after another stream had closed (each closes once it has the window's last message). " +
			"Connections: distinct ones Chromium reported for the target's HTTP responses (WebSocket not counted)."}
	for _, r := range brs {
		b := r.Browser
		f := streamFactsOf(b)
		noWait, waitOpen := "-", "-"
		if f.openFirst >= 0 {
			noWait = ms(f.openFirst) + " – " + ms(f.openLast)
		}
		if f.waited > 0 {
			waitOpen = ms(f.waitFrom) + " – " + ms(f.waitTo)
		}
		proto := b.Protocol
		if seen := strings.Join(b.Protocols, ","); seen != "" && seen != proto {
			proto += " (saw " + seen + ")"
		}
		t.Rows = append(t.Rows, []string{r.Scenario, r.Transport, fmt.Sprint(r.Repetition), proto,
			fmt.Sprintf("%d x %d", b.Tabs, b.StreamsPerTab), fmt.Sprint(f.maxOpen), fmt.Sprint(b.Connections), fmt.Sprint(f.waited),
			noWait, waitOpen, us(float64(f.firstLatMax)), us(float64(r.Latency.P50)), us(float64(r.Latency.P99))})
	}
	sec := Section{Scenario: BrowserSectionName, Question: "What do real browsers see? (headless Chromium, loadgen/browser)", Tables: []Table{t}}
	if len(brs) > 0 {
		sec.Summary = append(sec.Summary, fmt.Sprintf("%s; the page's clock read %+.0f µs from pushbench's at the start (±%.0f µs: one host clock).",
			brs[0].Browser.Version, brs[0].Browser.ClockOffsetUs, brs[0].Browser.ClockUncertaintyUs))
	}
	return sec, true
}

// c13 judges the connection limit from browser records whose page opened
// more EventSources than the limit: over HTTP/1.1 some must wait for
// another to close, and no more than six be open at once; over h2 none
// waits and all are open together.
func c13(d claimData) Claim {
	text := "Browsers allow about six HTTP/1.1 connections per origin, which limits SSE tabs; HTTP/2 lifts it."
	rule := "browser records with more than 6 EventSources to one origin: supported when over HTTP/1.1 at most 6 are open at once and some open only after another closes, " +
		"and over h2 none waits, in every repetition; contradicted when HTTP/1.1 opens them all without waiting"
	var all []results.Record
	for _, gs := range d {
		for _, g := range gs {
			all = append(all, g.ok...)
		}
	}
	var h1, h2 []results.Record
	for _, r := range browserRecords(all) {
		if r.Browser.API != "eventsource" || len(r.Browser.Streams) <= perOriginLimit {
			continue
		}
		switch r.Browser.Protocol {
		case "http/1.1":
			h1 = append(h1, r)
		case "h2":
			h2 = append(h2, r)
		}
	}
	if len(h1) == 0 && len(h2) == 0 {
		return missing("C13", text, rule, "browser records with more than 6 EventSources (scenario browser-c13)")
	}
	var ev []string
	h1Limited, h1Free := 0, 0
	for _, r := range h1 {
		f := streamFactsOf(r.Browser)
		if f.waited > 0 && f.maxOpen <= perOriginLimit {
			h1Limited++
		}
		if f.waited == 0 && f.maxOpen > perOriginLimit {
			h1Free++
		}
	}
	h2Free := 0
	for _, r := range h2 {
		if f := streamFactsOf(r.Browser); f.waited == 0 && f.maxOpen == f.n {
			h2Free++
		}
	}
	if len(h1) > 0 {
		r := h1[0]
		f := streamFactsOf(r.Browser)
		s := fmt.Sprintf("%s over HTTP/1.1, %d EventSources in one page: at most %d open at once (%d connections over the run); %d opened within %s",
			r.Transport, f.n, f.maxOpen, r.Browser.Connections, f.n-f.waited, ms(f.openLast))
		if f.waited > 0 {
			s += fmt.Sprintf(", streams %s only after others closed (%s – %s), their first message %s – %s late",
				strings.Join(f.waitedIDs, ", "), ms(f.waitFrom), ms(f.waitTo), us(float64(f.waitLatFrom)), us(float64(f.waitLatTo)))
		}
		ev = append(ev, s)
	}
	if len(h2) > 0 {
		r := h2[0]
		f := streamFactsOf(r.Browser)
		s := fmt.Sprintf("over h2 (%s): %d of %d open at once (%d connection(s) over the run), opened within %s, first message at most %s late",
			strings.Join(r.Browser.Protocols, ","), f.maxOpen, f.n, r.Browser.Connections, ms(f.openLast), us(float64(f.firstLatMax)))
		if f.waited > 0 {
			s += fmt.Sprintf(", %d waited", f.waited)
		}
		ev = append(ev, s)
	}
	ev = append(ev, fmt.Sprintf("HTTP/1.1 limited in %d of %d records, h2 unlimited in %d of %d", h1Limited, len(h1), h2Free, len(h2)))
	v := Mixed
	switch {
	case len(h1) > 0 && h1Free == len(h1):
		v = Contradicted
	case len(h1) > 0 && h1Limited == len(h1) && len(h2) > 0 && h2Free == len(h2):
		v = Supported
	case len(h2) == 0 || len(h1) == 0:
		v = NotDecided // half of the claim not measured
	}
	return Claim{"C13", text, rule, v, strings.Join(ev, "; ") + "."}
}
