package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/harness/serve"
)

// TestHostileFlagsAreUsageErrors: every value that used to crash the
// server, overflow or be silently replaced by a default is exit 2 with the
// allowed range.
func TestHostileFlagsAreUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--first-seq", "9223372036854775806"}, "--first-seq 9223372036854775806: allowed 1 to"},
		{[]string{"--first-seq", "0"}, "--first-seq 0: allowed 1 to"},
		{[]string{"--ring", "9223372036854775807"}, "--ring 9223372036854775807: allowed 1 to 100000000"},
		{[]string{"--ring", "1e11"}, `invalid value "1e11" for flag -ring`},
		{[]string{"--ring-bytes", "-1"}, "--ring-bytes -1: allowed"},
		{[]string{"--rate", "1e-300"}, "--rate 1e-300: allowed 0 (no publisher) or 0.001 to 1e+06"},
		{[]string{"--rate", "NaN"}, "--rate NaN: allowed"},
		{[]string{"--rate", "Inf"}, "--rate +Inf: allowed"},
		{[]string{"--batch", "-5"}, "--batch -5: allowed 1 to"},
		{[]string{"--batch-bytes", "0"}, "--batch-bytes 0: allowed"},
		{[]string{"--write-timeout", "-1s"}, "--write-timeout -1s: allowed 1ms to 1h"},
		{[]string{"--heartbeat", "0s"}, "--heartbeat 0s: allowed 1ms to 1h"},
		{[]string{"--body-timeout", "0s"}, "--body-timeout 0s: allowed"},
		{[]string{"--max-publish", "-1"}, "--max-publish -1: allowed 1 to"},
		{[]string{"--max-conns", "0"}, "--max-conns 0: allowed 1 to"},
		{[]string{"--queue-bytes", "1"}, "--queue-bytes 1: allowed"},
		{[]string{"--read-limit", "-1"}, "--read-limit -1: allowed"},
		{[]string{"--payload", "1000000", "--ring-bytes", "65536"}, "--payload 1000000 does not fit --ring-bytes 65536"},
		{[]string{"--binary", "--payload", "30000", "--ring-bytes", "65536"}, "--payload 30000 does not fit --ring-bytes 65536"}, // text would fit
		{[]string{"--addr", ":99999"}, `--addr ":99999": port "99999": allowed 0 to 65535`},
		{[]string{"--raw-addr", "nocolon"}, `--raw-addr "nocolon": want host:port`},
		{[]string{"--control", "--addr", "0.0.0.0:0"}, "--control on the non-loopback --addr 0.0.0.0:0"},
		{[]string{"--control", "--addr", ":0"}, "--control on the non-loopback --addr :0"},
		{[]string{"--tls-addr", "nocolon"}, `--tls-addr "nocolon": want host:port`},
		{[]string{"--tls-cert", "/nonexistent.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-ticket-key", "/nonexistent.key"}, "--tls-ticket-key: open /nonexistent.key"},
		{[]string{"--tls-ticket-key", writeTemp(t, "abcd")}, "want 64 hex digits"},
		{[]string{"--max-streams", "0"}, "--max-streams 0: allowed 1 to"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"serve"}, tt.args...), &out, &errOut)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.inStderr, lastLine(errOut.String()))
			}
		})
	}
}

func TestExposedAddressWarnsNamingWhatItExposes(t *testing.T) {
	var errOut bytes.Buffer
	err := checkExposure(serveConfig("0.0.0.0:8080", "127.0.0.1:8081", false), false, &errOut)
	if err != nil || !strings.Contains(errOut.String(), "warning: --addr 0.0.0.0:8080 is not a loopback address: it exposes every HTTP transport, GET /stats and POST /publish") {
		t.Errorf("0.0.0.0: err %v, stderr %q", err, errOut.String())
	}
	errOut.Reset()
	if err := checkExposure(serveConfig("0.0.0.0:8080", "127.0.0.1:8081", true), true, &errOut); err != nil || !strings.Contains(errOut.String(), "/control/publish") {
		t.Errorf("forced remote control: err %v, stderr %q", err, errOut.String())
	}
	errOut.Reset()
	for _, addr := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080"} {
		if err := checkExposure(serveConfig(addr, addr, true), false, &errOut); err != nil || errOut.Len() != 0 {
			t.Errorf("%s: err %v, stderr %q", addr, err, errOut.String())
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

func serveConfig(addr, raw string, control bool) serve.Config {
	return serve.Config{Addr: addr, RawAddr: raw, Control: control}
}

// TestRunThatSelectsNoTransportIsAUsageError: a scenario whose transports
// name nothing known, or a --transports list that misses them, used to run
// nothing and exit 0.
func TestRunThatSelectsNoTransportIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	write := func(name, js string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.json", `{"name":"u","kind":"idle","clients":[1],"duration":"1s","transports":["pigeon"]}`)
	onlyWS := write("ws.json", `{"name":"w","kind":"idle","clients":[1],"duration":"1s","transports":["websocket"]}`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", unknown}, `unknown transport "pigeon" (known: [`},
		{[]string{"--scenario", onlyWS, "--transports", "sse-lean"}, "scenario w runs on websocket, and --transports selects sse-lean: nothing to run (known transports: "},
	} {
		var out, errOut bytes.Buffer
		code := run(append(append([]string{"run"}, tt.args...), "--out", filepath.Join(dir, "out")), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, lastLine(errOut.String()), tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
			t.Errorf("%v: an output folder was made for a run that cannot run", tt.args)
		}
	}
}

// writeTemp writes text to a file of its own and returns its path.
func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
