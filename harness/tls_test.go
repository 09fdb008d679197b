package harness

import (
	"testing"
)

// TestTLSResumesAcrossServerProcesses: churning TLS clients over three
// server processes on one port (SO_REUSEPORT spreads the reconnects over
// them) resume every session in the window, because the run gives every
// process one certificate and one ticket key; with resumption off in the
// scenario every handshake is full. Every message still arrives once.
func TestTLSResumesAcrossServerProcesses(t *testing.T) {
	for _, resume := range []bool{true, false} {
		r, log := newRunner(t, []string{"rawtcp+tls", "sse-lean+tls"})
		r.cfg.ServerProcs = 3
		js := `{"name":"tls-churn","kind":"churn","clients":[12],"rate":[50],"lifetime":"300ms","warmup":"600ms","duration":"1500ms","connect_rate":1000,"tls_resumption":false}`
		if resume {
			js = `{"name":"tls-churn","kind":"churn","clients":[12],"rate":[50],"lifetime":"300ms","warmup":"600ms","duration":"1500ms","connect_rate":1000}`
		}
		for _, rec := range runAll(t, r, log, scenario(t, js), 2) {
			checkEveryMessageOnce(t, rec, 50, 12)
			h := rec.TLS
			if rec.Params.TLS == nil || rec.Params.TLS.Resumption != resume || h == nil {
				t.Fatalf("%s: params %+v, handshakes %+v: want TLS 1.3 with resumption %v recorded", rec.Transport, rec.Params.TLS, h, resume)
			}
			if rec.Delivery.Reconnects < 12 {
				t.Errorf("%s: %d reconnects in the window; the churn should give at least one per client", rec.Transport, rec.Delivery.Reconnects)
			}
			// A reconnect is counted before its handshake: each client may
			// have one still in flight when the window is read.
			wrong, right := h.Full, h.Resumed
			if !resume {
				wrong, right = h.Resumed, h.Full
			}
			if wrong != 0 || right < rec.Delivery.Reconnects-12 {
				t.Errorf("%s: %d full and %d resumed handshakes for %d reconnects across 3 processes, resumption %v: want every one of that kind",
					rec.Transport, h.Full, h.Resumed, rec.Delivery.Reconnects, resume)
			}
			if h.FullTime.Count != h.Full || h.ResumedTime.Count != h.Resumed {
				t.Errorf("%s: handshake times %d/%d for %d/%d handshakes", rec.Transport, h.FullTime.Count, h.ResumedTime.Count, h.Full, h.Resumed)
			}
		}
	}
}
