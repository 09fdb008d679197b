package harness

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// An idle ramp against a target stops at the first step the server cannot
// hold, and the steps left unrun name the target as the measured ones do:
// otherwise a report would file them under pushbench's own server. Here
// the second step asks more connections of the one Node process than the
// open-file limit allows, which the run refuses before connecting.
func TestUnrunRampStepsNameTheTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node target server and runs a step against it")
	}
	if r, err := New(Config{Binary: serverBin, Out: t.TempDir()}); err != nil || r.fileLimit == 0 || r.fileLimit > 100_000 {
		t.Skip("needs an open-file limit under 100,000 to refuse the second step")
	}
	tg := nodeTarget(t, "reencode.yaml", func(tg *scenarios.Target) { tg.Publish.Sent = "string" })
	var buf bytes.Buffer
	out := t.TempDir()
	r, err := New(Config{Binary: serverBin, Out: out, Log: &syncWriter{w: &buf}, Target: &tg})
	if err != nil {
		t.Fatal(err)
	}
	sc := scenario(t, `{"name":"ramp","kind":"idle","transports":["sse"],"clients":[10,100000,200000],"warmup":"100ms","duration":"500ms"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want one per step; log:\n%s", len(recs), buf.String())
	}
	for _, rec := range recs {
		im := results.ImplementationOf(rec)
		if im.Name != "reencode" || im.Version == "" {
			t.Errorf("step %d (%s): implementation %+v, want the target's", rec.Step, rec.Error, im)
		}
	}
	if recs[0].Error != "" || recs[1].Error == "" || !strings.HasPrefix(recs[2].Error, "not run: an earlier step failed") {
		t.Errorf("errors %q, %q, %q: want the first step held, the second failed, the third not run", recs[0].Error, recs[1].Error, recs[2].Error)
	}
}

// A target that does not start leaves a record per step naming it (its
// version unknown), never one filed under pushbench's own server.
func TestUnstartedTargetIsNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a scenario against a target")
	}
	tg := nodeTarget(t, "reencode.yaml", func(tg *scenarios.Target) {
		tg.Start.Command = []string{"sh", "-c", "exit 3"}
		tg.Start.Ready.Timeout.Duration = 2 * time.Second
	})
	var buf bytes.Buffer
	out := t.TempDir()
	r, err := New(Config{Binary: serverBin, Out: out, Log: &syncWriter{w: &buf}, Target: &tg})
	if err != nil {
		t.Fatal(err)
	}
	sc := scenario(t, `{"name":"ramp","kind":"idle","transports":["sse"],"clients":[10,20],"warmup":"100ms","duration":"500ms"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want one per step; log:\n%s", len(recs), buf.String())
	}
	for _, rec := range recs {
		if im := results.ImplementationOf(rec); rec.Error == "" || im.Name != "reencode" || im.Model != "event loop" {
			t.Errorf("step %d: error %q, implementation %+v: want an error and the target named", rec.Step, rec.Error, im)
		}
	}
}
