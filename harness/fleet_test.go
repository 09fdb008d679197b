package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// TestWindowNamesEveryWorkerThatGaveNone: two workers that both answer
// /report with an error. The window is an error (nothing was measured, so
// it is no record of zero deliveries), and it names each worker with its
// own cause; before, only the first failure was kept and the other worker
// was reported as "<nil>".
func TestWindowNamesEveryWorkerThatGaveNone(t *testing.T) {
	var f fleet
	for _, name := range []string{"worker-a", "worker-b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, name+" is out of memory", http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		f.members = append(f.members, &member{remote: loadgen.NewRemote(name, srv.URL, controlplane.Client{}), clients: 5})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fw, err := f.Window(ctx, 10, time.Second, 0)
	if err == nil {
		t.Fatalf("no worker gave its window, yet no error: %+v", fw)
	}
	msg := err.Error()
	for _, want := range []string{"no load-generator worker gave its window", "worker-a is out of memory", "worker-b is out of memory", "its 5 clients"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "<nil>") {
		t.Errorf("error %q names a worker's cause as <nil>", msg)
	}
	if fw.FailedClients != 10 {
		t.Errorf("failed clients %d, want both workers' 10", fw.FailedClients)
	}
}
