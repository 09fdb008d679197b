package loadgen

import (
	"strings"
	"testing"
)

// TestClientModeCrossesProcesses: a worker's mode travels in its report;
// workers that differ merge as "mixed"; a spec names only known modes.
func TestClientModeCrossesProcesses(t *testing.T) {
	g := New(Config{Transport: mustLookup(t, "rawtcp"), ClientMode: ModeReactor})
	defer g.Close()
	rep, err := g.Window(0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if rep.ClientMode != ModeReactor {
		t.Fatalf("report's client mode %q, want reactor", rep.ClientMode)
	}
	for _, tc := range []struct {
		modes []string
		want  string
	}{{[]string{ModeReactor, ModeReactor}, ModeReactor}, {[]string{ModeReactor, ModeGoroutine}, "mixed"}} {
		var reps []Report
		for _, m := range tc.modes {
			reps = append(reps, Report{ClientMode: m})
		}
		w, err := Merge(reps)
		if err != nil {
			t.Fatal(err)
		}
		if w.ClientMode != tc.want {
			t.Errorf("merged %v: %q, want %q", tc.modes, w.ClientMode, tc.want)
		}
	}
	if _, err := (Spec{Transport: "rawtcp", ClientMode: "threads"}).Config(); err == nil || !strings.Contains(err.Error(), "client_mode") {
		t.Errorf("spec with client_mode threads: %v, want an error naming client_mode", err)
	}
	if cfg, err := (Spec{Transport: "rawtcp", ClientMode: ModeReactor}).Config(); err != nil || cfg.ClientMode != ModeReactor {
		t.Errorf("spec with client_mode reactor: %+v %v", cfg.ClientMode, err)
	}
}
