package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// Schedule is an open-loop publishing plan the harness hands the server:
// Count messages at Rate per second, or, with Burst > 0, Burst messages at
// once every Every (all stamped with the burst's intended time).
type Schedule struct {
	Rate    float64 `json:"rate"`
	Count   int64   `json:"count"`
	Payload int     `json:"payload"`
	// Binary publishes BinaryPayload bytes instead of a text payload.
	Binary bool          `json:"binary,omitempty"`
	Burst  int           `json:"burst,omitempty"`
	Every  time.Duration `json:"every,omitempty"`
	// Start, when set, is the instant (Unix ns) message 0 is due: several
	// server processes given the same schedule then publish the same
	// messages at the same intended times, so each holds the same log.
	Start int64 `json:"start,omitempty"`
}

// Bounds of a Schedule, the same as the scenario limits they serve.
const (
	MinRate        = 0.001    // messages per second
	MaxRate        = 1e6      // messages per second
	MaxPayload     = 16 << 20 // bytes
	MaxCount       = 1 << 32  // messages (scenarios.MaxMessages)
	MaxBurst       = 100_000  // messages at once
	MinEvery       = time.Millisecond
	MaxScheduleLen = 24 * time.Hour // how long one schedule may run
)

// Validate names the first bad field and what is allowed.
func (s Schedule) Validate() error {
	switch {
	case s.Count < 0 || s.Count > MaxCount:
		return fmt.Errorf("count %d out of range 0..%d", s.Count, MaxCount)
	case s.Payload < 0 || s.Payload > MaxPayload:
		return fmt.Errorf("payload %d out of range 0..%d bytes", s.Payload, MaxPayload)
	case s.Burst < 0 || s.Burst > MaxBurst:
		return fmt.Errorf("burst %d out of range 0..%d", s.Burst, MaxBurst)
	case s.Burst > 0 && (s.Every < MinEvery || s.Every > MaxScheduleLen):
		return fmt.Errorf("burst %d needs every in %v..%v, got %v", s.Burst, MinEvery, MaxScheduleLen, s.Every)
	case s.Burst > 0 && float64(s.Count/int64(s.Burst))*float64(s.Every) > float64(MaxScheduleLen):
		return fmt.Errorf("%d messages in bursts of %d every %v would take over %v", s.Count, s.Burst, s.Every, MaxScheduleLen)
	case s.Burst == 0 && s.Count > 0 && !(s.Rate >= MinRate && s.Rate <= MaxRate):
		return fmt.Errorf("rate %g out of range %g..%g messages per second", s.Rate, MinRate, MaxRate)
	case s.Burst == 0 && float64(s.Count)/s.Rate > MaxScheduleLen.Seconds():
		return fmt.Errorf("%d messages at %g per second would take over %v", s.Count, s.Rate, MaxScheduleLen)
	case s.Start != 0 && (time.Until(time.Unix(0, s.Start)) > time.Minute || time.Since(time.Unix(0, s.Start)) > 10*time.Second):
		return fmt.Errorf("start %v is not within 10 s before to 1 min after now (%v): clocks apart?", time.Unix(0, s.Start).UTC(), time.Now().UTC())
	}
	return nil
}

// EntrySize is the most bytes a message of payload bytes counts against
// the log's byte budget: text (at most 128 bytes of JSON around it) or
// binary (msglog.BinarySize: base64 and raw forms).
func EntrySize(payload int, binary bool) int64 {
	if binary {
		return msglog.BinarySize(payload)
	}
	return int64(payload) + msglog.EntryOverhead + 128
}

// dueAfter is n/rate seconds as a Duration, saturating instead of
// overflowing (callers bound n/rate first; this is the last guard).
func dueAfter(n int64, rate float64) time.Duration {
	d := float64(n) / rate * float64(time.Second)
	if !(d < math.MaxInt64) { // also NaN
		return math.MaxInt64
	}
	return time.Duration(d)
}

// RunSchedule publishes s open-loop and returns the seqs of the first and
// last message published (0, 0 when none). It stops early when ctx ends,
// and with an error when the log refuses a message.
func (s *Service) RunSchedule(ctx context.Context, sc Schedule) (first, last int64, err error) {
	payload := MessageOf(sc.Payload, sc.Binary)
	if s.relay != nil {
		if sc.Binary {
			return 0, 0, errors.New("binary payloads cannot be relayed to a target: its messages are JSON text")
		}
		s.relay.Reset()
	}
	start := time.Now()
	if sc.Start != 0 {
		start = time.Unix(0, sc.Start)
	}
	pace := newPacer()
	defer pace.close()
	for n := int64(0); n < sc.Count; {
		var due time.Time
		batch := int64(1)
		if sc.Burst > 0 {
			due = start.Add(time.Duration(n/int64(sc.Burst)) * sc.Every)
			batch = min(int64(sc.Burst), sc.Count-n)
		} else {
			due = start.Add(dueAfter(n, sc.Rate))
		}
		if !pace.until(ctx, due) {
			return first, last, nil
		}
		for i := int64(0); i < batch; i++ {
			e, err := s.TryPublishMessage(due, payload)
			if err != nil {
				return first, last, err
			}
			if s.relay != nil {
				s.relay.Add(e.Seq, due.UnixNano(), payload.Text)
			}
			if first == 0 {
				first = e.Seq
			}
			last = e.Seq
		}
		n += batch
	}
	return first, last, nil
}

