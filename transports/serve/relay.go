package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/transports/wire"
)

// RelaySpec is how the server publishes each message of its schedules
// through another server's HTTP API (a target's): the open-loop
// publisher stays here, stamping intended times, and every appended
// message is sent as one request. Templates are already expanded; the
// body is BodyPrefix, the message's JSON, BodySuffix.
type RelaySpec struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers,omitempty"`
	BodyPrefix string            `json:"body_prefix"`
	BodySuffix string            `json:"body_suffix"`
	OK         []int             `json:"ok,omitempty"` // any 2xx when empty
	// ErrorField is a top-level key of a JSON answer that means the
	// publish failed although the status is OK (Centrifugo's "error").
	ErrorField string `json:"error_field,omitempty"`
	// SentNumber writes sent as a JSON number of nanoseconds; by default
	// it is a string, which no float64 re-encoding can round.
	SentNumber bool `json:"sent_number,omitempty"`
}

// RelayStats is the relay's account since its schedule started (requests
// and errors since the process started).
type RelayStats struct {
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	ErrorSample string  `json:"error_sample,omitempty"`
	Pending     int     `json:"pending"`
	LagP99Us    float64 `json:"lag_p99_us"`
	LagMaxUs    float64 `json:"lag_max_us"`
}

// relayQueue bounds the messages waiting to be sent: past it a message
// is counted as a publish error (it is lost, and the clients count it).
const relayQueue = 1 << 16

type relayItem struct {
	seq, sent int64
	payload   string
}

// Relay sends messages one request at a time, in seq order, over one
// kept-alive connection: a target must see them in the order they were
// published, so requests are never concurrent. Safe for concurrent use.
type Relay struct {
	spec   RelaySpec
	client *http.Client
	queue  chan relayItem
	done   chan struct{}
	mu     sync.Mutex
	stats  RelayStats
	lag    *hdrhistogram.Histogram
}

// NewRelay starts a relay; Close stops it.
func NewRelay(spec RelaySpec) *Relay {
	if spec.Method == "" {
		spec.Method = http.MethodPost
	}
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	r := &Relay{spec: spec, client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		queue: make(chan relayItem, relayQueue), done: make(chan struct{}), lag: hdrhistogram.New(1, 60_000_000, 3)}
	go r.loop()
	return r
}

// Add queues one message; a full queue counts it as an error.
func (r *Relay) Add(seq, sent int64, payload string) {
	select {
	case r.queue <- relayItem{seq, sent, payload}:
	default:
		r.fail(fmt.Errorf("message %d: %d messages already wait to be published: the target's publish API is slower than the schedule", seq, relayQueue))
	}
}

// Reset clears the lag figures: a new schedule starts.
func (r *Relay) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lag.Reset()
}

// Stats is the relay's account.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Pending = len(r.queue)
	if r.lag.TotalCount() > 0 {
		s.LagP99Us, s.LagMaxUs = float64(r.lag.ValueAtQuantile(99)), float64(r.lag.Max())
	}
	return s
}

// Close stops sending; queued messages are dropped.
func (r *Relay) Close() {
	close(r.queue)
	<-r.done
	r.client.CloseIdleConnections()
}

func (r *Relay) loop() {
	defer close(r.done)
	var body []byte
	for it := range r.queue {
		lag := time.Since(time.Unix(0, it.sent)).Microseconds()
		r.mu.Lock()
		_ = r.lag.RecordValue(min(max(lag, 1), 60_000_000))
		r.mu.Unlock()
		body = r.body(body[:0], it)
		if err := r.send(body); err != nil {
			r.fail(fmt.Errorf("message %d: %w", it.seq, err))
			continue
		}
		r.mu.Lock()
		r.stats.Requests++
		r.mu.Unlock()
	}
}

// body is the request body: pushbench's message, sent as a string of
// nanoseconds unless the spec asks for a number.
func (r *Relay) body(dst []byte, it relayItem) []byte {
	dst = append(dst, r.spec.BodyPrefix...)
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, it.seq, 10)
	dst = append(dst, `,"sent":`...)
	if r.spec.SentNumber {
		dst = strconv.AppendInt(dst, it.sent, 10)
	} else {
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, it.sent, 10)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"payload":`...)
	dst = wire.AppendString(dst, it.payload)
	dst = append(dst, '}')
	return append(dst, r.spec.BodySuffix...)
}

func (r *Relay) send(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.spec.Method, r.spec.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range r.spec.Headers {
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	ok := resp.StatusCode/100 == 2
	if len(r.spec.OK) > 0 {
		ok = slices.Contains(r.spec.OK, resp.StatusCode)
	}
	if ok && r.spec.ErrorField != "" && bytes.Contains(excerpt, []byte(`"`+r.spec.ErrorField+`"`)) {
		var top map[string]json.RawMessage
		if json.Unmarshal(excerpt, &top) != nil || top[r.spec.ErrorField] != nil {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%s %s answered %s: %s", r.spec.Method, r.spec.URL, resp.Status, wire.Quote(string(excerpt)))
	}
	return nil
}

func (r *Relay) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Errors++
	if r.stats.ErrorSample == "" {
		r.stats.ErrorSample = err.Error()
	}
}
