package all_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// BenchmarkReceive64KiB is the cost of receiving one 64 KiB message, text
// or binary, per transport: the messages are in the log before the client
// connects, so the figure is the client's reading, decoding and the
// server's writing, in this one process.
func BenchmarkReceive64KiB(b *testing.B) {
	for _, kind := range []string{"text", "binary"} {
		for _, tr := range transports.All() {
			b.Run(kind+"/"+tr.Name, func(b *testing.B) {
				e := newEnv(b, tr, b.N+1, transports.ServerOptions{QueueLen: 1 << 30})
				text, bin := strings.Repeat("a", 65536), binaryPayload(65536)
				for i := 0; i < b.N; i++ {
					if kind == "text" {
						e.log.Append(1, text)
					} else if _, err := e.log.TryAppendBinary(1, bin); err != nil {
						b.Fatal(err)
					}
				}
				c, err := tr.NewClient(e.dopts)
				if err != nil {
					b.Fatal(err)
				}
				rec := &countingReceiver{want: int64(b.N), connected: make(chan struct{}), done: make(chan struct{})}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				b.SetBytes(65536)
				b.ResetTimer()
				runDone := make(chan error, 1)
				go func() { runDone <- c.Run(ctx, 0, rec) }()
				select {
				case <-rec.done:
				case err := <-runDone:
					b.Fatalf("Run ended: %v", err)
				case <-ctx.Done():
					b.Fatal("timed out")
				}
				b.StopTimer()
				cancel()
				<-runDone
			})
		}
	}
}
