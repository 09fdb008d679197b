package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// upstream sends one client's messages to the room. WebSocket clients send
// on their own connection (transports.Sender); every other transport POSTs
// to /publish on a keep-alive connection of its own, counted at the socket
// like the rest. Each message is stamped with its intended send time, so
// latency is send-to-receive.
type upstream struct {
	sender transports.Sender
	http   *http.Client
	url    string
	sent   atomic.Int64
	failed atomic.Int64
}

func newUpstream(client transports.Client, opts transports.ClientOptions) *upstream {
	u := &upstream{}
	if s, ok := client.(transports.Sender); ok {
		u.sender = s
		return u
	}
	u.http = &http.Client{Transport: transports.HTTPTransport(opts), Timeout: opts.Timeout}
	u.url = strings.TrimRight(opts.BaseURL, "/") + "/publish"
	return u
}

type publishBody struct {
	Payload string `json:"payload"`
	Sent    int64  `json:"sent"`
}

func (u *upstream) send(ctx context.Context, payload string, sent int64) error {
	if u.sender != nil {
		return u.sender.Send(ctx, payload, sent)
	}
	b, _ := json.Marshal(publishBody{payload, sent})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish answered %s", resp.Status)
	}
	return nil
}

func (u *upstream) close() {
	if u.http != nil {
		u.http.CloseIdleConnections()
	}
}

// StartSending makes every client send rate messages per second upstream
// (open-loop, each from a random phase) until ctx ends or d passes. It
// returns once all senders have stopped, with the count sent and failed.
func (g *Generator) StartSending(ctx context.Context, rate float64, payload string, d time.Duration) (sent, failed int64) {
	g.mu.Lock()
	ups := append([]*upstream(nil), g.upstreams...)
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for _, u := range ups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			interval := time.Duration(float64(time.Second) / rate)
			start := time.Now().Add(time.Duration(rand.Int64N(int64(interval))))
			for i := 0; ; i++ {
				due := start.Add(time.Duration(i) * interval)
				if sleepUntil(ctx, due) != nil {
					return
				}
				if err := u.send(ctx, payload, due.UnixNano()); err != nil {
					if ctx.Err() != nil {
						return
					}
					u.failed.Add(1)
					g.noteErr(fmt.Errorf("upstream: %w", err))
					continue
				}
				u.sent.Add(1)
			}
		}()
	}
	wg.Wait()
	for _, u := range ups {
		sent += u.sent.Swap(0)
		failed += u.failed.Swap(0)
	}
	return sent, failed
}
