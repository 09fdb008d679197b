package harness

import (
	"fmt"
	"strings"
	"testing"
)

// TestTLSResumesAcrossServerProcesses: churning TLS clients over three
// server processes on one port (SO_REUSEPORT spreads the reconnects over
// them) resume every session in the window, because the run gives every
// process one certificate and one ticket key; with resumption off in the
// scenario every handshake is full. Every message still arrives once.
func TestTLSResumesAcrossServerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: churns TLS clients over three server processes for whole steps (seconds)")
	}
	for _, resume := range []bool{true, false} {
		r, log := newRunner(t, []string{"rawtcp+tls", "sse-lean+tls"})
		r.cfg.ServerProcs = 3
		js := `{"name":"tls-churn","kind":"churn","clients":[12],"rate":[50],"lifetime":"600ms","warmup":"800ms","duration":"2s","connect_rate":1000,"tls_resumption":false}`
		if resume {
			js = `{"name":"tls-churn","kind":"churn","clients":[12],"rate":[50],"lifetime":"600ms","warmup":"800ms","duration":"2s","connect_rate":1000}`
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
			// have one still in flight when the window is read. With
			// resumption on, a handshake that a connection's end cuts short
			// makes crypto/tls drop the session, so the next one is full:
			// allow a few on a loaded machine. Processes with keys of their
			// own would resume only the third that reach the same process.
			if h.Full+h.Resumed < rec.Delivery.Reconnects-12 {
				t.Errorf("%s: %d handshakes for %d reconnects", rec.Transport, h.Full+h.Resumed, rec.Delivery.Reconnects)
			}
			if resume && h.Full*5 > h.Resumed {
				t.Errorf("%s: %d full and %d resumed handshakes across 3 processes: want nearly all resumed", rec.Transport, h.Full, h.Resumed)
			}
			if !resume && h.Resumed != 0 {
				t.Errorf("%s: %d resumed handshakes with resumption off", rec.Transport, h.Resumed)
			}
			if h.FullTime.Count != h.Full || h.ResumedTime.Count != h.Resumed {
				t.Errorf("%s: handshake times %d/%d for %d/%d handshakes", rec.Transport, h.FullTime.Count, h.ResumedTime.Count, h.Full, h.Resumed)
			}
		}
	}
}

// TestHTTP2ClientsShareConnections: a run's HTTP/2 clients share
// connections, streams_per_conn to each, against two server processes;
// the record counts the connections and splits the server's costs per
// stream and per connection, and every message arrives once.
func TestHTTP2ClientsShareConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs whole steps over HTTP/2 with server and worker processes (seconds)")
	}
	r, log := newRunner(t, []string{"sse-lean+h2", "shortpoll+h2c"})
	r.cfg.ServerProcs = 2
	sc := scenario(t, `{"name":"h2","kind":"broadcast","clients":[30],"rate":[50],"warmup":"500ms","duration":"1500ms","connect_rate":1000,
		"streams_per_conn":10,"max_streams":10,"poll_interval":"100ms"}`)
	for _, rec := range runAll(t, r, log, sc, 2) {
		checkEveryMessageOnce(t, rec, 50, 30)
		p, u := rec.Params.HTTP2, rec.HTTP2
		if p == nil || p.StreamsPerConn != 10 || p.MaxStreams != 10 || p.Cleartext != (rec.Transport == "shortpoll+h2c") {
			t.Errorf("%s: params %+v: want 10 streams a connection, a server limit of 10, cleartext only for h2c", rec.Transport, p)
		}
		if u == nil || u.Conns != 3 || u.StreamsPerConn != 10 || u.BytesPerConnMin <= 0 {
			t.Errorf("%s: usage %+v: want 3 connections of 10 streams, their bytes counted", rec.Transport, u)
		}
	}
}

// TestScenarioListRunsVariantsWithoutASelection: with no --transports a
// scenario naming variants runs them; with one, only what both name.
func TestScenarioListRunsVariantsWithoutASelection(t *testing.T) {
	sc := scenario(t, `{"name":"v","kind":"idle","clients":[1],"duration":"1s","transports":["websocket","websocket+tls"]}`)
	if got := fmt.Sprint(transportsFor(nil, sc)); got != "[websocket websocket+tls]" {
		t.Errorf("no selection: %s, want the scenario's list", got)
	}
	if got := fmt.Sprint(transportsFor([]string{"websocket", "rawtcp"}, sc)); got != "[websocket]" {
		t.Errorf("selection websocket,rawtcp: %s, want [websocket]", got)
	}
	plain := scenario(t, `{"name":"p","kind":"idle","clients":[1],"duration":"1s"}`)
	for _, n := range transportsFor(nil, plain) {
		if strings.Contains(n, "+") {
			t.Errorf("no selection and no list ran the variant %s: want the base transports only", n)
		}
	}
}
