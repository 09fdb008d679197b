package scenarios_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

// FuzzParse: any bytes either give a scenario that validates, in both its
// forms, with steps that stay within the limits, or an error; never a
// panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("builtin", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"name":"x","kind":"broadcast","clients":[1],"rate":[1e-300],"duration":"1s"}`))
	f.Add([]byte(`{"name":"x","kind":"idle","clients":[1],"duration":"1s","ring":9223372036854775807}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := scenarios.Parse("fuzz.json", b)
		if err != nil {
			if len(err.Error()) > 4096 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		q, err := sc.QuickForm()
		if err != nil {
			t.Fatalf("Parse accepted a scenario whose quick form fails: %v", err)
		}
		for _, s := range append(sc.Steps(), q.Steps()...) {
			if s.Clients < 1 || s.Clients > scenarios.MaxClients || s.Payload < 0 || s.Payload > scenarios.MaxPayload || s.Rate < 0 || s.Rate > scenarios.MaxRate {
				t.Fatalf("step out of range: %+v", s)
			}
		}
		// What was accepted writes back and parses the same way.
		out, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("accepted scenario does not marshal: %v", err)
		}
		if _, err := scenarios.Parse("again.json", out); err != nil {
			t.Fatalf("accepted scenario, written back, is refused: %v\n%s", err, out)
		}
	})
}

// FuzzParseNetwork: profiles either validate or error, never panic.
func FuzzParseNetwork(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("networks", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"name":"x","proxy":true,"down":{"latency_ms":-1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := scenarios.ParseNetwork("fuzz.json", b)
		if err != nil {
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("ParseNetwork accepted what Validate refuses: %v", err)
		}
		for _, d := range []scenarios.Direction{n.Down, n.Up} {
			if d.LatencyMs < 0 || d.JitterMs < 0 || d.JitterMs > d.LatencyMs || d.BandwidthKBps < 0 {
				t.Fatalf("direction out of range: %+v", d)
			}
		}
	})
}
