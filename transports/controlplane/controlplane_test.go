package controlplane

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A token a test may use: 64 hex digits.
const testSecret = "4f1c9a0e7b3d52c86a9e0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f"

func TestParseTokenRule(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" is accepted
	}{
		{testSecret, ""},
		{testSecret + "\n", ""}, // a file's newline
		{"q5Z0s2mJ8bX1vY3cN7dK4fG6hL9pR0tW2uE5iO8aQ1w", ""}, // 43 base64 characters: 258 bits
		{testSecret[:63], "too short"},
		{"q5Z0s2mJ8bX1vY3cN7dK4fG6hL9pR0tW2uE5iO8aQ1", "too short"},
		{"secret", "too short"},
		{"", "empty"},
		{strings.Repeat("ab", 40), "not random"},
		{testSecret[:40] + " " + testSecret[40:], "not printable"},
		{testSecret + "\x00", "not printable"},
	} {
		_, err := ParseToken(c.in)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("ParseToken(%q): %v, want accepted", c.in, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("ParseToken(%q): %v, want an error saying %q", c.in, err, c.want)
		}
		if err != nil && len(c.in) > 8 && strings.Contains(err.Error(), strings.TrimSpace(c.in)) {
			t.Errorf("ParseToken's error quotes the token: %v", err)
		}
	}
}

func TestLoadTokenFileBeforeEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := strings.ToUpper(testSecret)
	env := func(k string) string {
		if k == EnvVar {
			return other
		}
		return ""
	}
	tok, err := LoadToken("--token-file", file, env)
	if err != nil || tok.Secret() != testSecret {
		t.Fatalf("from the file: %v, %v", tok, err)
	}
	if tok, err = LoadToken("--token-file", "", env); err != nil || tok.Secret() != other {
		t.Fatalf("from the environment: %v, %v", tok, err)
	}
	if tok, err = LoadToken("--token-file", "", func(string) string { return "" }); err != nil || tok.Set() {
		t.Fatalf("from nowhere: %v, %v, want no token and no error", tok, err)
	}
	if _, err = LoadToken("--token-file", "", func(string) string { return "short" }); err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Fatalf("a short token in the environment: %v, want an error naming %s", err, EnvVar)
	}
	if s := tok.String() + (Token{secret: testSecret}).String(); strings.Contains(s, testSecret) {
		t.Fatalf("String shows the secret: %s", s)
	}
}

func TestCheckListen(t *testing.T) {
	tok, _ := ParseToken(testSecret)
	for _, c := range []struct {
		addr string
		tok  Token
		ok   bool
	}{
		{"127.0.0.1:0", Token{}, true},
		{"[::1]:7070", Token{}, true},
		{"localhost:7070", Token{}, true},
		{"0.0.0.0:7070", Token{}, false},
		{":7070", Token{}, false},
		{"10.0.0.5:7070", Token{}, false},
		{"10.0.0.5:7070", tok, true},
	} {
		err := CheckListen("the API", "--listen", c.addr, c.tok)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%s, %v): %v, want ok %v", c.addr, c.tok, err, c.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "--token-file") || !strings.Contains(err.Error(), EnvVar)) {
			t.Errorf("CheckListen(%s): %v does not name --token-file and %s", c.addr, err, EnvVar)
		}
	}
}

// syncBuffer is a log several handler goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGuardLogIsBounded: a flood of refusals writes Burst lines per
// period; the next period's first line counts the ones left out.
func TestGuardLogIsBounded(t *testing.T) {
	tok, _ := ParseToken(testSecret)
	var log syncBuffer
	g := &Guard{Token: tok, Log: &log, Prefix: "test", Burst: 3, Period: time.Hour}
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("a refused request reached the handler") }))
	for i := 0; i < 100; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/start", nil)
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("0", len(testSecret)))
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("refusal %d: %d, want 401", i, rec.Code)
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 3 {
		t.Fatalf("100 refusals logged %d lines, want 3:\n%s", n, log.String())
	}
	g.mu.Lock()
	g.start = time.Time{} // the period is over
	g.mu.Unlock()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/status", nil))
	if !strings.Contains(log.String(), "and 97 refusals before it not logged") {
		t.Fatalf("the next period's line does not count the 97 left out:\n%s", log.String())
	}
}

// TestDecodeStrict: one JSON value, known fields, nothing after it.
func TestDecodeStrict(t *testing.T) {
	type v struct{ A int }
	for in, ok := range map[string]bool{
		`{"A":1}`: true, ` {"A":1} `: true, `{"A":1}{"A":2}`: false, `{"A":1} x`: false,
		`{"B":1}`: false, `{"A":`: false, ``: false, `{"A":"x"}`: false,
	} {
		var got v
		if err := DecodeStrict([]byte(in), &got); (err == nil) != ok {
			t.Errorf("DecodeStrict(%q): %v, want ok %v", in, err, ok)
		}
	}
	long := `{"` + strings.Repeat("x", 10000) + `":1}`
	if err := DecodeStrict([]byte(long), &v{}); err == nil || len(err.Error()) > 210 {
		t.Errorf("an unknown field 10000 bytes long: error of %d bytes, want it cut to about 200", len(err.Error()))
	}
}
