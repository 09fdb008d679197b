package serve_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/serve"
)

func request(t *testing.T, method, url, origin, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCrossOriginWritesAreRefused(t *testing.T) {
	svc := start(t, serve.Config{Control: true, Transports: []string{"shortpoll"}})
	base := svc.BaseURL()
	self := base // same origin: scheme://host:port
	for _, tc := range []struct {
		path, origin string
		want         int
	}{
		{"/publish", "", 200},
		{"/publish", self, 200},
		{"/publish", "http://evil.example", 403},
		{"/publish", "null", 403},
		{"/control/publish", "http://evil.example", 403},
	} {
		body := "hi"
		if tc.path == "/control/publish" {
			body = `{"rate":10,"count":1,"payload":1}`
		}
		code, msg := request(t, http.MethodPost, base+tc.path, tc.origin, "text/plain", body)
		if code != tc.want {
			t.Errorf("POST %s from origin %q: %d %q, want %d", tc.path, tc.origin, code, msg, tc.want)
		}
		if code == 403 && !strings.Contains(msg, "--cors") {
			t.Errorf("refusal %q does not name --cors", msg)
		}
	}
	if svc.Log.Head() != 2 {
		t.Errorf("head %d after 2 allowed publishes", svc.Log.Head())
	}

	allowed := start(t, serve.Config{Server: serverOpts("http://app.example")})
	if code, msg := request(t, http.MethodPost, allowed.BaseURL()+"/publish", "http://app.example", "text/plain", "x"); code != 200 {
		t.Errorf("origin allowed by --cors: %d %q", code, msg)
	}
	if code, _ := request(t, http.MethodPost, allowed.BaseURL()+"/publish", "http://other.example", "text/plain", "x"); code != 403 {
		t.Errorf("origin not the --cors one: %d, want 403", code)
	}
}

// TestBodyStoppedShortIsCut: a body one byte short of its Content-Length
// is answered 408 at the deadline and its connection closed (it used to
// hold the connection for ever: net/http waited for the last byte).
func TestBodyStoppedShortIsCut(t *testing.T) {
	svc := start(t, serve.Config{BodyTimeout: 300 * time.Millisecond, Transports: []string{"shortpoll"}})
	c, err := net.Dial("tcp", strings.TrimPrefix(svc.BaseURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1 << 20
	fmt.Fprintf(c, "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", n, strings.Repeat("x", n-1))
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	answer, err := io.ReadAll(c)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 408") || err != nil {
		t.Errorf("answer %q, %v; want 408 and the connection closed", answer, err)
	}
}

// TestSlowBodiesAreCut: a body trickled at 1 B/s is cut at the body
// deadline, both on a handler that reads it and on one that does not.
func TestSlowBodiesAreCut(t *testing.T) {
	svc := start(t, serve.Config{BodyTimeout: 300 * time.Millisecond, Transports: []string{"shortpoll"}})
	addr := strings.TrimPrefix(svc.BaseURL(), "http://")
	for _, path := range []string{"/publish", "/stats"} {
		method := "POST"
		if path == "/stats" {
			method = "GET"
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1048575\r\n\r\nx", method, path)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		// Trickle: one byte every 100 ms until the server gives up.
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			for i := 0; i < 100; i++ {
				if _, err := c.Write([]byte("y")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond) // the trickle's pace
			}
		}()
		answer, _ := io.ReadAll(bufio.NewReader(c))
		took := time.Since(start)
		c.Close()
		<-closed
		if took > 5*time.Second {
			t.Errorf("%s %s: a trickled body held the connection %v", method, path, took)
		}
		if path == "/publish" && !strings.Contains(string(answer), "408") {
			t.Errorf("POST /publish trickled: answer %q, want 408", answer)
		}
	}
	if svc.Log.Head() != 0 {
		t.Errorf("a cut body was published")
	}
}

func TestConnectionCapRefusesClearly(t *testing.T) {
	svc := start(t, serve.Config{MaxConns: 2, Transports: []string{"shortpoll"}})
	addr := strings.TrimPrefix(svc.BaseURL(), "http://")
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(c)
	c.Close()
	if !strings.HasPrefix(string(answer), "HTTP/1.1 503") || !strings.Contains(string(answer), "--max-conns") {
		t.Errorf("third connection got %q, want a 503 naming --max-conns", answer)
	}
	for _, c := range held {
		c.Close()
	}
	// Closed connections free their slots: a request succeeds again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(svc.BaseURL() + "/stats")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if err == nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots not freed: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling for the server to notice the closes
	}
}

func TestPublishOverTheRingBudgetIsRefused(t *testing.T) {
	svc := start(t, serve.Config{RingBytes: 4096, MaxPublish: 1 << 20, Control: true, Transports: []string{"shortpoll"}})
	code, msg := request(t, http.MethodPost, svc.BaseURL()+"/publish", "", "text/plain", strings.Repeat("x", 5000))
	if code != http.StatusInsufficientStorage || !strings.Contains(msg, "--max-ring-bytes") {
		t.Errorf("publish over the budget: %d %q, want 507 naming --max-ring-bytes", code, msg)
	}
	code, msg = request(t, http.MethodPost, svc.BaseURL()+"/control/publish", "", "application/json", `{"rate":10,"count":1,"payload":5000}`)
	if code != http.StatusInsufficientStorage || !strings.Contains(msg, "--max-ring-bytes") {
		t.Errorf("schedule over the budget: %d %q, want 507", code, msg)
	}
	if svc.Log.Head() != 0 {
		t.Errorf("head %d after refusals", svc.Log.Head())
	}
}

func TestControlSchedulesAreValidated(t *testing.T) {
	svc := start(t, serve.Config{Control: true, Transports: []string{"shortpoll"}})
	for _, body := range []string{
		`{"rate":1e-300,"count":10,"payload":1}`,
		`{"rate":1e7,"count":10,"payload":1}`,
		`{"rate":10,"count":-1,"payload":1}`,
		`{"rate":10,"count":1000000000000,"payload":1}`,
		`{"rate":10,"count":1,"payload":16777217}`,
		`{"rate":10,"count":1,"payload":1,"burst":10,"every":0}`,
		`{"rate":10,"count":1,"payload":1,"burst":-1}`,
		`{"rate":0.001,"count":100000,"payload":1}`,
		`{"rate":10,"count":1,"payload":1}{"x":1}`,
		`{"rate":10,"count":1,"payload":1,"extra":1}`,
	} {
		code, msg := request(t, http.MethodPost, svc.BaseURL()+"/control/publish", "", "application/json", body)
		if code != http.StatusBadRequest || !strings.Contains(msg, "bad schedule") {
			t.Errorf("%s: %d %q, want 400", body, code, msg)
		}
	}
	if svc.Log.Head() != 0 {
		t.Errorf("head %d after refused schedules", svc.Log.Head())
	}
}

func TestStatusGCParameter(t *testing.T) {
	svc := start(t, serve.Config{Control: true, Transports: []string{"shortpoll"}})
	for _, q := range []string{"", "?gc=1"} {
		resp, err := http.Get(svc.BaseURL() + "/control/status" + q)
		if err != nil {
			t.Fatal(err)
		}
		var st serve.Status
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || st.HeapAlloc == 0 || st.GOMAXPROCS == 0 {
			t.Errorf("status%s = %+v, %v", q, st, err)
		}
		// Its own CPU, RSS and files, for a coordinator on another host.
		if st.CPUNs <= 0 || st.RSS <= 0 || st.FDs <= 0 || st.SelfErr != "" {
			t.Errorf("status%s: cpu %d ns, rss %d, fds %d, err %q: the process's own figures are missing", q, st.CPUNs, st.RSS, st.FDs, st.SelfErr)
		}
	}
}

// TestPollAnswersAreCappedInBytes: a poll far behind gets MaxBatchBytes
// worth of messages (at least one), not MaxBatch of them.
func TestPollAnswersAreCappedInBytes(t *testing.T) {
	svc := start(t, serve.Config{Transports: []string{"shortpoll"}, Server: serverOptsBatch(10_000)})
	payload := strings.Repeat("p", 1000)
	for i := 0; i < 100; i++ {
		svc.Publish(time.Now(), payload)
	}
	resp, err := http.Get(svc.BaseURL() + "/poll?since=0")
	if err != nil {
		t.Fatal(err)
	}
	var got []json.RawMessage
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// ~1040 bytes a message: 9 fit in 10000 bytes, the 10th would not.
	if len(got) < 1 || len(got) > 10 {
		t.Errorf("answer held %d messages of ~1 KB under a 10000-byte cap", len(got))
	}
}

func serverOpts(cors string) transports.ServerOptions {
	return transports.ServerOptions{CORSOrigin: cors}
}

func serverOptsBatch(bytes int64) transports.ServerOptions {
	return transports.ServerOptions{MaxBatchBytes: bytes}
}

// TestSlowBodiesShareABoundedBudget: bodies held open cannot reserve more
// than BodyBytes between them; one more is refused at once with 503.
func TestSlowBodiesShareABoundedBudget(t *testing.T) {
	svc := start(t, serve.Config{MaxPublish: 1000, BodyBytes: 2500, BodyTimeout: 5 * time.Second, Transports: []string{"shortpoll"}})
	addr := strings.TrimPrefix(svc.BaseURL(), "http://")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < 2; i++ { // 2 x 1000 reserved, body never finished
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		fmt.Fprintf(c, "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
	}
	// The server reserves when the handler starts: poll until the third is refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, msg := request(t, http.MethodPost, svc.BaseURL()+"/publish", "", "text/plain", strings.Repeat("y", 999))
		if code == http.StatusServiceUnavailable && strings.Contains(msg, "being received already") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("third body: %d %q, want 503 while two are held", code, msg)
		}
		time.Sleep(10 * time.Millisecond) // polling for the two handlers to start
	}
	if code, msg := request(t, http.MethodPost, svc.BaseURL()+"/publish", "", "text/plain", "small"); code != 200 {
		t.Errorf("a small body within the budget left: %d %q", code, msg)
	}
}

