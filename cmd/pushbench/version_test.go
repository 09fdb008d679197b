package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	const rev = "19f8850b879e1024a09a2ae157f61c08f0c3412a"
	tests := []struct {
		name         string
		bi           *debug.BuildInfo
		version, rev string
	}{
		{"no build information", nil, "unknown: this binary carries no build information", ""},
		{"devel without a VCS stamp", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "unknown: no module version and no VCS revision in this build", ""},
		{"empty version without a VCS stamp", &debug.BuildInfo{}, "unknown: no module version", ""},
		{"go install of a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3", ""},
		{"devel with a revision and changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "devel", rev + " (2026-01-02T03:04:05Z), with uncommitted changes"},
		{"a checkout's pseudo-version, clean", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102030405-19f8850b879e"}, Settings: vcs(rev, "false")}, "v0.0.0-20260102030405-19f8850b879e", rev + " (2026-01-02T03:04:05Z), clean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := describeBuild(tt.bi)
			if !strings.HasPrefix(b.version, tt.version) {
				t.Errorf("version = %q, want it to start with %q", b.version, tt.version)
			}
			if b.revision != tt.rev {
				t.Errorf("revision = %q, want %q", b.revision, tt.rev)
			}
		})
	}
}

// The command prints what this binary's own build information says, the
// Go version that built it and the platform, and nothing on stderr.
func TestVersionCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %q", errOut.String())
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	want := describeBuild(bi)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "pushbench  "+want.version {
		t.Errorf("first line %q, want %q", lines[0], "pushbench  "+want.version)
	}
	for _, l := range []string{"go         " + runtime.Version(), "platform   " + runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(out.String(), l+"\n") {
			t.Errorf("output lacks %q:\n%s", l, out.String())
		}
	}
	if got := strings.Contains(out.String(), "revision   "); got != (want.revision != "") {
		t.Errorf("revision line present = %v, but the build's revision is %q", got, want.revision)
	}
}

func TestVersionUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version", "extra"}, &out, &errOut); code != 2 || errOut.String() != "pushbench version: unexpected arguments: extra\nsee pushbench version -h\n" {
		t.Errorf("stray argument: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"version", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "usage: pushbench version") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	run([]string{"help"}, &out, &errOut)
	if !strings.Contains(out.String(), "  version ") {
		t.Errorf("help does not list version:\n%s", out.String())
	}
}
