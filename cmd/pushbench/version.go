package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `usage: pushbench version

Prints which pushbench this is: its module version (go install
...@VERSION stamps one), else the VCS revision it was built from and
whether the tree had uncommitted changes, else "unknown"; then the Go
version that built it and the platform it runs on.

A build from a checkout carries a revision only when the go command
stamped one: not with -buildvcs=false (in the flags or in GOFLAGS), and
not in a git worktree, whose .git is a file the go command does not read.
Records name the revision either way (they ask git when the build does
not say).
`

// versionCLI is version's command line: no flags.
func versionCLI(stderr io.Writer) *cli {
	c := newCLI("version", stderr)
	c.help = help{doc: versionUsage, examples: "  pushbench version\n"}
	return c
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	if err := versionCLI(stderr).parse(args); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	b := describeBuild(bi)
	fmt.Fprintf(stdout, "pushbench  %s\n", b.version)
	if b.revision != "" {
		fmt.Fprintf(stdout, "revision   %s\n", b.revision)
	}
	fmt.Fprintf(stdout, "go         %s\n", runtime.Version())
	fmt.Fprintf(stdout, "platform   %s/%s\n", runtime.GOOS, runtime.GOARCH)
	return nil
}

// build is what a binary's build information says about its own version.
type build struct {
	version  string // the module version, or "devel", or "unknown: why"
	revision string // the VCS revision and its state, when stamped
}

// describeBuild reads bi (nil when the binary has no build information).
// A module version other than "(devel)" is the version; without one, a
// stamped VCS revision makes it "devel" with that revision; with neither,
// it is unknown, and says why.
func describeBuild(bi *debug.BuildInfo) build {
	if bi == nil {
		return build{version: "unknown: this binary carries no build information"}
	}
	var b build
	var rev, modified, when string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			when = s.Value
		}
	}
	if rev != "" {
		b.revision = rev
		if when != "" {
			b.revision += " (" + when + ")"
		}
		switch modified {
		case "true":
			b.revision += ", with uncommitted changes"
		case "false":
			b.revision += ", clean"
		}
	}
	switch v := bi.Main.Version; {
	case v != "" && v != "(devel)":
		b.version = v
	case rev != "":
		b.version = "devel"
	default:
		b.version = "unknown: no module version and no VCS revision in this build (built from a checkout with -buildvcs=false, from a git worktree, or outside version control)"
	}
	return b
}
