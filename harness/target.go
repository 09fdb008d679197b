package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/serve"
)

// targetProc is a target's server: a child of this run started from the
// target file (its process tree pinned to the server CPU and sampled from
// /proc), or, with no child, a server running elsewhere at its address.
type targetProc struct {
	t       scenarios.Target
	vars    scenarios.TemplateVars
	child   *child // nil for a target this run did not start
	version string
}

// CacheDir is where pushbench's Makefile installs the servers it builds
// (Centrifugo): $PUSHBENCH_CACHE, else the user's cache folder's pushbench.
func CacheDir() string {
	if d := os.Getenv("PUSHBENCH_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "pushbench")
}

// TargetVars are a target's template values for a server in dir on port
// (0: a free one is chosen).
func TargetVars(t scenarios.Target, dir string, port int) (scenarios.TemplateVars, error) {
	v := scenarios.TemplateVars{Dir: dir, Port: port, Channel: t.Channel, Procs: 1, Cache: CacheDir(), Heartbeat: 15, Hold: 30}
	if t.Start != nil && port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return v, fmt.Errorf("failed to find a free port for target %s: %w", t.Name, err)
		}
		v.Port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	v.Key = hex.EncodeToString(key)
	base, err := scenarios.Expand(t.Address, v)
	if err != nil {
		return v, fmt.Errorf("target %s: address: %w", t.Name, err)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return v, fmt.Errorf("target %s: address %q is not an http:// or https:// URL", t.Name, base)
	}
	v.Base, v.Host = strings.TrimRight(base, "/"), u.Host
	v.WSBase = "ws" + strings.TrimPrefix(v.Base, "http")
	return v, nil
}

// wholeSeconds is d in whole seconds, rounded up, at least 1; def when d
// is not set.
func wholeSeconds(d time.Duration, def int) int {
	if d <= 0 {
		return def
	}
	return max(1, int((d+time.Second-1)/time.Second))
}