// TestConnectionCapCoversRawTCP: the cap counts both listeners; a raw-TCP
// connection past it gets an error frame naming the cap.
func TestConnectionCapCoversRawTCP(t *testing.T) {
	svc := start(t, serve.Config{MaxConns: 1, Transports: []string{"rawtcp"}})
	held, err := net.Dial("tcp", strings.TrimPrefix(svc.BaseURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	// An answer on the held connection proves it was accepted, and so
	// counted, before the raw one is tried (no race with the accept).
	_ = held.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(held, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(held).ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("held connection: %q, %v", line, err)
	}
	c, err := net.Dial("tcp", svc.RawAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(c)
	if !strings.Contains(string(answer), "--max-conns") {
		t.Fatalf("raw connection past the cap got %q", answer)
	}
}

// TestBinaryScheduleIsBinaryAndCountedTwice: a binary schedule publishes
// BinaryPayload (not UTF-8) in both forms, and its budget check counts
// both: a payload whose text form fits is refused in binary.
func TestBinaryScheduleIsBinaryAndCountedTwice(t *testing.T) {
	svc := start(t, serve.Config{RingBytes: 8192, Control: true, Transports: []string{"shortpoll"}})
	code, msg := request(t, http.MethodPost, svc.ControlURL()+"/control/publish", "", "application/json", `{"rate":1000,"count":3,"payload":100,"binary":true}`)
	if code != http.StatusOK {
		t.Fatalf("binary schedule: %d %q", code, msg)
	}
	entries, _, _, _ := svc.Log.Since(0, 10, nil)
	want := serve.BinaryPayload(100)
	if len(entries) != 3 || utf8.Valid(want) {
		t.Fatalf("%d entries; payload valid UTF-8: %v", len(entries), utf8.Valid(want))
	}
	for _, e := range entries {
		var js struct {
			Size   int    `json:"size"`
			Base64 []byte `json:"base64"` // encoding/json decodes base64 into []byte
		}
		if err := json.Unmarshal(e.JSON, &js); err != nil || js.Size != 100 || !bytes.Equal(js.Base64, want) || !bytes.Equal(e.Binary[21:], want) {
			t.Errorf("entry %d: JSON %.60s (%v), raw %x", e.Seq, e.JSON, err, e.Binary[:24])
		}
	}
	if bytes.Equal(serve.BinaryPayload(64)[:8], serve.BinaryPayload(64)[8:16]) {
		t.Error("the binary payload repeats")
	}
	code, msg = request(t, http.MethodPost, svc.ControlURL()+"/control/publish", "", "application/json", `{"rate":10,"count":1,"payload":4000,"binary":true}`)
	if code != http.StatusInsufficientStorage || !strings.Contains(msg, "--max-ring-bytes") {
		t.Errorf("binary schedule over the budget (its text form fits): %d %q, want 507 naming --max-ring-bytes", code, msg)
	}
}
