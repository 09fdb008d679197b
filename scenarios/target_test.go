package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

// Every built-in target parses, names a model and a version, and its
// templates expand with a run's values.
func TestBuiltinTargets(t *testing.T) {
	names := scenarios.TargetNames()
	for _, want := range []string{"pushbench", "nchan", "centrifugo"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("built-in targets %v lack %s", names, want)
		}
	}
	vars := scenarios.TemplateVars{Dir: "/tmp/x", Port: 4321, Base: "http://127.0.0.1:4321", Host: "127.0.0.1:4321",
		WSBase: "ws://127.0.0.1:4321", Channel: "bench", Key: "k", Procs: 1, Cache: "/c", Message: `{"seq":1}`}
	for _, n := range names {
		tg, err := scenarios.FindTarget(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if tg.Serve {
			continue
		}
		if tg.Start == nil || len(tg.Transports) == 0 {
			t.Errorf("%s: a built-in must start its server and serve a transport", n)
		}
		for name, ep := range tg.Transports {
			for _, resuming := range []bool{false, true} {
				v := vars
				v.Resuming, v.Cursor, v.Captured = resuming, "7", map[string]string{}
				for k := range ep.Resume.Capture {
					v.Captured[k] = "e"
				}
				u, err := scenarios.Expand(ep.URL, v)
				if err != nil || !strings.Contains(u, "127.0.0.1:4321") {
					t.Errorf("%s %s: url %q -> %q, %v", n, name, ep.URL, u, err)
				}
			}
		}
		for f, tpl := range tg.Start.Files {
			if out, err := scenarios.Expand(tpl, vars); err != nil || strings.Contains(out, "{{") {
				t.Errorf("%s: file %s does not expand: %v", n, f, err)
			}
		}
		body, err := scenarios.Expand(tg.Publish.Body, vars)
		if err != nil || !strings.Contains(body, `{"seq":1}`) {
			t.Errorf("%s: publish body %q -> %q, %v", n, tg.Publish.Body, body, err)
		}
	}
}

// A bad target file is refused with the field, the value and what is
// allowed; an unknown field is named.
func TestBadTargetFiles(t *testing.T) {
	base := `name: x
model: event loop
version: {fixed: "1"}
address: http://127.0.0.1:1
publish: {url: "{{.Base}}/pub", body: "{{.Message}}"}
transports:
  sse: {framing: sse, url: "{{.Base}}/sub"}
`
	if _, err := scenarios.ParseTarget("ok", []byte(base)); err != nil {
		t.Fatalf("a valid file is refused: %v", err)
	}
	cases := map[string]struct{ edit, want string }{
		"model":     {"model: event loop", "model \"threads\""},
		"framing":   {"framing: sse", "framing \"sse2\""},
		"pointer":   {"url: \"{{.Base}}/sub\"}", "JSON Pointer \"data\""},
		"body":      {"body: \"{{.Message}}\"", "must place {{.Message}}"},
		"unknown":   {"name: x", "unknown field \"nmae\""},
		"template":  {"url: \"{{.Base}}/pub\"", "template"},
		"resume":    {"url: \"{{.Base}}/sub\"}", "last-event-id is for sse"},
		"noaddress": {"address: http://127.0.0.1:1", "address: required"},
		"sioresume": {"url: \"{{.Base}}/sub\"}", "none for the Socket.IO framings"},
		"sioevent":  {"url: \"{{.Base}}/sub\"}", "event: only for the Socket.IO framings"},
	}
	repl := map[string]string{
		"model":     "model: threads",
		"framing":   "framing: sse2",
		"pointer":   "url: \"{{.Base}}/sub\", message: data}",
		"body":      "body: \"{}\"",
		"unknown":   "nmae: x",
		"template":  "url: \"{{.Base\"",
		"resume":    "url: \"{{.Base}}/sub\"}\n  websocket: {framing: websocket, url: \"ws://h\", resume: {kind: last-event-id}}",
		"noaddress": "",
		"sioresume": "url: \"{{.Base}}/sub\"}\n  longpoll: {framing: socketio-polling, url: \"{{.Base}}/socket.io/\", resume: {kind: url, cursor: /seq}}",
		"sioevent":  "url: \"{{.Base}}/sub\", event: message}",
	}
	for name, c := range cases {
		src := strings.Replace(base, c.edit, repl[name], 1)
		_, err := scenarios.ParseTarget(name, []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", name, err, c.want)
		}
	}
}

// FindTarget reads a file by path and names a missing built-in with the
// list of built-ins.
func TestFindTarget(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "mine.yaml")
	b, _ := scenarios.BuiltinTarget("nchan")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := scenarios.FindTarget(f)
	if err != nil || tg.Name != "nchan" || tg.Source != f {
		t.Fatalf("FindTarget(%s) = %s from %q, %v", f, tg.Name, tg.Source, err)
	}
	if _, err := scenarios.FindTarget("nginx-nchan"); err == nil || !strings.Contains(err.Error(), "centrifugo") {
		t.Errorf("unknown built-in: %v, want the list of built-ins", err)
	}
}
