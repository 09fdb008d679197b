package plots_test

import (
	"testing"

	"github.com/pushbench/pushbench/results/plots"
)

func TestProtocolMinimum(t *testing.T) {
	for _, tc := range []struct {
		transport string
		message   int
		want      float64
	}{
		{"rawtcp", 100, 104},
		{"websocket", 125, 127},
		{"websocket", 126, 130},
		{"websocket", 65535, 65539},
		{"websocket", 65536, 65546},
		// "id: 1\ndata: " (12) + message + "\n\n" (2); chunk framing left out
		{"sse", 100, 114},
		{"sse-lean", 100, 114},
		{"sse", 65536, 65550},
		{"longpoll", 100, 101},
		{"shortpoll", 100, 101},
		{"carrier-pigeon", 100, 100},
	} {
		if got := plots.ProtocolMinimum(tc.transport, tc.message); got != tc.want {
			t.Errorf("ProtocolMinimum(%q, %d) = %v, want %v", tc.transport, tc.message, got, tc.want)
		}
	}
}
