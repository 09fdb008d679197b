package harness

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// nodeTarget loads one of the test targets (a Node SSE server that
// re-encodes JSON through float64), edited by edit when set.
func nodeTarget(t *testing.T, file string, edit func(*scenarios.Target)) scenarios.Target {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("the target tests need node (make test installs it: apt-get install -y nodejs)")
	}
	tg, err := scenarios.FindTarget(filepath.Join("testdata", "targets", file))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&tg)
	}
	return tg
}

func rowOf(t *testing.T, c TargetCheck, check string) CheckRow {
	t.Helper()
	for _, r := range c.Rows {
		if strings.HasPrefix(r.Check, check) {
			return r
		}
	}
	t.Fatalf("no %q row in %+v", check, c.Rows)
	return CheckRow{}
}

// target check finds what a broken target does wrong and names the fix:
// sent rounded by a float64 re-encoding, the message not at the pointer
// (and where it is). The same server with sent as a string passes.
func TestTargetCheckFindsWhatIsBroken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node server three times")
	}
	ctx := context.Background()
	rounded, err := CheckTarget(ctx, nodeTarget(t, "reencode.yaml", nil), CheckOptions{Messages: 40, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, rounded, "sent exact"); r.OK || !strings.Contains(r.Seen, "arrived as") || !strings.Contains(r.Fix, `"string"`) {
		t.Errorf("rounded sent not caught: %+v", r)
	}
	for _, name := range []string{"publish", "envelope", "once, in order"} {
		if r := rowOf(t, rounded, name); !r.OK {
			t.Errorf("%s failed on a server that only rounds sent: %+v", name, r)
		}
	}
	wrong, err := CheckTarget(ctx, nodeTarget(t, "wrong-envelope.yaml", nil), CheckOptions{Messages: 20, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, wrong, "envelope"); r.OK || !strings.Contains(r.Fix, `"/msg"`) || wrong.Failed() != 1 {
		t.Errorf("wrong envelope: %+v (failed %d), want the envelope row failing and naming /msg", r, wrong.Failed())
	}
	fixed, err := CheckTarget(ctx, nodeTarget(t, "reencode.yaml", func(tg *scenarios.Target) { tg.Publish.Sent = "string" }), CheckOptions{Messages: 20, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Failed() != 0 {
		t.Errorf("sent as a string still fails: %+v", fixed.Rows)
	}
	late, err := CheckTarget(ctx, nodeTarget(t, "batching.yaml", nil), CheckOptions{Messages: 40, CPU: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(t, late, "on time"); r.OK || late.Failed() != 1 || !strings.Contains(r.Fix, "batches") {
		t.Errorf("a server that releases its events once a second: %+v (failed %d), want only the on-time row failing", r, late.Failed())
	}
}

// A run against a target measures it like pushbench's own server: every
// message counted once, the implementation named, the publisher's account
// kept, the target's own processes sampled and what cannot be measured
// on it marked so.
func TestRunAgainstATarget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node target server and runs a whole step against it")
	}
	tg := nodeTarget(t, "reencode.yaml", func(tg *scenarios.Target) { tg.Publish.Sent = "string" })
	var buf bytes.Buffer
	log := &syncWriter{w: &buf}
	out := t.TempDir()
	r, err := New(Config{Binary: serverBin, Out: out, Log: log, Target: &tg})
	if err != nil {
		t.Fatal(err)
	}
	sc := scenario(t, `{"name":"t","kind":"broadcast","transports":["sse","websocket"],"clients":[10],"rate":[100],"warmup":"200ms","duration":"1s"}`)
	if err := r.Run(context.Background(), []scenarios.Scenario{sc}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Transport != "sse" {
		t.Fatalf("%d records, want one for sse (the target serves no websocket); log:\n%s", len(recs), buf.String())
	}
	rec := recs[0]
	d := rec.Delivery
	if rec.Error != "" || d.Published < 80 || d.Delivered != d.Published*10 || d.Lost+d.Duplicates+d.Reorders+d.Unexpected != 0 {
		t.Fatalf("error %q, published %d, delivered %d to 10 clients, lost %d dups %d reorders %d unexpected %d",
			rec.Error, d.Published, d.Delivered, d.Lost, d.Duplicates, d.Reorders, d.Unexpected)
	}
	if rec.Latency.Count != d.Delivered {
		t.Errorf("%d latency samples for %d deliveries", rec.Latency.Count, d.Delivered)
	}
	// The target's SSE over plain HTTP is read by the reactor, every read
	// stamped by the kernel.
	if rec.Params.ClientMode != "reactor" || rec.Loadgen.Reads == 0 || rec.Loadgen.StampedReads != rec.Loadgen.Reads {
		t.Errorf("client mode %q (%s), %d reads, %d stamped: want the reactor, every read stamped",
			rec.Params.ClientMode, rec.Params.ClientModeWhy, rec.Loadgen.Reads, rec.Loadgen.StampedReads)
	}
	im := results.ImplementationOf(rec)
	if im.Name != "reencode" || !strings.HasPrefix(im.Version, "v") || im.Model != "event loop" || !im.Local || im.Resume != "none" {
		t.Errorf("implementation %+v", im)
	}
	if p := rec.Publisher; p == nil || p.Requests != d.Published || p.Errors != 0 || p.CPUSeconds <= 0 {
		t.Errorf("publisher %+v for %d published", rec.Publisher, d.Published)
	}
	if s := rec.Server; s.RSSBytes < 10<<20 || s.CPUSeconds <= 0 || s.Measured("heap") || !s.Measured("rss") || s.Processes != 1 || s.Threads < 2 {
		t.Errorf("server %+v: want the Node process's RSS and CPU, heap not measured", s)
	}
	if _, err := os.Stat(filepath.Join(out, "targets")); err != nil {
		t.Errorf("the target's files are not in the output folder: %v", err)
	}
}

// The built-in targets pass their own check on this machine: every
// transport subscribes, finds the message, gets sent exact, every message
// once and in order and on time, and resumes where the server offers it.
// make test installs their servers (make target-deps); every built-in is
// checked, so a broken server fails the build, not the bench.
func TestBuiltinTargetsPassTheirCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx with Nchan and Centrifugo")
	}
	for _, name := range scenarios.TargetNames() {
		t.Run(name, func(t *testing.T) {
			tg, err := scenarios.FindTarget(name)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Serve {
				t.Skip("pushbench's own server: its transports are checked by the conformance suite")
			}
			res, err := CheckTarget(context.Background(), tg, CheckOptions{Messages: 40, CPU: -1})
			if err != nil {
				t.Fatalf("%v (make target-deps installs the built-in targets' servers)", err)
			}
			if len(res.Rows) < 6*len(tg.Transports) || res.Version == "" {
				t.Errorf("%d rows for %d transports, version %q", len(res.Rows), len(tg.Transports), res.Version)
			}
			for _, r := range res.Rows {
				if !r.OK {
					t.Errorf("%s %s: %s (fix: %s)", r.Transport, r.Check, r.Seen, r.Fix)
				}
			}
		})
	}
}

// A relative output folder works: the target's command runs in its own
// folder, so the paths its templates see are absolute.
func TestTargetStartsFromARelativeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node target server")
	}
	tg := nodeTarget(t, "reencode.yaml", nil)
	t.Chdir(t.TempDir())
	tp, err := startTarget(context.Background(), tg, filepath.Join("out", "t"), -1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.stop()
	if !filepath.IsAbs(tp.vars.Dir) {
		t.Errorf("Dir %q is relative", tp.vars.Dir)
	}
}
