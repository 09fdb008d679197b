package serve_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports/serve"
)

// publishSink is a target's publish API: it keeps every body in arrival
// order and answers what answer says.
type publishSink struct {
	mu     sync.Mutex
	bodies []string
	answer func(n int) (int, string)
}

func (p *publishSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.bodies = append(p.bodies, string(b))
	n := len(p.bodies)
	p.mu.Unlock()
	code, body := http.StatusCreated, ""
	if p.answer != nil {
		code, body = p.answer(n)
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

func (p *publishSink) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...)
}

func waitRelay(t *testing.T, r *serve.Relay, want int64) serve.RelayStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.Stats()
		if st.Requests+st.Errors >= want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay sent %d and failed %d of %d within 10 s", st.Requests, st.Errors, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The relay sends each message once, in seq order, inside the target's
// body template, with sent as a string of nanoseconds.
func TestRelayPublishesInOrderInsideTheEnvelope(t *testing.T) {
	sink := &publishSink{}
	ts := httptest.NewServer(sink)
	defer ts.Close()
	r := serve.NewRelay(serve.RelaySpec{URL: ts.URL + "/pub", BodyPrefix: `{"channel":"c","data":`, BodySuffix: `}`})
	defer r.Close()
	const n = 200
	base := time.Now().UnixNano()
	for i := int64(1); i <= n; i++ {
		r.Add(i, base+i*1_000_003, "p\"q")
	}
	st := waitRelay(t, r, n)
	if st.Errors != 0 || st.Requests != n {
		t.Fatalf("stats %+v, want %d requests and no error", st, n)
	}
	for i, b := range sink.got() {
		var env struct {
			Channel string
			Data    struct {
				Seq     int64  `json:"seq"`
				Sent    string `json:"sent"`
				Payload string `json:"payload"`
			}
		}
		if err := json.Unmarshal([]byte(b), &env); err != nil {
			t.Fatalf("body %d %q: %v", i, b, err)
		}
		seq := int64(i + 1)
		if env.Channel != "c" || env.Data.Seq != seq || env.Data.Sent != strconv.FormatInt(base+seq*1_000_003, 10) || env.Data.Payload != "p\"q" {
			t.Fatalf("body %d = %s, want seq %d in order with its exact sent", i, b, seq)
		}
	}
}

// A JavaScript server parses JSON numbers into float64 and serialises
// them again: an int64 sent in nanoseconds loses its last digits, a sent
// in a string keeps them. The relay writes the string by default.
func TestSentSurvivesAFloat64ReEncoding(t *testing.T) {
	for _, number := range []bool{false, true} {
		sink := &publishSink{}
		ts := httptest.NewServer(sink)
		r := serve.NewRelay(serve.RelaySpec{URL: ts.URL, SentNumber: number})
		sent := int64(1_765_000_000_123_456_789) // above 2^53
		r.Add(1, sent, "x")
		waitRelay(t, r, 1)
		r.Close()
		ts.Close()
		var v map[string]any // what JSON.parse gives a JavaScript server
		if err := json.Unmarshal([]byte(sink.got()[0]), &v); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(v) // and JSON.stringify
		var back struct {
			Sent json.RawMessage `json:"sent"`
		}
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatal(err)
		}
		got := strings.Trim(string(back.Sent), `"`)
		exact := got == strconv.FormatInt(sent, 10)
		if !number && !exact {
			t.Errorf("sent as a string came back as %s after a float64 re-encoding, want %d", back.Sent, sent)
		}
		if number && exact {
			t.Errorf("sent as a number survived a float64 re-encoding (%s): the test does not re-encode", back.Sent)
		}
	}
}

// Refusals count as errors with the server's answer, including a 2xx
// whose JSON names an error (error_field), and the relay goes on.
func TestRelayCountsRefusals(t *testing.T) {
	sink := &publishSink{answer: func(n int) (int, string) {
		switch n {
		case 2:
			return http.StatusUnauthorized, "bad key"
		case 3:
			return http.StatusOK, `{"error":{"code":102,"message":"unknown channel"}}`
		}
		return http.StatusOK, `{"result":{}}`
	}}
	ts := httptest.NewServer(sink)
	defer ts.Close()
	r := serve.NewRelay(serve.RelaySpec{URL: ts.URL, ErrorField: "error"})
	defer r.Close()
	for i := int64(1); i <= 4; i++ {
		r.Add(i, time.Now().UnixNano(), "x")
	}
	st := waitRelay(t, r, 4)
	if st.Requests != 2 || st.Errors != 2 {
		t.Fatalf("stats %+v, want 2 published and 2 refused", st)
	}
	if !strings.Contains(st.ErrorSample, "401") || !strings.Contains(st.ErrorSample, "bad key") {
		t.Errorf("error sample %q does not name the status and the answer", st.ErrorSample)
	}
	if len(sink.got()) != 4 {
		t.Errorf("the relay stopped after a refusal: %d requests", len(sink.got()))
	}
}
