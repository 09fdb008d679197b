package scenarios_test

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

// makeDryRun is the commands make would run for target in the
// repository's Makefile.
func makeDryRun(t *testing.T, target string) string {
	t.Helper()
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not found")
	}
	out, err := exec.Command(mk, "-s", "-n", "-C", "..", target).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	return string(out)
}

// Every built-in target is benchmarked by make bench-stacks or make
// bench-targets: bench-stacks finds the reference servers by their start
// command (code run from {{.Cache}}/stacks/), so a target file that does
// not follow that convention would otherwise be left out silently; and
// pushbench's own server is bench-stacks' reference.
func TestEveryBuiltinTargetIsBenchmarked(t *testing.T) {
	stacksLoop := regexp.MustCompile(`for t in ([^;]*);`)
	m := stacksLoop.FindStringSubmatch(makeDryRun(t, "bench-stacks"))
	if m == nil {
		t.Fatal("make -n bench-stacks shows no loop over targets")
	}
	stacks := strings.Fields(m[1])
	if !slices.Contains(stacks, "pushbench") {
		t.Errorf("bench-stacks runs %q: pushbench, the reference, is missing", stacks)
	}
	var targets []string
	for _, m := range regexp.MustCompile(`--target ([a-z0-9-]+)`).FindAllStringSubmatch(makeDryRun(t, "bench-targets"), -1) {
		targets = append(targets, m[1])
	}
	for _, name := range scenarios.TargetNames() {
		if !slices.Contains(stacks, name) && !slices.Contains(targets, name) {
			t.Errorf("built-in target %s is run by neither make bench-stacks (%q) nor make bench-targets (%q): "+
				"start a reference server's code from {{.Cache}}/stacks/, as make target-deps installs it", name, stacks, targets)
		}
	}
	for _, name := range stacks {
		if _, err := scenarios.FindTarget(name); err != nil {
			t.Errorf("bench-stacks runs %s: %v", name, err)
		}
	}
}
