package testrec

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// Serve starts the registered transport name's server over a new log of
// 100 messages on an httptest server; the test's cleanup closes both.
func Serve(t testing.TB, name string, opts transports.ServerOptions) (*httptest.Server, *msglog.Log, transports.Server) {
	t.Helper()
	tr, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	log := msglog.New(100)
	srv, err := tr.NewServer(log, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs, log, srv
}

// CheckRun fails the test unless seqs are exactly from..to in order: no
// loss, no duplicate, no reordering. name says whose messages they are.
func CheckRun(t testing.TB, name string, seqs []int64, from, to int64) {
	t.Helper()
	if want := int(to - from + 1); len(seqs) != want {
		t.Errorf("%s: got %d messages, want %d (seq %d..%d)", name, len(seqs), want, from, to)
	}
	for i, s := range seqs {
		if s != from+int64(i) {
			t.Errorf("%s: message %d has seq %d, want %d (loss, duplicate or reorder)", name, i, s, from+int64(i))
			return
		}
	}
}

// Publish appends n messages to log, each a payload of size bytes of
// a..z repeated, stamped with the time it is appended.
func Publish(log *msglog.Log, n, size int) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	for i := 0; i < n; i++ {
		log.Append(time.Now().UnixNano(), string(payload))
	}
}
