package main

import (
	"testing"

	"github.com/pushbench/pushbench/results"
)

// TestRampLimitsAreNotFailures: in a ramp of clients, the step that fails
// after one of the same transport, server and repetition held is its
// limit, and so are the steps left unrun after it; a first step that
// fails, or a failing step of a ramp of something else, is a failure.
func TestRampLimitsAreNotFailures(t *testing.T) {
	rec := func(sc, tr string, step int, param, err string) results.Record {
		return results.Record{Scenario: sc, Transport: tr, Step: step, StepParam: param, Repetition: 1, Error: err}
	}
	recs := []results.Record{
		rec("stacks-idle", "sse", 0, "clients", ""),
		rec("stacks-idle", "sse", 1, "clients", ""),
		rec("stacks-idle", "sse", 2, "clients", "connect: 50000 clients need 50512 files"),
		rec("stacks-idle", "sse", 3, "clients", "not run: an earlier step failed"),
		rec("stacks-idle", "websocket", 0, "clients", "connect: refused"), // no step held
		rec("throughput", "sse", 0, "rate", ""),
		rec("throughput", "sse", 1, "rate", "publish: 500"), // not a ramp of clients
	}
	failed, limits := countErrors(recs)
	if failed != 2 || limits != 2 {
		t.Errorf("failed %d, limits %d; want 2 and 2", failed, limits)
	}
}
