package loadgen

import (
	"encoding/json"
	"testing"

	"github.com/pushbench/pushbench/transports/controlplane"
)

// FuzzSpecDecode feeds arbitrary bodies to the worker's spec decoder (the
// strict decode, then Spec.Config): it must never panic; a spec it takes
// names a registered transport, and encodes to a body it takes again.
// Seeds: testdata/fuzz/FuzzSpecDecode.
func FuzzSpecDecode(f *testing.F) {
	f.Add([]byte(legitSpec))
	f.Add([]byte(`{"transport":"sse-lean+tls","tls_cert":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----"}`))
	f.Add([]byte(`{"transport":"websocket","slow_fraction":2}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var spec Spec
		if err := controlplane.DecodeStrict(body, &spec); err != nil {
			return
		}
		cfg, err := spec.Config()
		if err != nil {
			return
		}
		if cfg.Transport.Name != spec.Transport {
			t.Fatalf("spec for %q configured %q", spec.Transport, cfg.Transport.Name)
		}
		again, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("an accepted spec does not encode: %v", err)
		}
		var back Spec
		if err := controlplane.DecodeStrict(again, &back); err != nil {
			t.Fatalf("an accepted spec, encoded, is refused: %v\n%s", err, again)
		}
		if _, err := back.Config(); err != nil {
			t.Fatalf("an accepted spec, encoded and decoded, no longer configures: %v\n%s", err, again)
		}
	})
}