// Status is what GET /control/status reports.
type Status struct {
	Head       int64                       `json:"head"`
	Goroutines int                         `json:"goroutines"`
	HeapAlloc  uint64                      `json:"heap_alloc"`
	HeapInuse  uint64                      `json:"heap_inuse"`
	StackInuse uint64                      `json:"stack_inuse"`
	Sys        uint64                      `json:"sys"`
	GOMAXPROCS int                         `json:"gomaxprocs"`
	Transports map[string]transports.Stats `json:"transports"`
	// PID and BootID say which process this is: a coordinator on the same
	// kernel (the same boot_id) may read its /proc; another may not.
	PID    int    `json:"pid"`
	BootID string `json:"boot_id"`
	// Base and Raw are where clients connect.
	Base string `json:"base"`
	Raw  string `json:"raw"`
	// TLSBase and RawTLS are the TLS listeners ("" when not served), and
	// CertPEM the certificate to trust for them (clients verify it with a
	// pool holding only it).
	TLSBase string `json:"tls_base,omitempty"`
	RawTLS  string `json:"raw_tls,omitempty"`
	CertPEM string `json:"cert_pem,omitempty"`
	// Relay is the relay's account when the process publishes through a
	// target's API (Config.Relay).
	Relay *RelayStats `json:"relay,omitempty"`
	// The process's own CPU time (ns), RSS and open files from its /proc,
	// for a coordinator that cannot read them (another host); 0 with
	// SelfErr set when they could not be read.
	CPUNs   int64  `json:"cpu_ns"`
	RSS     int64  `json:"rss"`
	FDs     int    `json:"fds"`
	SelfErr string `json:"self_err,omitempty"`
}

// bootID is this kernel's boot id ("" where it cannot be read).
var bootID = func() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}()

// controlStatus answers GET /control/status; with ?gc=1 it first runs a
// garbage collection, so heap_alloc is the live heap.
func (s *Service) controlStatus(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := Status{Head: s.Log.Head(), Goroutines: runtime.NumGoroutine(), HeapAlloc: ms.HeapAlloc,
		HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Sys: ms.Sys, GOMAXPROCS: runtime.GOMAXPROCS(0), Transports: s.Stats(),
		PID: os.Getpid(), BootID: bootID, Base: s.BaseURL(), Raw: s.RawAddr(),
		TLSBase: s.TLSBaseURL(), RawTLS: s.RawTLSAddr(), CertPEM: string(s.CertPEM())}
	if s.relay != nil {
		rs := s.relay.Stats()
		st.Relay = &rs
	}
	if err := readSelf(&st); err != nil {
		st.SelfErr = err.Error()
	}
	answerDeadline(w, s.cfg.Server.WriteTimeout)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// controlPublish runs a Schedule and answers, when it is done,
// {"first":F,"last":L}.
func (s *Service) controlPublish(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a schedule", http.StatusMethodNotAllowed)
		return
	}
	if !refuseOrigin(w, r, s.cfg.Server.CORSOrigin) {
		return
	}
	const limit = 1 << 16
	if r.ContentLength > limit { // refused before a byte of it is read
		bodyError(w, &http.MaxBytesError{Limit: limit}, limit, "the schedule", s.cfg.BodyTimeout)
		return
	}
	body, err := readBody(w, r, limit, s.cfg.BodyTimeout)
	if err != nil {
		bodyError(w, err, limit, "the schedule", s.cfg.BodyTimeout)
		return
	}
	var sc Schedule
	if err := decodeStrict(body, &sc); err != nil {
		http.Error(w, "bad schedule: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := sc.Validate(); err != nil {
		http.Error(w, "bad schedule: "+err.Error(), http.StatusBadRequest)
		return
	}
	if e := EntrySize(sc.Payload, sc.Binary); e > s.Log.Budget() {
		http.Error(w, fmt.Sprintf("bad schedule: payload %d bytes (%d as held in the log) is over the log's byte budget %d (raise --max-ring-bytes)", sc.Payload, e, s.Log.Budget()), http.StatusInsufficientStorage)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	first, last, err := s.RunSchedule(ctx, sc)
	if err != nil {
		http.Error(w, fmt.Sprintf("schedule stopped after seq %d: %s", last, refusal(err)), http.StatusInsufficientStorage)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"first\":%d,\"last\":%d}\n", first, last)
}

// decodeStrict decodes one JSON value with no unknown fields and nothing
// after it.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the schedule")
	}
	return nil
}
