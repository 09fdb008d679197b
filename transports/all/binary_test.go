package all_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// binaryPayload is n bytes that are not text (0xff never occurs in UTF-8).
func binaryPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0xff - i*31)
	}
	return b
}

// TestBinaryPayloadsArriveWithTheirDecodedSizes: binary messages of every
// size (empty, a frame's worth, several read buffers' worth), between
// text ones, reach every transport's client once, in order, reported with
// the payload's decoded length; text keeps its size.
func TestBinaryPayloadsArriveWithTheirDecodedSizes(t *testing.T) {
	sizes := []int{0, 1, 2, 3, 16, 125, 126, 1000, 65535, 70000}
	forEach(t, func(t *testing.T, tr transports.Transport) {
		e := newEnv(t, tr, 10000, transports.ServerOptions{})
		var want []int
		for _, n := range sizes {
			if _, err := e.log.TryAppendBinary(time.Now().UnixNano(), binaryPayload(n)); err != nil {
				t.Fatal(err)
			}
			e.log.Append(time.Now().UnixNano(), strings.Repeat("t", n%100))
			want = append(want, n, n%100)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		runCtx, stop := context.WithCancel(ctx)
		rec := newRecorder()
		s := startSession(runCtx, e.client(t), 0, rec)
		rec.WaitFor(ctx, t, "every message", func(r *recorder) bool { return len(r.Seqs) >= len(want) })
		stop()
		<-s.done
		checkExact(t, "binary and text", rec, 1, int64(len(want)))
		rec.Mu.Lock()
		defer rec.Mu.Unlock()
		for i, n := range want {
			if i < len(rec.Sizes) && rec.Sizes[i] != n {
				t.Errorf("message %d: size %d reported, want %d", i+1, rec.Sizes[i], n)
			}
		}
		if s.reconnects != 0 {
			t.Errorf("%d reconnects: %v", s.reconnects, s.errs)
		}
	})
}

// TestCorruptBinaryPayloadIsAnError: a binary message whose base64 is bad
// (the form SSE and the polls carry) or whose raw frame is shorter than its
// header (WebSocket, rawtcp) ends the client's run with an error the load
// generator counts; it is never reported as a message, nor are the ones
// behind it.
func TestCorruptBinaryPayloadIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(e *msglog.Entry)
		want    []string // one of, by transport
	}{
		{"bad base64 and a short frame", func(e *msglog.Entry) {
			i := bytes.Index(e.JSON, []byte(`"base64":"`)) + len(`"base64":"`)
			e.JSON[i] = '*'
			e.Binary = e.Binary[:10]
		}, []string{"bad base64", "short binary frame"}},
		{"wrong size and a frame shorter than its header claims", func(e *msglog.Entry) {
			i := bytes.Index(e.JSON, []byte(`"size":`)) + len(`"size":`)
			e.JSON[i]++ // 5 becomes 6
			e.Binary = e.Binary[:len(e.Binary)-1]
		}, []string{"decodes to 5 bytes but size says 6", "claims 5 payload bytes but carries 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEach(t, func(t *testing.T, tr transports.Transport) {
				e := newEnv(t, tr, 100, transports.ServerOptions{})
				e.log.TryAppendBinary(1, binaryPayload(5))
				bad, _ := e.log.TryAppendBinary(2, binaryPayload(5))
				tc.corrupt(bad)
				e.log.TryAppendBinary(3, binaryPayload(5)) // after the change, under the log's lock: readers see it
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				rec := newRecorder()
				err := e.client(t).Run(ctx, 0, rec)
				if err == nil || !containsAny(err.Error(), tc.want) {
					t.Fatalf("Run = %v, want an error saying one of %q", err, tc.want)
				}
				rec.Mu.Lock()
				defer rec.Mu.Unlock()
				if len(rec.Seqs) != 1 || rec.Seqs[0] != 1 || rec.Sizes[0] != 5 {
					t.Errorf("delivered %v (sizes %v), want only seq 1 of 5 bytes", rec.Seqs, rec.Sizes)
				}
			})
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
