package results_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
)

func servedRecord() results.Record {
	r := results.Record{Scenario: "idle", Kind: "idle", Transport: "sse", Repetition: 1,
		Params: results.Params{Clients: 100}}
	r.Server = results.Resources{RSSPerConn: 9000, HeapPerConn: 4000, HeapBytes: 1 << 20, CPUPerConnSecUs: 3}
	return r
}

// A publisher that fell behind through a target's API disqualifies the
// record as a saturated load generator does.
func TestPublisherSaturationDisqualifies(t *testing.T) {
	r := servedRecord()
	r.Publisher = &results.PublisherUsage{Requests: 10}
	if why := r.Disqualified(); why != "" {
		t.Fatalf("a publisher that kept up disqualifies the record: %s", why)
	}
	r.Publisher.Saturated = "publisher at 98% of 1 CPU"
	if why := r.Disqualified(); !strings.Contains(why, "publisher saturated (publisher at 98% of 1 CPU)") {
		t.Errorf("Disqualified() = %q, want the publisher's saturation", why)
	}
}

// A target that runs elsewhere has no server CPU or memory figure: the
// server metrics do not apply to its records, where they would read 0.
// A local target without a recorded heap has no heap figure.
func TestServerMetricsOfTargets(t *testing.T) {
	server := []string{"server-rss-per-conn", "server-heap-per-conn", "server-cpu-per-conn-s"}
	applies := func(r results.Record) map[string]bool {
		out := map[string]bool{}
		for _, name := range server {
			m, _ := results.MetricByName(name)
			out[name] = m.Applies(r)
		}
		return out
	}
	own := servedRecord()
	for name, ok := range applies(own) {
		if !ok {
			t.Errorf("%s does not apply to pushbench's own record", name)
		}
	}
	remote := servedRecord()
	remote.Implementation = &results.Implementation{Name: "nchan", Version: "1.3.6", Local: false}
	for name, ok := range applies(remote) {
		if ok {
			t.Errorf("%s applies to a target that runs elsewhere", name)
		}
	}
	local := servedRecord()
	local.Implementation = &results.Implementation{Name: "nchan", Version: "1.3.6", Local: true}
	local.Server.HeapBytes = 0
	got := applies(local)
	if !got["server-rss-per-conn"] || !got["server-cpu-per-conn-s"] {
		t.Errorf("a local target's RSS or CPU does not apply: %v", got)
	}
	if got["server-heap-per-conn"] {
		t.Error("a local target that recorded no heap has a heap figure")
	}
}
