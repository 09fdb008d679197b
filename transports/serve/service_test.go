package serve_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	_ "github.com/pushbench/pushbench/transports/all"
	"github.com/pushbench/pushbench/transports/serve"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, cfg serve.Config) *serve.Service {
	t.Helper()
	cfg.Addr, cfg.RawAddr = "127.0.0.1:0", "127.0.0.1:0"
	svc, err := serve.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return svc
}

func post(t *testing.T, url, ctype, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPublishEndpoint(t *testing.T) {
	svc := start(t, serve.Config{MaxPublish: 100})
	url := svc.BaseURL() + "/publish"
	if code, body := post(t, url, "text/plain", "hello"); code != 200 || !strings.Contains(body, `"seq":1`) {
		t.Fatalf("raw publish: %d %q", code, body)
	}
	if code, body := post(t, url, "application/json", `{"payload":"hi","sent":42}`); code != 200 || !strings.Contains(body, `"seq":2`) {
		t.Fatalf("JSON publish: %d %q", code, body)
	}
	entries, _, _, err := svc.Log.Since(0, 10, nil)
	if err != nil || len(entries) != 2 {
		t.Fatalf("log: %v %v", entries, err)
	}
	if got := string(entries[1].JSON); got != `{"seq":2,"sent":42,"payload":"hi"}` {
		t.Errorf("second entry = %s", got)
	}
	if !strings.Contains(string(entries[0].JSON), `"payload":"hello"`) {
		t.Errorf("first entry = %s", entries[0].JSON)
	}
	if code, body := post(t, url, "text/plain", strings.Repeat("x", 101)); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "--max-publish-bytes") {
		t.Errorf("oversized publish: %d %q, want 413 naming --max-publish-bytes", code, body)
	}
	if code, body := post(t, url, "application/json", `{"nope":1}`); code != http.StatusBadRequest || !strings.Contains(body, "payload") {
		t.Errorf("bad JSON publish: %d %q, want 400 naming payload", code, body)
	}
	if svc.Log.Head() != 2 {
		t.Errorf("rejected publishes reached the log: head %d", svc.Log.Head())
	}
}

func TestStatsAndIndex(t *testing.T) {
	svc := start(t, serve.Config{})
	svc.Publish(time.Now(), "x")
	resp, err := http.Get(svc.BaseURL() + "/poll?since=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad since: status %d", resp.StatusCode)
	}
	resp, err = http.Get(svc.BaseURL() + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Head       int64 `json:"head"`
		Transports map[string]struct {
			Rejected int64 `json:"rejected"`
		} `json:"transports"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Head != 1 || st.Transports["shortpoll"].Rejected != 1 {
		t.Errorf("stats = %+v, want head 1 and one shortpoll rejection", st)
	}
	if len(st.Transports) != len(svc.Transports()) {
		t.Errorf("stats list %d transports, service serves %d", len(st.Transports), len(svc.Transports()))
	}
}

func TestPublisherIsOpenLoop(t *testing.T) {
	svc := start(t, serve.Config{Transports: []string{"shortpoll"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int64)
	go func() { done <- svc.RunPublisher(ctx, 1000, serve.Message{Text: "p"}) }()
	for svc.Log.Head() < 50 {
		<-svc.Log.Changed()
	}
	cancel()
	n := <-done
	entries, _, _, _ := svc.Log.Since(0, int(n), nil)
	if int64(len(entries)) != n || n < 50 {
		t.Fatalf("published %d, log has %d", n, len(entries))
	}
	// Intended send times are exactly 1 ms apart whatever the scheduler did.
	for i := 1; i < len(entries); i++ {
		if d := entries[i].Sent - entries[i-1].Sent; d < 999_000 || d > 1_001_000 {
			t.Fatalf("entries %d,%d intended times %d ns apart, want 1 ms", i-1, i, d)
		}
	}
}

func TestUnknownTransportIsAnError(t *testing.T) {
	_, err := serve.Start(serve.Config{Addr: "127.0.0.1:0", RawAddr: "127.0.0.1:0", Transports: []string{"carrier-pigeon"}})
	if err == nil || !strings.Contains(err.Error(), "carrier-pigeon") || !strings.Contains(err.Error(), "known:") {
		t.Fatalf("err = %v, want one naming the transport and the known ones", err)
	}
}