// startTarget starts t's server in dir (or reaches it, when t has no
// start), pinned to cpu (-1: not pinned), and waits until it is ready;
// heartbeat and hold are the scenario's (0: the defaults).
func startTarget(ctx context.Context, t scenarios.Target, dir string, cpu int, heartbeat, hold time.Duration) (*targetProc, error) {
	dir, err := filepath.Abs(dir) // the command runs in dir: its paths must not depend on ours
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	vars, err := TargetVars(t, dir, 0)
	if err != nil {
		return nil, err
	}
	vars.Heartbeat, vars.Hold = wholeSeconds(heartbeat, 15), wholeSeconds(hold, 30)
	tp := &targetProc{t: t, vars: vars}
	if t.Start == nil {
		tp.version, err = targetVersion(ctx, t, vars)
		return tp, err
	}
	for name, tpl := range t.Start.Files {
		body, err := scenarios.Expand(tpl, vars)
		if err != nil {
			return nil, fmt.Errorf("target %s: file %s: %w", t.Name, name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	argv, env, err := expandAll(t.Start.Command, t.Start.Env, vars)
	if err != nil {
		return nil, fmt.Errorf("target %s: start: %w", t.Name, err)
	}
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("target %s: %s is not installed: %s", t.Name, argv[0], installHint(t))
	}
	if tp.version, err = targetVersion(ctx, t, vars); err != nil {
		return nil, err
	}
	if tp.child, err = spawn(bin, argv[1:], env, dir); err != nil {
		return nil, fmt.Errorf("target %s: %w", t.Name, err)
	}
	if err := tp.waitReady(ctx); err != nil {
		tp.stop()
		return nil, err
	}
	if cpu >= 0 {
		if err := proc.PinTree(tp.child.pid(), cpu); err != nil {
			tp.stop()
			return nil, err
		}
	}
	return tp, nil
}

func installHint(t scenarios.Target) string {
	if t.Install != "" {
		return "install it with: " + t.Install
	}
	return "install it, or give the target's address without start"
}

func expandAll(argv, env []string, v scenarios.TemplateVars) (a, e []string, err error) {
	for _, s := range argv {
		x, err := scenarios.Expand(s, v)
		if err != nil {
			return nil, nil, err
		}
		a = append(a, x)
	}
	for _, s := range env {
		x, err := scenarios.Expand(s, v)
		if err != nil {
			return nil, nil, err
		}
		e = append(e, x)
	}
	return a, e, nil
}

// spawn starts bin as a child that dies with the run (see child), its
// output kept in a tail for errors, in dir.
//
// A server's own children (nginx's workers, php-fpm's) outlive a parent
// killed by the kernel, so the command runs under a shell that leads the
// process group: when the run ends, however it ends, the shell gets
// SIGTERM and passes it to the whole group, then waits for it.
func spawn(bin string, args, env []string, dir string) (*child, error) {
	cmd := exec.Command("/bin/sh", append([]string{"-c", groupGuard, bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	c := &child{cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{}}
	cmd.Stdout, cmd.Stderr = c.stderr, c.stderr
	if err := c.launch(syscall.SIGTERM); err != nil {
		return nil, fmt.Errorf("failed to start %s: %w", bin, err)
	}
	return c, nil
}

// groupGuard is the shell that runs a target's command ("$0" "$@") and,
// on SIGTERM or SIGINT, sends SIGTERM to its whole process group and
// waits for the command.
const groupGuard = `trap 'trap "" TERM INT; kill -TERM 0; wait; exit 143' TERM INT; "$0" "$@" & wait $!`

// waitReady probes the target until it answers: an HTTP GET with a status
// below 500, or a TCP connect to its address.
func (tp *targetProc) waitReady(ctx context.Context) error {
	limit := tp.t.Start.Ready.Timeout.Duration
	probe, err := scenarios.Expand(tp.t.Start.Ready.HTTP, tp.vars)
	if err != nil {
		return fmt.Errorf("target %s: ready: %w", tp.t.Name, err)
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: time.Second}
	deadline := time.Now().Add(limit)
	var last error
	for {
		if err := tp.child.dead(); err != nil {
			return fmt.Errorf("target %s %w", tp.t.Name, err)
		}
		if probe != "" {
			resp, err := hc.Get(probe)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode < 500 {
					return nil
				}
				err = fmt.Errorf("%s answered %s", probe, resp.Status)
			}
			last = err
		} else {
			c, err := net.DialTimeout("tcp", tp.vars.Host, time.Second)
			if err == nil {
				c.Close()
				return nil
			}
			last = err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("target %s not ready within %v: %v%s", tp.t.Name, limit, last, tp.child.stderrTail())
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// targetVersion is the target's version: fixed, or from its command.
func targetVersion(ctx context.Context, t scenarios.Target, v scenarios.TemplateVars) (string, error) {
	if t.Version.Fixed != "" {
		return t.Version.Fixed, nil
	}
	argv, _, err := expandAll(t.Version.Command, nil, v)
	if err != nil {
		return "", fmt.Errorf("target %s: version: %w", t.Name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("target %s: version command %q failed (%v): %s; %s", t.Name, strings.Join(argv, " "), err,
			strings.TrimSpace(string(out)), installHint(t))
	}
	s := strings.TrimSpace(string(out))
	if t.Version.Pattern != "" {
		re, err := regexp.Compile(t.Version.Pattern)
		if err != nil {
			return "", fmt.Errorf("target %s: version pattern: %w", t.Name, err)
		}
		m := re.FindStringSubmatch(s)
		if len(m) < 2 {
			return "", fmt.Errorf("target %s: version pattern %q found nothing in %q", t.Name, t.Version.Pattern, s)
		}
		return m[1], nil
	}
	first, _, _ := strings.Cut(s, "\n")
	return first, nil
}

// pid is the target's main process (0 when it runs elsewhere).
func (tp *targetProc) pid() int {
	if tp.child == nil {
		return 0
	}
	return tp.child.pid()
}

// sample sums the target's process tree (zero when it runs elsewhere).
func (tp *targetProc) sample() (s proc.Sample, n int) {
	if tp.child == nil {
		return s, 0
	}
	return proc.ReadSum(proc.Tree(tp.child.pid())[1:]) // the guarding shell is not the server
}

func (tp *targetProc) dead() error {
	if tp.child == nil {
		return nil
	}
	if err := tp.child.dead(); err != nil {
		return fmt.Errorf("target %s %w", tp.t.Name, err)
	}
	return nil
}

// stop ends the target's processes: SIGTERM to its group, SIGKILL after
// 5 s (nginx's master ends its workers on SIGTERM).
func (tp *targetProc) stop() {
	c := tp.child
	if c == nil {
		return
	}
	c.end(-c.pid(), syscall.SIGTERM, 5*time.Second)
	_ = syscall.Kill(-c.pid(), syscall.SIGKILL) // workers that outlived the master
}

// implementation is what records say of the target for transport name.
func (tp *targetProc) implementation(name string) *results.Implementation {
	ep := tp.t.Transports[name]
	resume := ep.Resume.Kind
	if resume == "" {
		resume = "none"
	}
	notes := append(append([]string(nil), tp.t.Notes...), ep.Notes...)
	return &results.Implementation{Name: tp.t.Name, Version: tp.version, Model: tp.t.Model, Runtime: tp.t.Runtime,
		Resume: resume, Local: tp.child != nil, Notes: notes}
}

// relaySpec is the publish request of the target, resolved for the run,
// as serve --relay takes it.
func (tp *targetProc) relaySpec() (serve.RelaySpec, error) {
	p := tp.t.Publish
	const mark = "\x00pushbench-message\x00"
	v := tp.vars
	v.Message = mark
	body, err := scenarios.Expand(p.Body, v)
	if err != nil {
		return serve.RelaySpec{}, fmt.Errorf("target %s: publish.body: %w", tp.t.Name, err)
	}
	prefix, suffix, ok := strings.Cut(body, mark)
	if !ok || strings.Contains(suffix, mark) {
		return serve.RelaySpec{}, fmt.Errorf("target %s: publish.body must place {{.Message}} exactly once", tp.t.Name)
	}
	u, err := scenarios.Expand(p.URL, v)
	if err != nil {
		return serve.RelaySpec{}, fmt.Errorf("target %s: publish.url: %w", tp.t.Name, err)
	}
	h := map[string]string{}
	for k, tpl := range p.Headers {
		if h[k], err = scenarios.Expand(tpl, v); err != nil {
			return serve.RelaySpec{}, fmt.Errorf("target %s: publish.headers.%s: %w", tp.t.Name, k, err)
		}
	}
	return serve.RelaySpec{Method: p.Method, URL: u, Headers: h, BodyPrefix: prefix, BodySuffix: suffix, OK: p.OK,
		ErrorField: p.ErrorField, SentNumber: p.Sent == "number"}, nil
}

// writeRelaySpec writes the relay spec for serve --relay into dir.
func (tp *targetProc) writeRelaySpec(dir string) (string, error) {
	spec, err := tp.relaySpec()
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	f := filepath.Join(dir, "relay.json")
	return f, os.WriteFile(f, b, 0o600)
}

// needsOwnServer says why sc cannot run against a target ("" when it can):
// it restarts pushbench's server, publishes binary payloads or has clients
// publish.
func needsOwnServer(sc scenarios.Scenario) string {
	switch {
	case sc.Fault != nil && sc.Fault.Type == scenarios.FaultRestart:
		return "restarts pushbench's server"
	case sc.Binary:
		return "publishes binary payloads (a target's messages are JSON text)"
	case sc.Kind == scenarios.Chat:
		return "has its clients publish on their connections"
	}
	return ""
}

// CheckTargetScenarios refuses, before anything starts, scenarios that
// need pushbench's own server, and scenarios of which the target serves
// none of the transports.
func CheckTargetScenarios(t scenarios.Target, list []scenarios.Scenario) error {
	if t.Serve {
		return nil
	}
	var bad []string
	for _, sc := range list {
		if why := needsOwnServer(sc); why != "" {
			bad = append(bad, sc.Name+" "+why)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("target %s cannot run %s: leave those scenarios out (they need pushbench's own server)", t.Name, strings.Join(bad, "; "))
	}
	return nil
}

// errTargetLacks says the target does not serve a transport.
var errTargetLacks = errors.New("not served by the target")

// clientSpec is transport name's endpoint as the load generator's clients
// take it, reaching the target at base (the network's address for it).
func (tp *targetProc) clientSpec(name, base string) (*loadgen.TargetSpec, error) {
	ep, ok := tp.t.Transports[name]
	if !ok {
		return nil, fmt.Errorf("%s is %w %s", name, errTargetLacks, tp.t.Name)
	}
	v := tp.vars
	v.Dir, v.Message = "", ""
	if base != "" && base != v.Base {
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		v.Base, v.Host = strings.TrimRight(base, "/"), u.Host
		v.WSBase = "ws" + strings.TrimPrefix(v.Base, "http")
	}
	return &loadgen.TargetSpec{Name: tp.t.Name, Endpoint: ep, Vars: v}, nil
}

// describe marks a record as measuring the target: its implementation,
// its client, and that the server's defaults in Params are not the
// target's.
func (s *servers) describe(rec *results.Record) {
	if s.target == nil {
		rec.Implementation = &results.Implementation{Name: "pushbench", Version: PushbenchVersion(), Model: "event loop",
			Runtime: "Go", Resume: "cursor", Local: s.local()}
		return
	}
	rec.Implementation = s.target.implementation(rec.Transport)
	ep := s.target.t.Transports[rec.Transport]
	rec.Library = "pushbench target client (" + ep.Framing + ")"
	rec.Params.Heartbeat, rec.Params.HoldTimeout = "the target's", "the target's"
}

// publisherSaturated is the publisher's CPU share of its core past which
// its figures are not trusted.
const publisherSaturated = 0.85

// fillTarget adds what a target record has of its own: the figures that
// cannot be measured on it, its processes and its publisher's account.
func fillTarget(rec *results.Record, window time.Duration, s0, s1 samples) {
	if !s1.target {
		return
	}
	srv := &rec.Server
	srv.NotMeasured = []string{"heap", "goroutines"} // a Go heap of pushbench's; the target's is its own
	srv.HeapBytes, srv.HeapPerConn, srv.Goroutines, srv.GoroutinesPerConn = 0, 0, 0, 0
	srv.Processes, srv.Threads = s1.procs, s1.threads
	if !rec.Implementation.Local {
		srv.NotMeasured = append(srv.NotMeasured, "rss", "cpu", "fds")
		*srv = results.Resources{NotMeasured: srv.NotMeasured}
	}
	if s1.relay == nil {
		return
	}
	p := &results.PublisherUsage{LagP99Us: s1.relay.LagP99Us, LagMaxUs: s1.relay.LagMaxUs, ErrorSample: s1.relay.ErrorSample}
	if s0.relay != nil {
		p.Requests, p.Errors = s1.relay.Requests-s0.relay.Requests, s1.relay.Errors-s0.relay.Errors
	}
	p.CPUSeconds = (s1.pubCPU - s0.pubCPU).Seconds()
	if window > 0 {
		p.CPUShare = p.CPUSeconds / window.Seconds()
	}
	switch {
	case p.CPUShare >= publisherSaturated:
		p.Saturated = fmt.Sprintf("publisher at %.0f%% of its core", 100*p.CPUShare)
	case s1.relay.Pending > 0:
		p.Saturated = fmt.Sprintf("%d messages still waited to be published at the window's end", s1.relay.Pending)
	}
	if p.Errors > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d publish requests failed (%s): those messages count as lost", p.Errors, p.ErrorSample))
	}
	rec.Publisher = p
}

// TargetVersion is t's version on this machine, or why it is not known
// (pushbench's own: the module's build).
func TargetVersion(ctx context.Context, t scenarios.Target) string {
	if t.Serve {
		return PushbenchVersion()
	}
	v, err := TargetVars(t, os.TempDir(), 1)
	if err != nil {
		return "unknown: " + err.Error()
	}
	s, err := targetVersion(ctx, t, v)
	if err != nil {
		return "not installed (" + installHint(t) + ")"
	}
	return s
}

// PushbenchVersion is this build's module version, or its VCS revision
// (read once).
var PushbenchVersion = sync.OnceValue(pushbenchVersion)

func pushbenchVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	dirty := false
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 && (v == "" || v == "(devel)") {
			v = "git " + s.Value[:12]
		}
		dirty = dirty || (s.Key == "vcs.modified" && s.Value == "true")
	}
	if dirty && strings.HasPrefix(v, "git ") {
		v += "+changes"
	}
	if (v == "" || v == "(devel)") && len(proc.Describe().Commit) >= 12 {
		v = "git " + proc.Describe().Commit[:12] // built with -buildvcs=false: the machine facts ask git
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}
