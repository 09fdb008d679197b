package scenarios_test

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

// TestEveryNumericFieldIsRangeChecked: overflow, negative and out-of-range
// values are refused with the field and the allowed range.
func TestEveryNumericFieldIsRangeChecked(t *testing.T) {
	const base = `"name":"x","kind":"broadcast","clients":[1],"duration":"1s"`
	tests := []struct{ extra, want string }{
		{`"rate":[1e-300]`, `field "rate": 1e-300: allowed 0.001 up to`},
		{`"rate":[1e400]`, `field "rate"`},
		{`"rate":[-1]`, `field "rate": -1: allowed`},
		{`"rate":[1],"clients":[99999999999999999999]`, `field "clients"`},
		{`"rate":[1],"ring":9223372036854775807`, `field "ring": 9223372036854775807: allowed 100 to`},
		{`"rate":[1],"ring_bytes":-1`, `field "ring_bytes": -1: allowed 0`},
		{`"rate":[1],"ring_bytes":4096,"payload":[5000]`, `field "payload": 5000 bytes does not fit the ring's byte budget 4096`},
		{`"rate":[1],"queue":-1`, `field "queue": -1: allowed`},
		{`"rate":[1],"queue":99999999999`, `field "queue": 99999999999: allowed`},
		{`"rate":[1],"streams_per_conn":-1`, `field "streams_per_conn": -1: allowed`},
		{`"rate":[1],"client_mode":"epoll"`, `field "client_mode": "epoll": allowed "reactor"`},
		{`"rate":[1],"max_streams":1000000`, `field "max_streams": 1000000: allowed`},
		{`"rate":[1],"tls_resumption":"yes"`, `tls_resumption`},
		{`"rate":[1],"heartbeat":"1ns"`, `field "heartbeat": 1ns: allowed 0 (the default) or 1ms to 1h0m0s`},
		{`"rate":[1],"hold_timeout":"-1s"`, `field "hold_timeout": -1s: allowed`},
		{`"rate":[1],"read_timeout":"1000h"`, `field "read_timeout": 1000h0m0s: allowed`},
		{`"rate":[1],"poll_interval":"1000h"`, `field "poll_interval": 1000h0m0s: allowed 1ms to`},
		{`"rate":[1],"slo":"1000h"`, `field "slo"`},
		{`"rate":[1],"connect_rate":-5`, `field "connect_rate"`},
		{`"burst":{"size":10,"every":"1ns"}`, `field "burst": want size 1 to 100000 and every 1ms to`},
		{`"rate":[1],"reconnect":{"delay":"-1s"}`, `field "reconnect": delay -1s: allowed`},
		{`"rate":[1],"fault":{"type":"reset","every":"99999h"}`, `field "fault": every 99999h0m0s: allowed 0 to`},
		{`"rate":[1],"fault":{"type":"slow-reader","fraction":2,"delay":"1ms"}`, `field "fault": slow-reader needs fraction`},
		{`"rate":[1],"duration":"9999999999999h"`, `want a duration string like "1.5s" or "500ms", got "9999999999999h"`},
		{`"rate":[1],"repetitions":-1`, `field "repetitions"`},
	}
	for _, tt := range tests {
		js := "{" + base + "," + tt.extra + "}"
		if strings.Contains(tt.extra, `"clients"`) || strings.Contains(tt.extra, `"duration"`) {
			js = `{"name":"x","kind":"broadcast","duration":"1s",` + tt.extra + "}"
			if !strings.Contains(tt.extra, `"clients"`) {
				js = `{"name":"x","kind":"broadcast","clients":[1],` + tt.extra + "}"
			}
		}
		_, err := scenarios.Parse("t.json", []byte(js))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want it to contain %q", tt.extra, err, tt.want)
		}
	}
}
