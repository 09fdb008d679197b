package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/serve"
)

// TestHostileFlagsAreUsageErrors: every value that used to crash the
// server, overflow or be silently replaced by a default is exit 2 with one
// line naming the flag, the value and what is allowed, then where the
// help is; never the whole usage.
func TestHostileFlagsAreUsageErrors(t *testing.T) {
	const sizes = "(bytes, or with a unit: KiB, MiB, GiB, TiB)"
	tests := []struct {
		args []string
		line string // the error line, after "pushbench serve: "; a prefix when it ends in "..."
	}{
		{[]string{"--first-seq", "9223372036854775806"}, "--first-seq 9223372036854775806: allowed 1 to 4611686018427387903 (room for 2^62 messages before the sequence ends)"},
		{[]string{"--first-seq", "0"}, "--first-seq 0: allowed 1 to 4611686018427387903 ..."},
		{[]string{"--max-ring-messages", "9223372036854775807"}, "--max-ring-messages 9223372036854775807: allowed 1 to 100000000 messages"},
		{[]string{"--max-ring-messages", "1e11"}, "--max-ring-messages 1e11: allowed 1 to 100000000 messages"},
		{[]string{"--max-ring-bytes", "-1"}, "--max-ring-bytes -1: allowed 4KiB to 1TiB " + sizes},
		{[]string{"--max-ring-bytes", "64KB"}, "--max-ring-bytes 64KB: allowed 4KiB to 1TiB " + sizes},
		{[]string{"--max-ring-bytes", "9999999999TiB"}, "--max-ring-bytes 9999999999TiB: allowed 4KiB to 1TiB " + sizes},
		{[]string{"--max-ring-bytes", "2TiB"}, "--max-ring-bytes 2TiB: allowed 4KiB to 1TiB " + sizes},
		{[]string{"--max-ring-bytes=1.5MiB"}, "--max-ring-bytes 1.5MiB: allowed 4KiB to 1TiB " + sizes},
		{[]string{"--rate", "1e-300"}, "--rate 1e-300: allowed 0 (no publisher) or 0.001 to 1e+06 messages per second"},
		{[]string{"--rate", "NaN"}, "--rate NaN: allowed 0 (no publisher) or 0.001 to 1e+06 messages per second"},
		{[]string{"--rate", "Inf"}, "--rate Inf: allowed 0 (no publisher) or 0.001 to 1e+06 messages per second"},
		{[]string{"--rate", "abc"}, "--rate abc: allowed 0 (no publisher) or 0.001 to 1e+06 messages per second"},
		{[]string{"--rate="}, `--rate "": allowed 0 (no publisher) or 0.001 to 1e+06 messages per second`},
		{[]string{"--max-batch-messages", "-5"}, "--max-batch-messages -5: allowed 1 to 1000000 messages"},
		{[]string{"--max-batch-bytes", "0"}, "--max-batch-bytes 0: allowed 1KiB to 1GiB " + sizes},
		{[]string{"--max-queue-messages", "0"}, "--max-queue-messages 0: allowed 1 to 10000000 messages"},
		{[]string{"--max-queue-bytes", "1"}, "--max-queue-bytes 1: allowed 1KiB to 1TiB " + sizes},
		{[]string{"--write-timeout", "-1s"}, "--write-timeout -1s: allowed 1ms to 1h"},
		{[]string{"--heartbeat", "0s"}, "--heartbeat 0s: allowed 1ms to 1h"},
		{[]string{"--hold", "2h"}, "--hold 2h: allowed 1ms to 1h"},
		{[]string{"--retry", "soon"}, "--retry soon: allowed 1ms to 1h"},
		{[]string{"--body-timeout", "0s"}, "--body-timeout 0s: allowed 1ms to 1h"},
		{[]string{"--max-publish-bytes", "-1"}, "--max-publish-bytes -1: allowed 1 to 16MiB " + sizes},
		{[]string{"--max-inflight-bytes", "1"}, "--max-inflight-bytes 1: allowed 1KiB to 16GiB " + sizes},
		{[]string{"--max-frame-bytes", "-1"}, "--max-frame-bytes -1: allowed 1 to 64MiB " + sizes},
		{[]string{"--max-conns", "0"}, "--max-conns 0: allowed 1 to 10000000 connections"},
		{[]string{"--max-streams", "0"}, "--max-streams 0: allowed 1 to 1048576 streams"},
		{[]string{"--payload", "17MiB"}, "--payload 17MiB: allowed 0 to 16MiB " + sizes},
		{[]string{"--control=maybe"}, "--control maybe: allowed true or false (or the flag alone for true)"},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
		{[]string{"--payload", "1000000", "--max-ring-bytes", "64KiB"}, "--payload 1000000 does not fit --max-ring-bytes 65536: raise --max-ring-bytes to at least ..."},
		{[]string{"--binary", "--payload", "30000", "--max-ring-bytes", "64KiB"}, "--payload 30000 does not fit --max-ring-bytes 65536..."}, // text would fit
		{[]string{"--addr", ":99999"}, `--addr ":99999": port "99999": allowed 0 to 65535`},
		{[]string{"--raw-addr", "nocolon"}, `--raw-addr "nocolon": want host:port...`},
		{[]string{"--control", "--addr", "0.0.0.0:0"}, "--addr 0.0.0.0:0 is not a loopback address: --control's API there needs a token; give --token-file PATH (or set PUSHBENCH_TOKEN)..."},
		{[]string{"--control", "--addr", ":0"}, "--addr :0 is not a loopback address: --control's API there needs a token..."},
		{[]string{"--control", "--allow-remote-control", "--control-addr", "10.0.0.5:8082"}, "--control-addr 10.0.0.5:8082 is not a loopback address: --control's API there needs a token; give --token-file..."},
		{[]string{"--control", "--token-file", goodToken(t), "--addr", "0.0.0.0:0"}, "--control on the non-loopback --addr 0.0.0.0:0 would let anyone who reaches it run publish schedules: use 127.0.0.1, or add --allow-remote-control"},
		{[]string{"--control", "--token-file", writeTemp(t, "hunter2")}, "--token-file ...: token too short..."},
		{[]string{"--control", "--token-file", "/nonexistent.token"}, "--token-file: open /nonexistent.token..."},
		{[]string{"--control", "--control-tls-cert", "/nonexistent.pem"}, "--control-tls-cert and --control-tls-key go together..."},
		{[]string{"--tls-addr", "nocolon"}, `--tls-addr "nocolon": want host:port...`},
		{[]string{"--tls-cert", "/nonexistent.pem"}, "--tls-cert and --tls-key go together..."},
		{[]string{"--tls-ticket-key", "/nonexistent.key"}, "--tls-ticket-key: open /nonexistent.key..."},
		{[]string{"--tls-ticket-key", writeTemp(t, "abcd")}, "--tls-ticket-key ...want 64 hex digits..."},
		{[]string{"--transports", "sse-lean,pigeon"}, `--transports: unknown transport "pigeon" (known: [...`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"serve"}, tt.args...), &out, &errOut)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			checkUsageError(t, "serve", errOut.String(), tt.line)
		})
	}
}

