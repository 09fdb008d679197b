package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests and fails the run if any leaves a goroutine
// behind (serve and worker run in-process here), or, with cliEnv set, acts
// as the pushbench command itself (see pushbench in workflow_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

var badScenario = func() string {
	f, err := os.CreateTemp("", "bad-*.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	f.WriteString(`{"name":"bad","kind":"broadcast","clients":[0],"rate":[1],"duration":"1s"}`)
	return f.Name()
}()

func TestExitCodesAndMessages(t *testing.T) {
	defer os.Remove(badScenario)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no args prints usage", nil, 0, ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad flag value", []string{"serve", "--rate", "abc"}, 2, "--rate abc: allowed 0 (no publisher) or 0.001 to 1e+06 messages per second"},
		{"unknown flag", []string{"serve", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"negative rate", []string{"serve", "--rate", "-1"}, 2, "--rate -1: allowed 0 (no publisher) or"},
		{"unknown transport", []string{"serve", "--transports", "sse-lean,carrier-pigeon"}, 2, `unknown transport "carrier-pigeon"`},
		{"stray argument", []string{"transports", "extra"}, 2, "unexpected arguments: extra"},
		{"busy port", []string{"serve", "--addr", "256.0.0.1:1"}, 1, "use --addr to pick another"},
		{"unknown scenario", []string{"run", "--scenario", "nosuch"}, 2, `unknown scenario "nosuch"`},
		{"bad scenario file", []string{"run", "--scenario", badScenario}, 2, `field "clients": 0: allowed 1 to`},
		{"run with unknown transport", []string{"run", "--scenario", "latency", "--transports", "pigeon", "--out", os.TempDir() + "/pb-x"}, 2, `unknown transport "pigeon"`},
		{"bad count", []string{"run", "--count", "-1"}, 2, "--count -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.inStderr) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tt.inStderr)
			}
			if tt.code == 2 && tt.args != nil && commands[tt.args[0]].run != nil {
				lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
				if len(lines) != 2 || lines[1] != "see pushbench "+tt.args[0]+" -h" || strings.Contains(errOut.String(), "usage:") {
					t.Errorf("usage error is not one line and a pointer to -h: %q", errOut.String())
				}
			}
		})
	}
}

func TestTransportsListsEveryRegisteredTransport(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"transports"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, name := range []string{"shortpoll", "longpoll", "sse-lean"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("output lacks %s:\n%s", name, out.String())
		}
	}
}

// A scenario that needs pushbench's own server is refused against a
// target before anything starts, naming the scenario and why.
func TestRunRefusesScenariosATargetCannotRun(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"run", "--target", "nchan", "--scenario", "fault-restart,latency", "--quick", "--out", t.TempDir()}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "fault-restart restarts pushbench's server") {
		t.Errorf("exit %d, stderr %q; want 2 naming fault-restart and why", code, errb.String())
	}
}
