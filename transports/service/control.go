package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/pushbench/pushbench/transports"
)

// Schedule is an open-loop publishing plan the harness hands the server:
// Count messages at Rate per second, or, with Burst > 0, Burst messages at
// once every Every (all stamped with the burst's intended time).
type Schedule struct {
	Rate    float64       `json:"rate"`
	Count   int64         `json:"count"`
	Payload int           `json:"payload"`
	Burst   int           `json:"burst,omitempty"`
	Every   time.Duration `json:"every,omitempty"`
}

// Validate names the first bad field.
func (s Schedule) Validate() error {
	switch {
	case s.Count < 0:
		return fmt.Errorf("count %d is negative", s.Count)
	case s.Payload < 0 || s.Payload > 16<<20:
		return fmt.Errorf("payload %d out of range 0..16777216", s.Payload)
	case s.Burst > 0 && s.Every <= 0:
		return fmt.Errorf("burst %d needs every > 0", s.Burst)
	case s.Burst == 0 && s.Count > 0 && s.Rate <= 0:
		return fmt.Errorf("rate %g must be positive to publish %d messages", s.Rate, s.Count)
	}
	return nil
}

// RunSchedule publishes s open-loop and returns the seqs of the first and
// last message published (0, 0 when none). It stops early when ctx ends.
func (s *Service) RunSchedule(ctx context.Context, sc Schedule) (first, last int64) {
	payload := Payload(sc.Payload)
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for n := int64(0); n < sc.Count; {
		var due time.Time
		batch := int64(1)
		if sc.Burst > 0 {
			due = start.Add(time.Duration(n/int64(sc.Burst)) * sc.Every)
			batch = min(int64(sc.Burst), sc.Count-n)
		} else {
			due = start.Add(time.Duration(float64(n) / sc.Rate * float64(time.Second)))
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return first, last
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return first, last
		}
		for i := int64(0); i < batch; i++ {
			e := s.Publish(due, payload)
			if first == 0 {
				first = e.Seq
			}
			last = e.Seq
		}
		n += batch
	}
	return first, last
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
}

func (s *Service) controlStatus(w http.ResponseWriter, r *http.Request) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := Status{Head: s.Log.Head(), Goroutines: runtime.NumGoroutine(), HeapAlloc: ms.HeapAlloc,
		HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Sys: ms.Sys, GOMAXPROCS: runtime.GOMAXPROCS(0), Transports: s.Stats()}
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
	var sc Schedule
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		http.Error(w, "bad schedule: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := sc.Validate(); err != nil {
		http.Error(w, "bad schedule: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	first, last := s.RunSchedule(ctx, sc)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"first\":%d,\"last\":%d}\n", first, last)
}