// checkUsageError checks that stderr is exactly one error line and the
// pointer to the help. want is the line after "pushbench CMD: "; its
// parts between "..." must appear in order, and without "..." it is the
// whole line.
func checkUsageError(t *testing.T, cmd, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || lines[1] != "see pushbench "+cmd+" -h" {
		t.Errorf("stderr is not one error line and %q:\n%s", "see pushbench "+cmd+" -h", stderr)
		return
	}
	got, ok := strings.CutPrefix(lines[0], "pushbench "+cmd+": ")
	if !ok {
		t.Errorf("error line %q does not start with %q", lines[0], "pushbench "+cmd+": ")
		return
	}
	if !strings.Contains(want, "...") {
		if got != want {
			t.Errorf("error line\n got %q\nwant %q", got, want)
		}
		return
	}
	rest := got
	for i, part := range strings.Split(want, "...") {
		j := strings.Index(rest, part)
		if j < 0 || (i == 0 && j != 0) {
			t.Errorf("error line %q does not match %q", got, want)
			return
		}
		rest = rest[j+len(part):]
	}
}

func TestExposedAddressWarnsNamingWhatItExposes(t *testing.T) {
	var errOut bytes.Buffer
	err := checkExposure(serveConfig("0.0.0.0:8080", "127.0.0.1:8081", false), false, &errOut)
	if err != nil || !strings.Contains(errOut.String(), "warning: --addr 0.0.0.0:8080 is not a loopback address: it exposes every HTTP transport, GET /stats and POST /publish") {
		t.Errorf("0.0.0.0: err %v, stderr %q", err, errOut.String())
	}
	errOut.Reset()
	withToken := serveConfig("0.0.0.0:8080", "127.0.0.1:8081", true)
	withToken.ControlToken, _ = controlplane.ParseToken(testToken)
	if err := checkExposure(withToken, true, &errOut); err != nil || !strings.Contains(errOut.String(), "/control/publish") {
		t.Errorf("forced remote control: err %v, stderr %q", err, errOut.String())
	}
	errOut.Reset()
	for _, addr := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080"} {
		if err := checkExposure(serveConfig(addr, addr, true), false, &errOut); err != nil || errOut.Len() != 0 {
			t.Errorf("%s: err %v, stderr %q", addr, err, errOut.String())
		}
	}
}

