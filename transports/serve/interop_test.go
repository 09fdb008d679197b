package serve_test

// Interoperability: `pushbench serve` must work with clients nobody here
// wrote. A Node EventSource (the eventsource package: resume is its own
// reconnect with Last-Event-ID) and a Node WebSocket client (the ws package:
// resume by hand with ?since=) read through a proxy that is cut twice, and
// curl reads the SSE and poll endpoints. The Node scripts and their locked
// dependencies are in testdata/node; `make node-deps` installs them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/cutnet"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/serve"
)

const (
	nodeDir        = "testdata/node"
	nodeDepsHint   = "run `make node-deps` (npm ci --prefix transports/serve/testdata/node --no-audit --no-fund) from the repository root"
	interopRetry   = 100 * time.Millisecond // SSE retry: so EventSource reconnects fast
	interopRate    = 200                    // publisher, messages per second
	interopCount   = 200                    // messages each Node client must receive
	msgsBeforeCut  = 20                     // messages on a connection before the proxy cuts it
	cutsPerRun     = 2
	scriptTimeout  = 30 * time.Second // the script's own overall timeout
	processTimeout = 60 * time.Second // kills the script if it ignores its own
)

// nodeEvent is one JSON line a script prints (testdata/node/common.mjs).
type nodeEvent struct {
	Event      string `json:"event"`
	Seq        int64  `json:"seq"`
	Received   int64  `json:"received"`
	First      int64  `json:"first"`
	Last       int64  `json:"last"`
	Dups       int64  `json:"dups"`
	Gaps       int64  `json:"gaps"`
	Reconnects int64  `json:"reconnects"`
	Reason     string `json:"reason"`
	raw        string // the line as printed
}

// requireNode fails the test, with what to run, when node or the locked
// packages are missing: a skip would let the interop check pass silently.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: install Node.js 20 or later, then %s", nodeDepsHint)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(nodeDir, "package.json"), &pkg)
	for name, want := range pkg.Dependencies {
		var got struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(nodeDir, "node_modules", name, "package.json"))
		if err != nil {
			t.Fatalf("Node package %s is not installed: %s", name, nodeDepsHint)
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Version != want {
			t.Fatalf("Node package %s is %q, package.json pins %q: %s", name, got.Version, want, nodeDepsHint)
		}
	}
	return node
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// nodeRun is a running script. Use it from the test goroutine only: Next
// until it reports the end of stdout, then Finish.
type nodeRun struct {
	events <-chan nodeEvent
	lines  []string // every stdout line so far, for failure messages
	finish func() (string, error)
}

// startNode runs `node script args...` in testdata/node. The process and
// the goroutine reading it are ended and waited for at test cleanup at the
// latest, before the service and proxy cleanups run.
func startNode(t *testing.T, node, script string, args ...string) *nodeRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = nodeDir
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("failed to start node %s: %v", script, err)
	}
	events, stop, readDone := make(chan nodeEvent), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ev := nodeEvent{raw: sc.Text()}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Event == "" {
				ev.Event, ev.Reason = "unparsable", sc.Text()
			}
			select {
			case events <- ev:
			case <-stop: // nobody listens any more: read on to EOF
			}
		}
	}()
	var once sync.Once
	var waitErr error
	run := &nodeRun{events: events}
	run.finish = func() (string, error) {
		once.Do(func() {
			close(stop)
			for range events { // let the reader reach EOF
			}
			<-readDone
			waitErr = cmd.Wait()
			cancel()
		})
		return stderr.String(), waitErr
	}
	t.Cleanup(func() {
		cancel() // kills the script if the test ended early
		run.finish()
	})
	return run
}

// Next returns the script's next stdout line as an event; ok is false at
// the end of its output.
func (r *nodeRun) Next() (ev nodeEvent, ok bool) {
	ev, ok = <-r.events
	if ok {
		r.lines = append(r.lines, ev.raw)
	}
	return ev, ok
}

// Finish waits for the script to exit and returns its stderr and exit
// error. Call it after Next has reported the end of the output.
func (r *nodeRun) Finish() (stderr string, err error) { return r.finish() }

// Transcript is every stdout line read so far.
func (r *nodeRun) Transcript() string { return strings.Join(r.lines, "\n") }

