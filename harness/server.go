package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/transports/controlplane"
	"github.com/pushbench/pushbench/transports/serve"
)

// serverProc is one pushbench serve --control process: a child of this run,
// or (with no child) a server running elsewhere, reached by its control
// address. Its methods are safe for concurrent use.
type serverProc struct {
	*child         // nil for a server this run did not start
	base    string // where clients connect
	raw     string
	tlsBase string // its TLS listeners, when serving a TLS variant
	rawTLS  string
	control string // its own control endpoints
	http    *http.Client
	// samePID is a remote server's pid when it runs on this kernel (a
	// network namespace of this machine): its /proc is then readable here.
	samePID int
}

// serverArgs are what a run chooses for the server.
type serverArgs struct {
	Transport  string
	Ring       int
	Heartbeat  time.Duration // 0: serve's default
	Hold       time.Duration // long-poll hold; 0: serve's default
	Queue      int           // push backlog bound; 0: serve's default
	Addr       string        // HTTP address; "" for any free port
	RawAddr    string        // rawtcp address; "" for any free port
	RingBytes  int64         // log byte budget; 0: serve's default
	FirstSeq   int64         // first seq of a restarted server; 0 for 1
	GOMAXPROCS int           // 0: the default
	CPU        int           // CPU to pin to; -1 for none
	ReusePort  bool          // share Addr and RawAddr with other server processes
	CORS       string        // --cors: the origin browser pages come from; "" for none
	// TLS serves the transport's TLS listener (--tls-addr or, for raw
	// transports, --raw-tls-addr) at TLSAddr ("" for any free port), with
	// the run's certificate, key and ticket key files, so every process of
	// the run presents one certificate and resumes the others' sessions.
	TLS                          bool
	Raw                          bool // the transport has its own port
	TLSAddr                      string
	CertFile, KeyFile, TicketKey string
	MaxStreams                   int // HTTP/2 streams per connection; 0: serve's default
	// Relay is a relay spec file (serve --relay): the process publishes
	// through a target's API.
	Relay string
	// Control is how the run reaches control APIs: its token is handed
	// to the child (PUSHBENCH_TOKEN) and sent with every control call.
	Control controlplane.Client
}

// startServer runs bin serve and waits for its READY line.
func startServer(ctx context.Context, bin string, a serverArgs) (*serverProc, error) {
	addr, raw := a.Addr, a.RawAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if raw == "" {
		raw = "127.0.0.1:0"
	}
	args := []string{"serve", "--control", "--control-addr", "127.0.0.1:0", "--addr", addr, "--raw-addr", raw,
		"--transports", a.Transport, "--max-ring-messages", fmt.Sprint(a.Ring)}
	if a.ReusePort {
		args = append(args, "--reuseport")
	}
	if a.FirstSeq > 1 {
		args = append(args, "--first-seq", fmt.Sprint(a.FirstSeq))
	}
	if a.Heartbeat > 0 {
		args = append(args, "--heartbeat", a.Heartbeat.String())
	}
	if a.Hold > 0 {
		args = append(args, "--hold", a.Hold.String())
	}
	if a.Queue > 0 {
		args = append(args, "--max-queue-messages", fmt.Sprint(a.Queue))
	}
	if a.RingBytes > 0 {
		args = append(args, "--max-ring-bytes", fmt.Sprint(a.RingBytes))
	}
	if a.CORS != "" {
		args = append(args, "--cors", a.CORS)
	}
	if a.TLS {
		flag, addr := "--tls-addr", a.TLSAddr
		if a.Raw {
			flag = "--raw-tls-addr"
		}
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		args = append(args, flag, addr, "--tls-cert", a.CertFile, "--tls-key", a.KeyFile, "--tls-ticket-key", a.TicketKey)
	}
	if a.MaxStreams > 0 {
		args = append(args, "--max-streams", fmt.Sprint(a.MaxStreams))
	}
	if a.Relay != "" {
		args = append(args, "--relay", a.Relay)
	}
	env := a.Control.Env()
	if a.GOMAXPROCS > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", a.GOMAXPROCS))
	}
	c, err := startChild(ctx, bin, args, env, 15*time.Second)
	if err != nil {
		return nil, fmt.Errorf("failed to start server: %w", err)
	}
	s := &serverProc{child: c, http: a.Control.HTTP(4)}
	var r struct {
		Base, Raw, Control string
		TLSBase            string `json:"tls_base"`
		RawTLS             string `json:"raw_tls"`
	}
	if err := json.Unmarshal([]byte(c.ready), &r); err != nil {
		c.kill()
		return nil, fmt.Errorf("failed to start server: bad READY line %q: %w", c.ready, err)
	}
	s.base, s.raw, s.control, s.tlsBase, s.rawTLS = r.Base, r.Raw, r.Control, r.TLSBase, r.RawTLS
	if a.CPU >= 0 {
		if err := proc.Pin(c.pid(), a.CPU); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// remoteServer is a server this run reaches but did not start, through c.
func remoteServer(control, base, raw string, c controlplane.Client) *serverProc {
	return &serverProc{base: base, raw: raw, control: strings.TrimRight(control, "/"), http: c.HTTP(4)}
}

func (s *serverProc) name() string {
	if s.child != nil {
		return fmt.Sprintf("server (pid %d)", s.child.pid())
	}
	return "server " + s.control
}

// dead returns an error describing the exit once a local server has exited.
func (s *serverProc) dead() error {
	if s.child == nil {
		return nil
	}
	if err := s.child.dead(); err != nil {
		return fmt.Errorf("server %w", err)
	}
	return nil
}

// status fetches /control/status; with gc the server collects garbage
// first, so its heap figures are live memory.
func (s *serverProc) status(ctx context.Context, gc bool) (serve.Status, error) {
	var st serve.Status
	path := "/control/status"
	if gc {
		path += "?gc=1"
	}
	err := s.call(ctx, http.MethodGet, path, nil, &st, 10*time.Second)
	return st, err
}

// publish runs a schedule on the server and returns the seqs it published.
func (s *serverProc) publish(ctx context.Context, sc serve.Schedule, limit time.Duration) (first, last int64, err error) {
	body, _ := json.Marshal(sc)
	var r struct{ First, Last int64 }
	err = s.call(ctx, http.MethodPost, "/control/publish", body, &r, limit)
	return r.First, r.Last, err
}

func (s *serverProc) call(ctx context.Context, method, path string, body []byte, out any, limit time.Duration) error {
	if err := s.dead(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.control+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if derr := s.dead(); derr != nil {
			return derr
		}
		return fmt.Errorf("%s: control %s failed: %w", s.name(), path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: control %s: %w", s.name(), path, controlplane.ErrUnauthorized)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: control %s: %s: %s", s.name(), path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, out)
}

// kill ends a local server at once (SIGKILL to its process group), as a
// crash would.
func (s *serverProc) kill() {
	if s.child != nil {
		s.child.kill()
	}
	s.http.CloseIdleConnections()
}

// stop asks a local server to shut down (SIGINT) and kills it after 10 s.
func (s *serverProc) stop() {
	if s.child != nil {
		s.child.stop()
	}
	s.http.CloseIdleConnections()
}
