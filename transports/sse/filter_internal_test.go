package sse

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// libEvent returns the Write calls the library makes for one event
// (http.go:88-116).
func libEvent(id int64, data string) []string {
	return []string{fmt.Sprintf("id: %d\n", id), fmt.Sprintf("data: %s\n", data), "\n"}
}

var libHeartbeat = []string{": hb\n", "\n"}

func TestFilterSteps(t *testing.T) {
	f := filter{last: 10}
	type step struct {
		in       string
		want     action
		id, from int64
	}
	steps := []step{
		{": hb\n", pass, 0, 0}, {"\n", pass, 0, 0}, // heartbeat
		{"id: 9\n", drop, 9, 0}, {"data: x\n", drop, 0, 0}, {"\n", drop, 0, 0}, // replayed
		{"id: 10\n", drop, 10, 0}, {"data: x\n", drop, 0, 0}, {"\n", drop, 0, 0},
		{"id: 11\n", passID, 11, 11}, {"data: x\n", pass, 0, 0}, {"\n", pass, 0, 0},
		{"id: 15\n", gapThen, 15, 12}, {"data: x\n", pass, 0, 0}, {"\n", pass, 0, 0},
		{"id: x\n", pass, 0, 0}, {"\n", pass, 0, 0}, // not a seq: untouched
	}
	for i, s := range steps {
		a, id, from := f.step([]byte(s.in))
		if a != s.want || id != s.id || (a == gapThen || a == passID) && from != s.from {
			t.Errorf("step %d %q = %v %d %d, want %v %d %d", i, s.in, a, id, from, s.want, s.id, s.from)
		}
	}
	if f.last != 15 || f.dropping {
		t.Errorf("filter ends at %+v", f)
	}
}

// deadlineRecorder is an httptest.ResponseRecorder that accepts write
// deadlines, as net/http's ResponseWriter does.
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetWriteDeadline(time.Time) error { return nil }

// TestConnReplaysThenFiltersLive feeds a conn what the library writes when
// its live events overlap the replay: the overlap is dropped, a skipped
// seq becomes a gap signal, heartbeats pass.
func TestConnReplaysThenFiltersLive(t *testing.T) {
	log := msglog.New(100)
	for i := 0; i < 6; i++ {
		log.Append(int64(i), "p")
	}
	s, err := NewServer(log, transports.ServerOptions{Retry: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := deadlineRecorder{httptest.NewRecorder()}
	canceled := false
	c := newConn(s, rec, 3, func() { canceled = true })

	c.WriteHeader(200) // replay 4..6
	var writes []string
	for id := int64(5); id <= 8; id++ { // 5 and 6 overlap the replay
		writes = append(writes, libEvent(id, "live")...)
	}
	writes = append(writes, libHeartbeat...)
	writes = append(writes, libEvent(11, "live")...) // 9..10 skipped
	for _, w := range writes {
		if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	c.Flush()

	var want strings.Builder
	want.WriteString("retry: 2000\n\n")
	for seq := int64(4); seq <= 6; seq++ {
		fmt.Fprintf(&want, "id: %d\ndata: %s\n\n", seq, entryJSON(t, log, seq))
	}
	want.WriteString("id: 7\ndata: live\n\nid: 8\ndata: live\n\n: hb\n\n")
	want.WriteString("id: 10\nevent: gap\ndata: {\"type\":\"gap\",\"first\":9,\"last\":10}\n\n")
	want.WriteString("id: 11\ndata: live\n\n")
	if got := rec.Body.String(); got != want.String() {
		t.Errorf("stream:\n%s\nwant:\n%s", got, want.String())
	}
	if st := s.Stats(); st.MessagesSent != 6 || st.GapsSent != 1 {
		t.Errorf("stats = %+v, want 6 sent (3 replayed, 3 live) and 1 gap", st)
	}
	if canceled {
		t.Error("conn cancelled the request without a failure")
	}
}

func entryJSON(t *testing.T, log *msglog.Log, seq int64) []byte {
	t.Helper()
	e, _, _, err := log.Since(seq-1, 1, nil)
	if err != nil || len(e) != 1 {
		t.Fatalf("entry %d: %v", seq, err)
	}
	return e[0].JSON
}

// timeoutWriter fails every write with a timeout, as a write past its
// deadline does.
type timeoutWriter struct {
	deadlineRecorder
	writes int
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (w *timeoutWriter) Write(p []byte) (int, error) {
	w.writes++
	return 0, timeoutErr{}
}

func TestConnFailsFastAfterATimedOutWrite(t *testing.T) {
	log := msglog.New(10)
	s, err := NewServer(log, transports.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := &timeoutWriter{deadlineRecorder: deadlineRecorder{httptest.NewRecorder()}}
	canceled := 0
	c := newConn(s, w, 0, func() { canceled++ })
	c.WriteHeader(200) // the retry line fails
	for _, p := range libEvent(1, "x") {
		if _, err := c.Write([]byte(p)); err == nil || !strings.Contains(err.Error(), "slow consumer") {
			t.Errorf("Write after a timeout: %v, want the slow-consumer error", err)
		}
	}
	c.Flush()
	if w.writes != 1 || canceled != 1 {
		t.Errorf("underlying writes %d, cancels %d; want 1 and 1", w.writes, canceled)
	}
	if st := s.Stats(); st.SlowDisconnects != 1 {
		t.Errorf("stats = %+v, want 1 slow disconnect", st)
	}
}