// startInterop serves one transport, with a publisher, behind a cutting
// proxy; all of it stops at test cleanup.
func startInterop(t *testing.T, name string) (*serve.Service, *cutnet.Proxy) {
	t.Helper()
	svc := start(t, tlsConfig(t, name, serve.Config{Transports: []string{name}, Server: transports.ServerOptions{Retry: interopRetry}}))
	ctx, cancel := context.WithCancel(context.Background())
	published := make(chan struct{})
	go func() {
		defer close(published)
		svc.RunPublisher(ctx, interopRate, serve.MessageOf(32, false))
	}()
	t.Cleanup(func() { cancel(); <-published })
	return svc, cutnet.New(t, hostOf(baseFor(svc, name)))
}

// tlsConfig gives cfg a TLS listener when name is a TLS variant, and
// points the Node scripts (PUSHBENCH_CA, read by common.mjs into the
// clients' ca option) at its certificate, which serve made at start.
func tlsConfig(t *testing.T, name string, cfg serve.Config) serve.Config {
	t.Helper()
	tr := lookupOrSkip(t, name)
	if !tr.TLS() {
		return cfg
	}
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLSAddr, cfg.TLSCert, cfg.TLSKey = "127.0.0.1:0", certPEM, keyPEM
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PUSHBENCH_CA", ca)
	return cfg
}

// baseFor is the base URL name's clients use: https for TLS variants.
func baseFor(svc *serve.Service, name string) string {
	if tr, err := transports.Lookup(name); err == nil && tr.TLS() {
		return svc.TLSBaseURL()
	}
	return svc.BaseURL()
}

func hostOf(base string) string {
	_, host, _ := strings.Cut(base, "://")
	return host
}

// lookupOrSkip returns the transport, skipping when it is not registered
// (transports/all imports the ones that are).
func lookupOrSkip(t *testing.T, name string) transports.Transport {
	t.Helper()
	tr, err := transports.Lookup(name)
	if err != nil {
		t.Skipf("transport %s is not registered in transports/all: %v", name, err)
	}
	return tr
}

var nodeClients = []struct {
	transport, script, scheme string
}{
	{"sse-lean", "eventsource.mjs", "http"},
	{"sse", "eventsource.mjs", "http"},
	{"websocket", "websocket.mjs", "ws"},
	{"sse-lean+tls", "eventsource.mjs", "https"},
	{"sse+tls", "eventsource.mjs", "https"},
	{"websocket+tls", "websocket.mjs", "wss"},
}

// TestNodeClientsResumeAfterCuts: a standard Node client receives a
// contiguous run of messages although its connection is cut twice; the
// EventSource resumes by itself, the WebSocket script by ?since=.
func TestNodeClientsResumeAfterCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node client per transport against a proxy that cuts connections")
	}
	for _, c := range nodeClients {
		t.Run(c.transport, func(t *testing.T) {
			tr := lookupOrSkip(t, c.transport)
			node := requireNode(t)
			svc, proxy := startInterop(t, c.transport)
			url := c.scheme + "://" + proxy.Addr() + tr.Path
			run := startNode(t, node, c.script, url, strconv.Itoa(interopCount), strconv.FormatInt(scriptTimeout.Milliseconds(), 10))

			var s nodeEvent // the summary
			cuts, onConn, armed, prev := 0, 0, false, int64(0)
			for ev, ok := run.Next(); ok; ev, ok = run.Next() {
				switch ev.Event {
				case "open", "reconnect":
					armed, onConn = true, 0
				case "message":
					if prev != 0 && ev.Seq != prev+1 {
						t.Errorf("message seq %d after %d", ev.Seq, prev)
					}
					prev = ev.Seq
					if onConn++; armed && cuts < cutsPerRun && onConn >= msgsBeforeCut {
						if n := proxy.Cut(); n < 1 {
							t.Errorf("cut %d severed %d connections, want the client's", cuts+1, n)
						}
						cuts, armed = cuts+1, false
					}
				case "done":
					s = ev
				case "fatal", "dup", "gap", "timeout", "unparsable":
					t.Errorf("%s printed %s", c.script, ev.raw)
				}
			}
			stderr, exitErr := run.Finish()
			if t.Failed() || exitErr != nil || s.Event != "done" {
				t.Fatalf("node %s %s: exit %v\nstdout:\n%s\nstderr:\n%s", c.script, url, exitErr, run.Transcript(), stderr)
			}
			if cuts != cutsPerRun {
				t.Errorf("proxy cut %d times, want %d", cuts, cutsPerRun)
			}
			if s.Received < interopCount || s.Dups != 0 || s.Gaps != 0 || s.Last-s.First+1 != s.Received || s.Reconnects < cutsPerRun {
				t.Errorf("summary %+v: want >= %d messages, contiguous, no dups or gaps, >= %d reconnects", s, interopCount, cutsPerRun)
			}
			if st := svc.Stats()[tr.Family()]; st.Accepted < cutsPerRun+1 {
				t.Errorf("server accepted %d connections, want >= %d", st.Accepted, cutsPerRun+1)
			}
			t.Logf("%s: seq %d..%d (%d messages), %d reconnects", c.script, s.First, s.Last, s.Received, s.Reconnects)
		})
	}
}

