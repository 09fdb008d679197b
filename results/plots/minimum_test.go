package plots_test

import (
	"strconv"
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

// TestBinaryMinimum: a binary payload's minimum is the raw payload behind
// the 21-byte header where the protocol carries bytes, and base64 (4 bytes
// per 3, padded) in the JSON message where it carries text.
func TestBinaryMinimum(t *testing.T) {
	// {"seq":1,"sent":<19 digits>,"size":<digits>,"base64":"<4*ceil(n/3)>"}
	envelope := func(n int) int { return len(`{"seq":1,"sent":,"size":,"base64":""}`) + 19 + len(strconv.Itoa(n)) }
	for _, tc := range []struct {
		transport string
		payload   int
		want      float64
	}{
		{"rawtcp", 65536, 4 + 21 + 65536},
		{"websocket", 104, 2 + 21 + 104}, // 125 bytes: the 2-byte frame header
		{"websocket", 105, 4 + 21 + 105}, // 126: the 4-byte one
		{"websocket", 65536, 10 + 21 + 65536},
		{"sse", 65536, float64(12 + envelope(65536) + 87384 + 2)}, // 87384 = 4 * ceil(65536/3)
		{"sse-lean", 16, float64(12 + envelope(16) + 24 + 2)},
		{"longpoll", 1024, float64(envelope(1024) + 1368 + 1)},
		{"shortpoll", 1, float64(envelope(1) + 4 + 1)},
	} {
		if got := plots.MessageMinimum(tc.transport, tc.payload, true, 999); got != tc.want {
			t.Errorf("MessageMinimum(%q, %d, binary) = %v, want %v", tc.transport, tc.payload, got, tc.want)
		}
	}
	if got := plots.MessageMinimum("sse", 65536, false, 100); got != 114 {
		t.Errorf("text: MessageMinimum = %v, want ProtocolMinimum of the message bytes (114)", got)
	}
}
