package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the commands' -h output")

// commandNames are every subcommand, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestUsageGolden: every command's -h (and pushbench's own) is exit 0 and
// reads as testdata/help-CMD.golden, so a change to the command line shows
// in review. Refresh with go test ./cmd/pushbench -run Golden -update.
func TestUsageGolden(t *testing.T) {
	cases := map[string][]string{"pushbench": {"-h"}}
	for _, n := range commandNames() {
		cases[n] = []string{n, "-h"}
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
			}
			got := out.String() + errOut.String()
			path := filepath.Join("testdata", "help-"+name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("pushbench %s differs from %s (run with -update if the change is meant):\n%s", strings.Join(args, " "), path, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines of want and got that differ, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n   got " + gl + "\n")
		}
	}
	return b.String()
}

// TestUsageFlagGroups: in every command's -h each flag is under exactly
// one heading, every heading names real flags, and the hidden old names
// are under none and do not appear at all.
func TestUsageFlagGroups(t *testing.T) {
	for _, n := range commandNames() {
		c := commands[n].cli(&bytes.Buffer{})
		for _, e := range c.groupErrors() {
			t.Errorf("pushbench %s: %s", n, e)
		}
		var help bytes.Buffer
		c.printHelp(&help)
		c.fs.VisitAll(func(f *flag.Flag) {
			_, hidden := c.aliases[f.Name]
			shown := strings.Count(help.String(), "\n  --"+f.Name+" ") + strings.Count(help.String(), "\n  --"+f.Name+"\n")
			switch {
			case hidden && shown != 0:
				t.Errorf("pushbench %s -h shows the deprecated --%s", n, f.Name)
			case !hidden && shown != 1:
				t.Errorf("pushbench %s -h shows --%s %d times, want once", n, f.Name, shown)
			}
		})
	}
	// The check finds what it is meant to find.
	c := newCLI("x", &bytes.Buffer{})
	var a, b int
	c.Int(&a, "a", 0, 0, 1, "", "")
	c.Int(&b, "b", 0, 0, 1, "", "")
	c.alias("old-a", "a")
	c.help.groups = []flagGroup{{"One", []string{"a", "nope"}}, {"Two", []string{"a", "old-a"}}}
	got := strings.Join(c.groupErrors(), "; ")
	for _, want := range []string{"--nope, which is not a flag", "--a is in 2 groups", "--b is in no group", "shows --old-a, a hidden alias"} {
		if !strings.Contains(got, want) {
			t.Errorf("groupErrors = %q, lacks %q", got, want)
		}
	}
}

// TestOldFlagNamesStillWork: each hidden old name sets its new flag and
// says, in one line, which flag to use instead.
func TestOldFlagNamesStillWork(t *testing.T) {
	var o serveOpts
	var errOut bytes.Buffer
	if err := serveCLI(&o, &errOut).parse([]string{"--ring-bytes", "1MiB", "--ring", "7", "--read-limit", "8KiB"}); err != nil {
		t.Fatal(err)
	}
	if o.cfg.RingBytes != 1<<20 || o.cfg.Ring != 7 || o.cfg.Server.ReadLimit != 8<<10 {
		t.Errorf("old names did not set the new flags: ring-bytes %d, ring %d, read-limit %d", o.cfg.RingBytes, o.cfg.Ring, o.cfg.Server.ReadLimit)
	}
	if want := "pushbench serve: --ring-bytes is deprecated and goes in the next release: use --max-ring-bytes\n"; !strings.HasPrefix(errOut.String(), want) {
		t.Errorf("stderr %q does not start with %q", errOut.String(), want)
	}
	if n := strings.Count(errOut.String(), "\n"); n != 3 {
		t.Errorf("%d deprecation lines for 3 old names:\n%s", n, errOut.String())
	}
	var r runOpts
	errOut.Reset()
	if err := runCLI(&r, &errOut).parse([]string{"--workers", "3"}); err != nil || r.workers != 3 {
		t.Errorf("--workers 3: err %v, worker-procs %d", err, r.workers)
	}
	if !strings.Contains(errOut.String(), "use --worker-procs") {
		t.Errorf("--workers: stderr %q does not name --worker-procs", errOut.String())
	}
	// Every old name reaches its new flag's checks: a bad value names the new flag.
	for _, n := range commandNames() {
		c := commands[n].cli(&bytes.Buffer{})
		for old, name := range c.aliases {
			err := c.parse([]string{"--" + old, "-1x"})
			if err == nil || !strings.HasPrefix(err.Error(), "--"+name+" -1x: allowed ") {
				t.Errorf("pushbench %s --%s -1x: %v, want the range of --%s", n, old, err, name)
			}
		}
	}
}

func TestTransportsHelpSaysWhatItDoes(t *testing.T) {
	var errOut bytes.Buffer
	if code := run([]string{"transports", "-h"}, &bytes.Buffer{}, &errOut); code != 0 || !strings.Contains(errOut.String(), "Lists the transports") {
		t.Errorf("transports -h: exit %d:\n%s", code, errOut.String())
	}
}
