package sselean_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	_ "github.com/pushbench/pushbench/transports/sselean"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBadCursorsAreRejectedWithAReason(t *testing.T) {
	hs, log, srv := testrec.Serve(t, "sse-lean", transports.ServerOptions{})
	log.Append(1, "x")
	cases := []struct {
		header, query, want string
	}{
		{"abc", "", `Last-Event-ID must be a non-negative integer`},
		{"-3", "", `Last-Event-ID must be a non-negative integer`},
		{"", "since=1.5", `since must be a non-negative integer`},
		{"99", "", `cursor 99 is ahead of the newest message 1`},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"?"+c.query, nil)
		if c.header != "" {
			req.Header.Set("Last-Event-ID", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), c.want) {
			t.Errorf("%q/%q: %d %q, want 400 with %q", c.header, c.query, resp.StatusCode, body, c.want)
		}
	}
	if got := srv.Stats().Rejected; got != int64(len(cases)) {
		t.Errorf("rejected = %d, want %d", got, len(cases))
	}
	resp, err := http.Post(hs.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func TestStreamStartsWithRetryAndCORS(t *testing.T) {
	hs, log, _ := testrec.Serve(t, "sse-lean", transports.ServerOptions{CORSOrigin: "*", Retry: 2500 * 1e6})
	log.Append(7, "hello")
	req, _ := http.NewRequest(http.MethodGet, hs.URL, nil)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type %q", got)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("CORS header %q", got)
	}
	br := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 5 {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimRight(l, "\n"))
	}
	want := []string{"retry: 2500", "", "id: 1", `data: {"seq":1,"sent":7,"payload":"hello"}`, ""}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("stream starts %q, want %q", lines, want)
	}
}
