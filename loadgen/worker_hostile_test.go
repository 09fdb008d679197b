package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/controlplane"
)

const hostileSecret = "4f1c9a0e7b3d52c86a9e0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f"

// lockedLog is a log written by handler goroutines and read by the test.
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

// hostileWorker is a worker with a token, a 300 ms body deadline and an
// open-file limit that holds 1000 clients, on a real listener.
func hostileWorker(t *testing.T) (*Worker, *httptest.Server, *lockedLog) {
	t.Helper()
	tok, err := controlplane.ParseToken(hostileSecret)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := &lockedLog{}
	w := NewWorker(ctx)
	w.Token, w.Log, w.BodyTimeout, w.FileLimit = tok, log, 300*time.Millisecond, 1000+fileReserve
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(func() { srv.Close(); w.Close(); cancel() })
	return w, srv, log
}

// raw sends head (and then body, by its own pace) on a fresh connection
// and reads the answer: the probes a client library would not send.
func raw(t *testing.T, addr, head string, body func(net.Conn)) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		body(c)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}

const legitSpec = `{"transport":"sse-lean","base_url":"http://127.0.0.1:1","since":0}`

// stillServes asserts the worker takes a legitimate spec and reports.
func stillServes(t *testing.T, srv *httptest.Server) {
	t.Helper()
	rem := NewRemote("worker under probe", srv.URL, controlplane.Client{Token: mustToken(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var spec Spec
	if err := controlplane.DecodeStrict([]byte(legitSpec), &spec); err != nil {
		t.Fatal(err)
	}
	if err := rem.Start(ctx, spec); err != nil {
		t.Fatalf("a legitimate start after the probe: %v", err)
	}
	if st, err := rem.Status(ctx, -1); err != nil || st.Clients != 0 {
		t.Fatalf("a legitimate status after the probe: %+v, %v", st, err)
	}
	if err := rem.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func mustToken(t *testing.T) controlplane.Token {
	tok, err := controlplane.ParseToken(hostileSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestWorkerRefusesHostileRequests probes the worker as a hostile tester
// would: each probe is refused with its status and a message saying what
// is wrong, and afterwards the worker still serves a legitimate caller.
func TestWorkerRefusesHostileRequests(t *testing.T) {
	_, srv, log := hostileWorker(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	good := "Bearer " + hostileSecret
	sameLength := "Bearer " + strings.Repeat("0", len(hostileSecret))
	probes := []struct {
		name string
		do   func() (int, string)
		code int
		says string
	}{
		{"no token", func() (int, string) { return post(t, srv.URL+"/start", "", legitSpec) }, 401, "no Authorization header"},
		{"wrong token", func() (int, string) { return post(t, srv.URL+"/start", "Bearer guess", legitSpec) }, 401, "wrong token"},
		{"right length, wrong bytes", func() (int, string) { return post(t, srv.URL+"/start", sameLength, legitSpec) }, 401, "wrong token"},
		{"not a bearer token", func() (int, string) { return post(t, srv.URL+"/start", "Basic "+hostileSecret, legitSpec) }, 401, "not a Bearer token"},
		{"100 MB spec declared", func() (int, string) {
			return raw(t, addr, fmt.Sprintf("POST /start HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", good, 100<<20), nil)
		}, 413, "over the limit of 1048576"},
		{"malformed JSON", func() (int, string) { return post(t, srv.URL+"/start", good, `{"transport":`) }, 400, "bad request body"},
		{"unknown field", func() (int, string) {
			return post(t, srv.URL+"/start", good, `{"transport":"sse-lean","clients":1000000}`)
		}, 400, "unknown field"},
		{"two values", func() (int, string) { return post(t, srv.URL+"/start", good, legitSpec+legitSpec) }, 400, "unexpected data"},
		{"unknown transport", func() (int, string) { return post(t, srv.URL+"/start", good, `{"transport":"carrier-pigeon"}`) }, 400, "carrier-pigeon"},
		{"a million clients", func() (int, string) {
			if code, body := post(t, srv.URL+"/start", good, legitSpec); code != 200 {
				t.Fatalf("start before /add: %d %s", code, body)
			}
			return post(t, srv.URL+"/add", good, `{"n":1000000}`)
		}, 400, "holds at most 1000 clients"},
		{"slow body", func() (int, string) {
			head := fmt.Sprintf("POST /start HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", good, len(legitSpec))
			return raw(t, addr, head, func(c net.Conn) {
				for i := 0; i < 20; i++ { // 1 s of trickle against a 300 ms deadline
					if _, err := c.Write([]byte(legitSpec[i : i+1])); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}, 408, "not received within 300ms"},
	}
	for _, p := range probes {
		code, body := p.do()
		if code != p.code || !strings.Contains(body, p.says) {
			t.Errorf("%s: %d %q, want %d saying %q", p.name, code, body, p.code, p.says)
		}
		if strings.Contains(body, hostileSecret) {
			t.Errorf("%s: the answer echoes the token", p.name)
		}
		if p.name == "a million clients" && !strings.Contains(body, "more workers") {
			t.Errorf("%s: %q does not name the knob (more workers)", p.name, body)
		}
		t.Logf("%-26s %d %s", p.name, code, strings.TrimSpace(body))
		stillServes(t, srv)
	}
	l := log.String()
	if !strings.Contains(l, `refused POST "/start" from 127.0.0.1:`) || !strings.Contains(l, "wrong token") {
		t.Errorf("refusals not logged with address and path:\n%s", l)
	}
	if strings.Contains(l, hostileSecret) || strings.Contains(l, "guess") {
		t.Errorf("the log shows what the caller sent:\n%s", l)
	}
}

// countingReader is an endless JSON-ish body that counts what is read.
type countingReader struct {
	mu sync.Mutex
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n >= 100<<20 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), 100<<20-c.n)]
	for i := range p {
		p[i] = ' '
	}
	if c.n == 0 {
		p[0] = '['
	}
	c.n += int64(len(p))
	return len(p), nil
}

// TestWorkerStopsReadingAHugeSpec: a 100 MB spec of unknown length is cut
// after about 1 MiB: the handler does not read it whole.
func TestWorkerStopsReadingAHugeSpec(t *testing.T) {
	w, _, _ := hostileWorker(t)
	body := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, "/start", body)
	req.ContentLength = -1 // chunked: no length to refuse up front
	req.Header.Set("Authorization", "Bearer "+hostileSecret)
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("100 MB spec: %d %s, want 413", rec.Code, rec.Body)
	}
	if body.n > controlplane.MaxBody+64<<10 {
		t.Fatalf("the handler read %d bytes of a 100 MB spec, want at most about %d", body.n, controlplane.MaxBody)
	}
	t.Logf("100 MB spec: read %d bytes, answered %d %s", body.n, rec.Code, strings.TrimSpace(rec.Body.String()))
}

// TestWorkerOverTLS: with a certificate the control API is https://; a
// coordinator trusting its CA and holding the token gets through, one
// without the token gets ErrUnauthorized, one without the CA fails the
// handshake.
func TestWorkerOverTLS(t *testing.T) {
	certPEM, keyPEM, err := transports.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := NewWorker(ctx)
	defer w.Close()
	w.Token = mustToken(t)
	srv := httptest.NewUnstartedServer(w.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	var spec Spec
	_ = controlplane.DecodeStrict([]byte(legitSpec), &spec)
	call := func(c controlplane.Client) error {
		r := NewRemote("tls worker", srv.URL, c)
		defer r.http.CloseIdleConnections()
		return r.Start(ctx, spec)
	}
	if err := call(controlplane.Client{Token: w.Token, Roots: pool}); err != nil {
		t.Fatalf("token and CA: %v", err)
	}
	if err := call(controlplane.Client{Roots: pool}); !errors.Is(err, controlplane.ErrUnauthorized) || !strings.Contains(err.Error(), "--token-file") {
		t.Fatalf("no token: %v, want ErrUnauthorized naming --token-file", err)
	}
	var unknown *tls.CertificateVerificationError
	if err := call(controlplane.Client{Token: w.Token}); !errors.As(err, &unknown) {
		t.Fatalf("no CA: %v, want a certificate verification error", err)
	}
}
