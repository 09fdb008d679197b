package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

func TestBuiltinsAreValidInBothForms(t *testing.T) {
	all, err := scenarios.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"latency", "fanout", "throughput", "idle", "payload", "payload-binary", "burst", "chat", "churn",
		"fault-reset", "fault-stall", "fault-idle-close", "fault-idle-close-heartbeat", "fault-slow-reader", "fault-restart",
		"browser-latency", "browser-c13", "scale-idle", "scale-fanout", "fanout-1m", "tls-idle", "tls-latency", "tls-handshake", "tls-handshake-full", "h2-streams", "h2-slow-stream",
		"targets-latency", "targets-idle", "targets-fanout", "stacks-latency", "stacks-idle", "stacks-fanout"}
	if len(all) != len(want) {
		t.Fatalf("%d built-ins, want %d", len(all), len(want))
	}
	def, err := scenarios.DefaultSuite()
	if err != nil || len(def) != 9 {
		t.Errorf("default suite: %d scenarios, %v; want the 9 without faults", len(def), err)
	}
	for i, sc := range all {
		if sc.Name != want[i] {
			t.Errorf("built-in %d is %s, want %s", i, sc.Name, want[i])
		}
		if _, err := sc.QuickForm(); err != nil {
			t.Errorf("%s quick form: %v", sc.Name, err)
		}
	}
}

func TestStepsExpandTheSteppedParameter(t *testing.T) {
	sc, err := scenarios.Find("fanout")
	if err != nil {
		t.Fatal(err)
	}
	steps := sc.Steps()
	if len(steps) != 4 || steps[3].Param != "clients" || steps[3].Clients != 10000 || steps[3].Rate != 1 {
		t.Errorf("fanout steps = %+v", steps)
	}
	sc, _ = scenarios.Find("payload")
	if steps := sc.Steps(); len(steps) != 3 || steps[2].Value() != 65536 {
		t.Errorf("payload steps = %+v", steps)
	}
}

func TestBadScenarioFilesNameTheFileAndField(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ body, want string }{
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"1s","payload":"big"}`, `field "payload": got a JSON string, want a list of int values`},
		{`{"name":"x","kind":"teleport","clients":[10],"rate":[5],"duration":"1s"}`, `field "kind": "teleport": allowed: broadcast, idle, churn, chat`},
		{`{"name":"x","kind":"broadcast","clients":[0],"rate":[5],"duration":"1s"}`, `field "clients": 0: allowed 1 to 10000000`},
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"soon"}`, `want a duration string like "1.5s"`},
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"1s","colour":"red"}`, `unknown field "colour" (allowed: name,`},
		{`{"name":"x","kind":"broadcast","clients":[10,20],"rate":[5,6],"duration":"1s"}`, `only one of clients, rate and payload`},
		{`{"name":"x","kind":"churn","clients":[10],"rate":[5],"duration":"1s"}`, `field "lifetime"`},
		{`{"name":"x","kind":"broadcast","clients":[10],"duration":"1s"}`, `needs a rate or a burst`},
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"1s","quick":{"clients":[-1]}}`, `quick: field "clients": -1`},
		{"{\n\"name\": \"x\",\n}", `line 3: invalid JSON`},
		{`{"name":"x","kind":"idle","clients":[10],"duration":"1s","binary":true}`, `field "binary": idle scenarios have no server-published payload`},
		{`{"name":"x","kind":"chat","clients":[10],"rate":[1],"duration":"1s","binary":true}`, `field "binary": chat scenarios`},
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"1s","binary":"yes"}`, `field "binary": got a JSON string, want a bool`},
		{`{"name":"x","kind":"broadcast","clients":[10],"rate":[5],"duration":"1s","binary":true,"ring_bytes":10000,"payload":[5000]}`, `field "payload": 5000 bytes does not fit the ring's byte budget 10000: raise ring_bytes to at least 11913`},
		{`{"name":"x","kind":"browser","rate":[5],"duration":"1s"}`, `field "browser": a browser scenario needs`},
		{`{"name":"x","kind":"browser","browser":{"tabs":0,"streams":3},"rate":[5],"duration":"1s"}`, `field "browser": tabs 0: allowed 1 to 8`},
		{`{"name":"x","kind":"browser","browser":{"tabs":1,"streams":500},"rate":[5],"duration":"1s"}`, `field "browser": streams 500: allowed 1 to 100`},
		{`{"name":"x","kind":"browser","browser":{"tabs":1,"streams":3,"protocols":["h3"]},"rate":[5],"duration":"1s"}`, `field "browser": protocols "h3": allowed`},
		{`{"name":"x","kind":"browser","browser":{"tabs":1,"streams":3},"clients":[7],"rate":[5],"duration":"1s"}`, `field "clients": a browser scenario's clients are its tabs x streams (3)`},
		{`{"name":"x","kind":"browser","browser":{"tabs":1,"streams":3},"rate":[5,6],"duration":"1s"}`, `field "rate": a browser scenario publishes one rate`},
		{`{"name":"x","kind":"broadcast","browser":{"tabs":1,"streams":3},"clients":[3],"rate":[5],"duration":"1s"}`, `field "browser": only a "browser" scenario`},
	}
	for i, c := range cases {
		path := filepath.Join(dir, "bad.json")
		os.WriteFile(path, []byte(c.body), 0o644)
		_, err := scenarios.Find(path)
		if err == nil {
			t.Errorf("case %d: no error for %s", i, c.body)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %q, want it to name %s and contain %q", i, err, path, c.want)
		}
	}
	if _, err := scenarios.Find("nosuch"); err == nil || !strings.Contains(err.Error(), "latency") {
		t.Errorf("unknown name: %v, want the list of built-ins", err)
	}
}