// TestNodeClientsStopOnRefusal: a cursor the server refuses (HTTP 400) is a
// protocol problem the scripts report with a non-zero exit, not a retry loop.
func TestNodeClientsStopOnRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node client per transport")
	}
	for _, c := range nodeClients {
		t.Run(c.transport, func(t *testing.T) {
			tr := lookupOrSkip(t, c.transport)
			node := requireNode(t)
			svc := start(t, tlsConfig(t, c.transport, serve.Config{Transports: []string{c.transport}}))
			url := c.scheme + "://" + hostOf(baseFor(svc, c.transport)) + tr.Path + "?since=abc"
			run := startNode(t, node, c.script, url, "1", "10000")
			var fatal string
			for ev, ok := run.Next(); ok; ev, ok = run.Next() {
				if ev.Event == "fatal" {
					fatal = ev.Reason
				}
			}
			stderr, exitErr := run.Finish()
			var ee *exec.ExitError
			if !errors.As(exitErr, &ee) || ee.ExitCode() != 1 || !strings.Contains(fatal, "400") {
				t.Errorf("exit %v, fatal %q: want exit status 1 naming HTTP 400\nstdout:\n%s\nstderr:\n%s", exitErr, fatal, run.Transcript(), stderr)
			}
		})
	}
}

// requireCurl returns curl's path, skipping when the machine has none.
func requireCurl(t *testing.T) string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not on PATH: run `make system-deps` (apt-get install curl)")
	}
	return curl
}

// publishN appends n messages and returns them.
func publishN(svc *serve.Service, n int) []*msglog.Entry {
	out := make([]*msglog.Entry, n)
	for i := range out {
		out[i] = svc.Publish(time.Now(), fmt.Sprintf("curl-%d", i+1))
	}
	return out
}

// TestCurlSSE: `curl -N` with a Last-Event-ID header reads the retry line,
// then "id: SEQ" + "data: JSON" events from the seq after the header's.
func TestCurlSSE(t *testing.T) {
	for _, name := range []string{"sse-lean", "sse", "sse-lean+tls", "sse+tls", "sse-lean+h2", "sse+h2", "sse-lean+h2c"} {
		t.Run(name, func(t *testing.T) {
			tr := lookupOrSkip(t, name)
			curl := requireCurl(t)
			svc := start(t, tlsConfig(t, name, serve.Config{Transports: []string{name}, Server: transports.ServerOptions{Retry: interopRetry}}))
			entries := publishN(svc, 5)
			ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, curl, append(curlTLS(tr), "-vsSN", "--noproxy", "*", "-H", "Last-Event-ID: 2", baseFor(svc, name)+tr.Path)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			blocks, readErr := readSSE(stdout, 4) // retry, then seqs 3, 4, 5
			cancel()                              // the stream never ends by itself: stop curl
			_, _ = io.Copy(io.Discard, stdout)
			_ = cmd.Wait()
			if readErr != nil {
				t.Fatalf("reading curl's output: %v (stderr %q)", readErr, stderr.String())
			}
			if want := curlProto(tr); !strings.Contains(stderr.String(), want) {
				t.Errorf("curl's trace lacks %q: the stream was not %s\n%s", want, tr.Variant, stderr.String())
			}
			if got := blocks[0]; got["retry"] != strconv.FormatInt(interopRetry.Milliseconds(), 10) || len(got) != 1 {
				t.Errorf("first block %v, want only retry: %d", got, interopRetry.Milliseconds())
			}
			for i, b := range blocks[1:] {
				e := entries[2+i]
				want := map[string]string{"id": strconv.FormatInt(e.Seq, 10), "data": string(e.JSON)}
				if fmt.Sprint(b) != fmt.Sprint(want) {
					t.Errorf("event %d = %v, want %v", i, b, want)
				}
			}
		})
	}
}

