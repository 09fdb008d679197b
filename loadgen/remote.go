package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pushbench/pushbench/transports/controlplane"
)

// ErrUnreachable marks a call that got no answer from the worker (it died,
// hung past the call's limit, or cannot be reached), as opposed to an
// answer that reports a failure.
var ErrUnreachable = errors.New("worker did not answer")

// Remote drives a Worker over HTTP: the coordinator's handle on one
// load-generator process, local or on another host. Safe for concurrent use.
type Remote struct {
	Name string // for messages: "worker 2 (pid 1234)" or its address
	base string
	http *http.Client
}

// NewRemote returns a handle on the worker at base (http://host:port, or
// https:// for a worker with --control-tls-cert), reached through c's
// token and trusted certificates.
func NewRemote(name, base string, c controlplane.Client) *Remote {
	return &Remote{Name: name, base: strings.TrimRight(base, "/"), http: c.HTTP(4)}
}

func (r *Remote) call(ctx context.Context, method, path string, in, out any, limit time.Duration) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return err
	}
	// A call cut short because the caller's own deadline passed (a phase
	// timing out) says nothing about the worker; one that ran out of its
	// own limit, or failed, does.
	unreachable := func(err error) error {
		if parent.Err() != nil {
			return fmt.Errorf("%s: %s %s: %w", r.Name, method, path, parent.Err())
		}
		return fmt.Errorf("%s: %s %s: %w: %w", r.Name, method, path, ErrUnreachable, err)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return unreachable(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return unreachable(err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: %s %s: %w", r.Name, method, path, controlplane.ErrUnauthorized)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s: %s: %s", r.Name, method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// URL is the worker's base address.
func (r *Remote) URL() string { return r.base }

// Start gives the worker a new generator.
func (r *Remote) Start(ctx context.Context, s Spec) error {
	return r.call(ctx, http.MethodPost, "/start", s, nil, 30*time.Second)
}

// Add opens n more clients; it returns when they are started (limit bounds it).
func (r *Remote) Add(ctx context.Context, n int, limit time.Duration) error {
	return r.call(ctx, http.MethodPost, "/add", addRequest{n}, nil, limit)
}

// Status asks how the worker's clients are doing; cursor >= 0 also asks how
// many are behind that seq.
func (r *Remote) Status(ctx context.Context, cursor int64) (Status, error) {
	var st Status
	path := "/status"
	if cursor >= 0 {
		path += fmt.Sprintf("?cursor=%d", cursor)
	}
	err := r.call(ctx, http.MethodGet, path, nil, &st, 10*time.Second)
	return st, err
}

// StartWindow opens the worker's window at the instant at.
func (r *Remote) StartWindow(ctx context.Context, base, limit int64, at time.Time) error {
	return r.call(ctx, http.MethodPost, "/window", WindowStart{Base: base, Limit: limit, At: at.UnixNano()}, nil, time.Until(at)+10*time.Second)
}

// MarkLate says the drain deadline passed at at.
func (r *Remote) MarkLate(ctx context.Context, at time.Time) error {
	return r.call(ctx, http.MethodPost, "/late", lateRequest{at.UnixNano()}, nil, 10*time.Second)
}

// Report reads the worker's window given what was published.
func (r *Remote) Report(ctx context.Context, published int64) (Report, error) {
	var rep Report
	err := r.call(ctx, http.MethodGet, fmt.Sprintf("/report?published=%d", published), nil, &rep, 30*time.Second)
	return rep, err
}

// Send makes the worker's clients send upstream for p.Duration.
func (r *Remote) Send(ctx context.Context, p SendPlan) (SendResult, error) {
	var res SendResult
	err := r.call(ctx, http.MethodPost, "/send", p, &res, p.Duration+30*time.Second)
	return res, err
}

// Close closes the worker's generator.
func (r *Remote) Close(ctx context.Context) error {
	defer r.http.CloseIdleConnections()
	return r.call(ctx, http.MethodPost, "/close", nil, nil, 30*time.Second)
}
