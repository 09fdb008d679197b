package controlplane

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Guard checks the bearer token of every request to a control API and
// logs refusals, at most Burst lines per Period (the rest are counted and
// their number logged with the next line), so a flood of bad requests
// cannot fill a disk. Safe for concurrent use.
type Guard struct {
	Token Token
	// Log receives one line per refusal (remote address, method, path,
	// reason); nil logs nothing.
	Log io.Writer
	// Prefix starts each log line ("pushbench worker").
	Prefix string
	// Burst and Period bound the log (10 lines per minute by default).
	Burst  int
	Period time.Duration

	mu        sync.Mutex
	start     time.Time // of the current period
	logged    int       // lines in the current period
	forgotten int       // refusals not logged since the last line
}

// Wrap returns next behind the guard. With no token every request passes:
// that is for loopback addresses only (see CheckListen).
func (g *Guard) Wrap(next http.Handler) http.Handler {
	if !g.Token.Set() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := g.refuse(r); reason != "" {
			g.log(r, reason)
			w.Header().Set("WWW-Authenticate", `Bearer realm="pushbench control"`)
			Refuse(w, http.StatusUnauthorized, reason+": send Authorization: Bearer TOKEN with this process's token (pushbench run --token-file PATH, or "+EnvVar+")")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse is why r may not pass ("" when it may). It never quotes what the
// request sent.
func (g *Guard) refuse(r *http.Request) string {
	h, ok := r.Header["Authorization"]
	switch {
	case !ok:
		return "no Authorization header"
	case len(h) != 1:
		return "more than one Authorization header"
	}
	scheme, secret, found := strings.Cut(h[0], " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "Authorization is not a Bearer token"
	}
	if !g.Token.matches(secret) {
		return "wrong token"
	}
	return ""
}

func (g *Guard) log(r *http.Request, reason string) {
	if g.Log == nil {
		return
	}
	burst, period := g.Burst, g.Period
	if burst <= 0 {
		burst = 10
	}
	if period <= 0 {
		period = time.Minute
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if now.Sub(g.start) >= period {
		g.start, g.logged = now, 0
	}
	if g.logged >= burst {
		g.forgotten++
		return
	}
	g.logged++
	more := ""
	if g.forgotten > 0 {
		more = fmt.Sprintf(" (and %d refusals before it not logged: at most %d a %v)", g.forgotten, burst, period)
		g.forgotten = 0
	}
	path := r.URL.Path
	if len(path) > 64 {
		path = path[:64] + "..."
	}
	fmt.Fprintf(g.Log, "%s: refused %s %q from %s: %s%s\n", g.Prefix, r.Method, path, r.RemoteAddr, reason, more)
}

// Refuse answers a control request with code and a JSON body
// {"error":msg}, closing the connection after it.
func Refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Connection", "close")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