// curlTLS are curl's arguments for tr: for a TLS variant, trust only the
// test's certificate (--cacert) and insist on TLS 1.3.
func curlTLS(tr transports.Transport) []string {
	switch tr.Variant {
	case transports.VariantH2C:
		return []string{"--http2-prior-knowledge"}
	case transports.VariantH2:
		return []string{"--cacert", os.Getenv("PUSHBENCH_CA"), "--tlsv1.3", "--http2"}
	case transports.VariantTLS:
		return []string{"--cacert", os.Getenv("PUSHBENCH_CA"), "--tlsv1.3", "--http1.1"}
	}
	return nil
}

// curlProto is what curl -v prints of the response line for tr.
func curlProto(tr transports.Transport) string {
	if tr.HTTP2() {
		return "< HTTP/2 200"
	}
	return "< HTTP/1.1 200"
}

// readSSE reads n events (blocks of fields ended by a blank line) from r,
// skipping comments.
func readSSE(r io.Reader, n int) ([]map[string]string, error) {
	br := bufio.NewReader(r)
	var out []map[string]string
	block := map[string]string{}
	for len(out) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			return out, fmt.Errorf("after %d events: %w", len(out), err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if len(block) > 0 {
				out, block = append(out, block), map[string]string{}
			}
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			if _, dup := block[field]; dup {
				return out, fmt.Errorf("field %q twice in one event", field)
			}
			block[field] = strings.TrimPrefix(value, " ")
		}
	}
	return out, nil
}

// TestCurlPoll: `curl -i /poll?since=N` answers a JSON array of the
// messages after N, as stored, with the head in X-Pushbench-Head.
func TestCurlPoll(t *testing.T) {
	for _, name := range []string{"shortpoll", "shortpoll+tls", "shortpoll+h2", "shortpoll+h2c"} {
		t.Run(name, func(t *testing.T) { testCurlPoll(t, name) })
	}
}

func testCurlPoll(t *testing.T, name string) {
	curl := requireCurl(t)
	tr := lookupOrSkip(t, name)
	svc := start(t, tlsConfig(t, name, serve.Config{Transports: []string{name}}))
	entries := publishN(svc, 5)
	for _, since := range []int{0, 3, 5} {
		ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
		out, err := exec.CommandContext(ctx, curl, append(curlTLS(tr), "-sS", "-i", "--noproxy", "*", fmt.Sprintf("%s/poll?since=%d", baseFor(svc, name), since))...).Output()
		cancel()
		if err != nil {
			t.Fatalf("curl /poll?since=%d: %v", since, err)
		}
		head, body, ok := strings.Cut(string(out), "\r\n\r\n")
		if !ok {
			t.Fatalf("since=%d: no header/body boundary in %q", since, out)
		}
		headers := strings.ToLower(head)
		status := "http/1.1 200"
		if tr.HTTP2() {
			status = "http/2 200"
		}
		for _, h := range []string{status, "content-type: application/json", "x-pushbench-head: 5"} {
			if !strings.Contains(headers, h) {
				t.Errorf("since=%d: headers %q lack %q", since, head, h)
			}
		}
		var want []string
		for _, e := range entries[since:] {
			want = append(want, string(e.JSON))
		}
		if wantBody := "[" + strings.Join(want, ",") + "]"; body != wantBody {
			t.Errorf("since=%d: body %s, want %s", since, body, wantBody)
		}
		var msgs []struct {
			Seq     int64  `json:"seq"`
			Sent    int64  `json:"sent"`
			Payload string `json:"payload"`
		}
		if err := json.Unmarshal([]byte(body), &msgs); err != nil || len(msgs) != 5-since {
			t.Errorf("since=%d: body %s decodes to %d messages (%v), want %d", since, body, len(msgs), err, 5-since)
		}
	}
}