// testToken is a token that meets the rule: 64 hex digits.
const testToken = "0123456789abcdef0f1e2d3c4b5a69788796a5b4c3d2e1f0fedcba9876543210"

func goodToken(t *testing.T) string { return writeTemp(t, testToken+"\n") }

// TestWorkerOffLoopbackNeedsAToken: worker refuses to start off loopback
// without a token (exit 2, naming --token-file and PUSHBENCH_TOKEN), and
// refuses a token that is not random enough, saying the rule.
func TestWorkerOffLoopbackNeedsAToken(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--listen", "0.0.0.0:7070", "--allow-remote-control"}, "--listen 0.0.0.0:7070 is not a loopback address: the worker's control API there needs a token; give --token-file PATH (or set PUSHBENCH_TOKEN)"},
		{[]string{"--listen", "10.0.0.5:7070"}, "needs a token; give --token-file"},
		{[]string{"--listen", "10.0.0.5:7070", "--token-file", goodToken(t)}, "add --allow-remote-control"},
		{[]string{"--token-file", writeTemp(t, "password")}, "token too short: 8 characters carry about 48 bits, at least 256 bits as written"},
		{[]string{"--token-file", writeTemp(t, strings.Repeat("ab", 40))}, "not random"},
		{[]string{"--control-tls-key", "/nonexistent.pem"}, "--control-tls-cert and --control-tls-key go together"},
		{[]string{"--control-tls-cert", "/nonexistent.pem", "--control-tls-key", "/nonexistent.key"}, "--control-tls-cert /nonexistent.pem"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"worker"}, tt.args...), &out, &errOut)
			if code != 2 || out.Len() != 0 {
				t.Errorf("exit %d, stdout %q: want exit 2 before it listens; stderr: %s", code, out.String(), errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.inStderr, errOut.String())
			}
			if strings.Contains(errOut.String(), testToken) {
				t.Errorf("stderr shows the token")
			}
		})
	}
	var errOut bytes.Buffer
	if code := run([]string{"worker", "-h"}, &bytes.Buffer{}, &errOut); code != 0 || !strings.Contains(errOut.String(), "at least 256 bits as written") {
		t.Errorf("worker -h (exit %d) does not state the token rule:\n%s", code, errOut.String())
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

// TestOtherCommandsBadValuesAreOneLine: the other commands' bad values
// take the same form as serve's: one line, then the pointer to -h.
func TestOtherCommandsBadValuesAreOneLine(t *testing.T) {
	tests := []struct {
		args []string
		line string
	}{
		{[]string{"run", "--count", "-1"}, "--count -1: allowed 0 to 100"},
		{[]string{"run", "--count", "101"}, "--count 101: allowed 0 to 100"},
		{[]string{"run", "--worker-procs", "257"}, "--worker-procs 257: allowed 0 to 256"},
		{[]string{"run", "--workers", "-1"}, "--worker-procs -1: allowed 0 to 256"},
		{[]string{"run", "--server-procs", "65"}, "--server-procs 65: allowed 0 to 64"},
		{[]string{"run", "--quick=often"}, "--quick often: allowed true or false (or the flag alone for true)"},
		{[]string{"run", "--worker", "ftp://w:7070"}, `--worker "ftp://w:7070": want http://HOST:PORT (https:// for a control API over TLS)`},
		{[]string{"run", "--network", "moon"}, "--network: ..."},
		{[]string{"target", "check", "--messages", "5", "nchan"}, "--messages 5: allowed 10 to 100000"},
		{[]string{"compare", "--alpha", "NaN", "a", "b"}, "--alpha NaN: allowed between 0 and 1, e.g. 0.05"},
		{[]string{"compare", "--threshold", "p42=1", "a", "b"}, `--threshold p42=1: ...unknown metric "p42"...`},
		{[]string{"worker", "--listen", "nocolon"}, `--listen "nocolon": want host:port...`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			stderr := errOut.String()
			if tt.args[1] == "--workers" { // an old name: its note comes first
				note := "pushbench run: --workers is deprecated and goes in the next release: use --worker-procs\n"
				if !strings.HasPrefix(stderr, note) {
					t.Errorf("stderr does not start with the deprecation note %q:\n%s", note, stderr)
				}
				stderr = strings.TrimPrefix(stderr, note)
			}
			checkUsageError(t, tt.args[0], stderr, tt.line)
		})
	}
}
