package all_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// countingReceiver counts messages and signals when it has want of them.
type countingReceiver struct {
	n, want   int64
	connected chan struct{}
	done      chan struct{}
}

func (c *countingReceiver) Connected() { close(c.connected) }
func (c *countingReceiver) Message(seq, sent int64, size int) {
	if atomic.AddInt64(&c.n, 1) == c.want {
		close(c.done)
	}
}
func (c *countingReceiver) Gap(first, last int64) {}
func (c *countingReceiver) Empty()                {}

// BenchmarkDeliveryOneClient measures how many 64-byte messages per second
// each transport delivers to one client on loopback while a publisher
// appends as fast as it can. The slow-consumer policy is off (queue larger
// than the run) so the number is the transport's, not the policy's. Server
// and client share this process; `pushbench run` measures them apart.
func BenchmarkDeliveryOneClient(b *testing.B) {
	for _, tr := range transports.All() {
		b.Run(tr.Name, func(b *testing.B) {
			opts := transports.ServerOptions{QueueLen: 1 << 30, MaxBatch: 1000}
			e := newEnv(b, tr, b.N+1, opts)
			copts := e.dopts
			copts.PollInterval = time.Millisecond
			c, err := tr.NewClient(copts)
			if err != nil {
				b.Fatal(err)
			}
			rec := &countingReceiver{want: int64(b.N), connected: make(chan struct{}), done: make(chan struct{})}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			runDone := make(chan error, 1)
			go func() { runDone <- c.Run(ctx, -1, rec) }()
			select {
			case <-rec.connected:
			case <-ctx.Done():
				b.Fatal("client never connected")
			}
			payload := "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
			b.ResetTimer()
			start := time.Now()
			go func() {
				for i := 0; i < b.N && ctx.Err() == nil; i++ {
					e.log.Append(time.Now().UnixNano(), payload)
				}
			}()
			select {
			case <-rec.done:
			case <-ctx.Done():
				b.Fatalf("delivered %d of %d", atomic.LoadInt64(&rec.n), b.N)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			cancel()
			<-runDone
		})
	}
}
