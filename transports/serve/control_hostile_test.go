package serve_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/serve"
)

const controlSecret = "9b8a7c6d5e4f30211f2e3d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f9"

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestControlRefusesHostileRequests probes serve's control API, with a
// token and over TLS as it runs off loopback, as a hostile tester would:
// each probe is refused with its status and says what is wrong, and
// afterwards the API still runs a legitimate schedule.
func TestControlRefusesHostileRequests(t *testing.T) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := controlplane.ParseToken(controlSecret)
	if err != nil {
		t.Fatal(err)
	}
	log := &lockedLog{}
	svc := start(t, serve.Config{Transports: []string{"sse-lean"}, Control: true, ControlAddr: "127.0.0.1:0",
		ControlToken: tok, ControlLog: log, ControlTLS: &tls.Config{Certificates: []tls.Certificate{cert}}, BodyTimeout: 300 * time.Millisecond})
	base := svc.ControlURL()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("ControlURL %s: want https:// with ControlTLS", base)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	anon := controlplane.Client{Roots: pool}.HTTP(1)
	legit := controlplane.Client{Token: tok, Roots: pool}.HTTP(1)
	defer anon.CloseIdleConnections()
	defer legit.CloseIdleConnections()
	do := func(c *http.Client, method, path, auth, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(b)
	}
	raw := func(head string, trickle string) (int, string) {
		c, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, head)
		for i := 0; i < len(trickle); i++ {
			if _, err := c.Write([]byte{trickle[i]}); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(b)
	}
	good := "Bearer " + controlSecret
	schedule := `{"rate":1000,"count":3,"payload":8}`
	probes := []struct {
		name string
		do   func() (int, string)
		code int
		says string
	}{
		{"no token", func() (int, string) { return do(anon, "POST", "/control/publish", "", schedule) }, 401, "no Authorization header"},
		{"no token, status", func() (int, string) { return do(anon, "GET", "/control/status", "", "") }, 401, "no Authorization header"},
		{"wrong token", func() (int, string) { return do(anon, "POST", "/control/publish", "Bearer guess", schedule) }, 401, "wrong token"},
		{"right length, wrong bytes", func() (int, string) {
			return do(anon, "POST", "/control/publish", "Bearer "+strings.Repeat("f", len(controlSecret)), schedule)
		}, 401, "wrong token"},
		{"100 MB schedule declared", func() (int, string) {
			return raw(fmt.Sprintf("POST /control/publish HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", good, 100<<20), "")
		}, 413, "body over 65536 bytes"},
		{"malformed JSON", func() (int, string) { return do(anon, "POST", "/control/publish", good, `{"rate":`) }, 400, "bad schedule"},
		{"unknown field", func() (int, string) {
			return do(anon, "POST", "/control/publish", good, `{"rate":1,"count":1,"clients":1000000}`)
		}, 400, "unknown field"},
		{"a billion messages", func() (int, string) {
			return do(anon, "POST", "/control/publish", good, `{"rate":1,"count":1000000000000}`)
		}, 400, "out of range"},
		{"slow body", func() (int, string) {
			return raw(fmt.Sprintf("POST /control/publish HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", good, len(schedule)), schedule[:20])
		}, 408, "not received within 300ms"},
	}
	for _, p := range probes {
		code, body := p.do()
		if code != p.code || !strings.Contains(body, p.says) {
			t.Errorf("%s: %d %q, want %d saying %q", p.name, code, body, p.code, p.says)
		}
		if strings.Contains(body, controlSecret) {
			t.Errorf("%s: the answer echoes the token", p.name)
		}
		t.Logf("%-26s %d %s", p.name, code, strings.TrimSpace(body))
		if code, body := do(legit, "GET", "/control/status", "", ""); code != 200 || !strings.Contains(body, `"head"`) {
			t.Fatalf("after %s: a legitimate status: %d %s", p.name, code, body)
		}
	}
	code, body := do(legit, "POST", "/control/publish", "", schedule)
	if code != 200 || svc.Log.Head() != 3 {
		t.Fatalf("a legitimate schedule after the probes: %d %s, head %d, want 200 and 3 messages", code, body, svc.Log.Head())
	}
	if l := log.String(); !strings.Contains(l, `refused POST "/control/publish" from 127.0.0.1:`) || strings.Contains(l, controlSecret) || strings.Contains(l, "guess") {
		t.Errorf("refusal log: want address and path, never what the caller sent:\n%s", l)
	}
}

// TestControlTokenLeavesTransportsOpen: with the control API on the main
// address, the token guards /control/* only; clients and /stats need none.
func TestControlTokenLeavesTransportsOpen(t *testing.T) {
	tok, _ := controlplane.ParseToken(controlSecret)
	svc := start(t, serve.Config{Transports: []string{"shortpoll"}, Control: true, ControlToken: tok})
	for path, want := range map[string]int{"/control/status": 401, "/stats": 200, "/poll?since=0": 200} {
		resp, err := http.Get(svc.BaseURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without a token: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
