package netem

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/loadgen/proc"
)

// RealConfig says which real reverse proxy to run and how.
type RealConfig struct {
	Kind     string        // "nginx" or "haproxy"
	Form     string        // "stock", "tuned" or "custom"
	Template string        // custom: the user's text/template config file
	Idle     time.Duration // > 0: every proxy timeout set to this (an idle-close fault)
	Dir      string        // where the config, logs, pid and temp files go (created)
}

// RealProxy is a running nginx or HAProxy child process listening on
// 127.0.0.1 only, in the foreground, killed when pushbench dies
// (Pdeathsig) and stopped by Close on every other exit path.
type RealProxy struct {
	Kind, Form string
	Version    string
	ConfigFile string   // the configuration it runs, as written
	Config     string   // its text
	NotProxied []string // upstreams left direct, and why
	Idle       time.Duration

	addrs   map[string]string
	cmd     *exec.Cmd
	logFile string
	exited  chan struct{}
	waitErr error
	base    proc.Sample // the processes just after start, with no connection
	once    sync.Once
}

// binInfo is what `nginx -V` / `haproxy -v` tell about a binary.
type binInfo struct {
	path, version string
	streamLoad    string // nginx: the load_module line the stream module needs ("" when built in)
	noStream      string // nginx: why rawtcp cannot be proxied ("" when it can)
	err           error
}

var (
	binMu    sync.Mutex
	binCache = map[string]*binInfo{}
)

// InstallHint is the command that installs the proxies from Debian.
const InstallHint = "apt-get update && apt-get install -y nginx libnginx-mod-stream haproxy"

// LookupReal finds kind's binary and its version; the error names the
// install command.
func LookupReal(kind string) (path, version string, err error) {
	bi := lookup(kind)
	return bi.path, bi.version, bi.err
}

func lookup(kind string) *binInfo {
	binMu.Lock()
	defer binMu.Unlock()
	if bi, ok := binCache[kind]; ok {
		return bi
	}
	bi := &binInfo{}
	binCache[kind] = bi
	p, err := exec.LookPath(kind)
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/" + kind); serr == nil {
			p, err = "/usr/sbin/"+kind, nil
		}
	}
	if err != nil {
		bi.err = fmt.Errorf("%s is not installed (no %s in PATH or /usr/sbin): install Debian's package with `%s` (as root), or `make proxies`", kind, kind, InstallHint)
		return bi
	}
	bi.path = p
	flag := "-v"
	if kind == "nginx" {
		flag = "-V"
	}
	out, err := exec.Command(p, flag).CombinedOutput()
	if err != nil {
		bi.err = fmt.Errorf("%s %s failed: %v: %s", p, flag, err, bytes.TrimSpace(out))
		return bi
	}
	txt := string(out)
	if m := regexp.MustCompile(`(?:nginx version: nginx/|HAProxy version )(\S+)`).FindStringSubmatch(txt); m != nil {
		bi.version = m[1]
	}
	if kind == "nginx" {
		modules := "/usr/lib/nginx/modules"
		if m := regexp.MustCompile(`--modules-path=(\S+)`).FindStringSubmatch(txt); m != nil {
			modules = m[1]
		}
		so := filepath.Join(modules, "ngx_stream_module.so")
		switch {
		case strings.Contains(txt, "--with-stream=dynamic"):
			if _, err := os.Stat(so); err != nil {
				bi.noStream = "this nginx builds the stream module as a dynamic module but " + so + " is missing (install libnginx-mod-stream)"
			} else {
				bi.streamLoad = "load_module " + so + ";"
			}
		case regexp.MustCompile(`--with-stream(\s|$)`).MatchString(txt):
		default:
			bi.noStream = "this nginx has no stream module (Debian: apt-get install libnginx-mod-stream)"
		}
	}
	return bi
}

// StartReal writes the configuration into cfg.Dir and starts the proxy
// with a 127.0.0.1 listener for each upstream (name -> host:port, ""
// skipped; "http" is proxied as HTTP, the others as TCP). It returns once
// every listener accepts.
func StartReal(cfg RealConfig, upstreams map[string]string) (*RealProxy, error) {
	bi := lookup(cfg.Kind)
	if bi.err != nil {
		return nil, bi.err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the %s folder: %w", cfg.Kind, err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken between choosing and binding
		p, err := startReal(cfg, bi, upstreams)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	return nil, lastErr
}

// tmplData is what a configuration template sees.
type tmplData struct {
	Listen, Upstream       string
	RawListen, RawUpstream string
	Dir                    string
	Idle                   string // the fault's idle timeout in the proxy's syntax, "" when none
	StreamLoad             string // nginx: load_module line for the stream module
}

func startReal(cfg RealConfig, bi *binInfo, upstreams map[string]string) (*RealProxy, error) {
	p := &RealProxy{Kind: cfg.Kind, Form: cfg.Form, Version: bi.version, Idle: cfg.Idle, addrs: map[string]string{}, exited: make(chan struct{})}
	d := tmplData{Dir: cfg.Dir, StreamLoad: bi.streamLoad}
	if cfg.Idle > 0 {
		d.Idle = fmt.Sprintf("%dms", cfg.Idle.Milliseconds())
	}
	for name, up := range upstreams {
		if up == "" {
			continue
		}
		if name != "http" && bi.noStream != "" {
			p.NotProxied = append(p.NotProxied, name+": "+bi.noStream)
			continue
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p.addrs[name] = port
		if name == "http" {
			d.Listen, d.Upstream = port, up
		} else {
			d.RawListen, d.RawUpstream = port, up
		}
	}
	text, err := renderConfig(cfg, d)
	if err != nil {
		return nil, err
	}
	p.Config = text
	p.logFile = filepath.Join(cfg.Dir, cfg.Kind+".log")
	var args []string
	if cfg.Kind == "nginx" {
		p.ConfigFile = filepath.Join(cfg.Dir, "nginx.conf")
		args = []string{"-p", cfg.Dir + "/", "-c", p.ConfigFile, "-e", p.logFile}
		for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
			if err := os.MkdirAll(filepath.Join(cfg.Dir, t+"_temp"), 0o755); err != nil {
				return nil, err
			}
		}
	} else {
		p.ConfigFile = filepath.Join(cfg.Dir, "haproxy.cfg")
		args = []string{"-db", "-f", p.ConfigFile}
	}
	if err := os.WriteFile(p.ConfigFile, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("failed to write the %s config: %w", cfg.Kind, err)
	}
	logf, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p.cmd = exec.Command(bi.path, args...)
	p.cmd.Dir = cfg.Dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Its own process group (Close signals all of it); killed if pushbench dies.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start %s: %w", bi.path, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(5 * time.Second); err != nil {
		p.Close()
		return nil, err
	}
	p.base, _ = p.Sample()
	return p, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("failed to find a free port for the proxy: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// waitReady waits until the proxy's own processes listen on every address
// (from /proc/net/tcp and their fds, so a port taken by someone else in
// the instant between choosing and binding is not mistaken for the
// proxy's) or the process exits.
func (p *RealProxy) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited at start (%v): %s (config %s)", p.Kind, p.waitErr, p.LogTail(3), p.ConfigFile)
		default:
		}
		missing := ""
		owned := socketInodes(proc.Tree(p.cmd.Process.Pid))
		listening := listeningInodes()
		for _, addr := range p.addrs {
			ok := false
			for _, ino := range listening[addr] {
				ok = ok || owned[ino]
			}
			if !ok {
				missing = addr
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %v: %s (config %s)", p.Kind, missing, limit, p.LogTail(3), p.ConfigFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// socketInodes are the socket inodes the processes hold open.
func socketInodes(pids []int) map[string]bool {
	out := map[string]bool{}
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
				out[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
			}
		}
	}
	return out
}

// listeningInodes maps "127.0.0.1:port" to the inodes of the IPv4 sockets
// listening there (/proc/net/tcp).
func listeningInodes() map[string][]string {
	out := map[string][]string{}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		hp := strings.Split(f[1], ":")
		if len(hp) != 2 || hp[0] != "0100007F" { // 127.0.0.1, little-endian hex
			continue
		}
		var port int
		if _, err := fmt.Sscanf(hp[1], "%X", &port); err != nil {
			continue
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		out[addr] = append(out[addr], f[9])
	}
	return out
}

// Addr is the address clients dial instead of the named upstream ("" when
// it is not proxied).
func (p *RealProxy) Addr(name string) string { return p.addrs[name] }

// PID is the proxy's (main) process id.
func (p *RealProxy) PID() int { return p.cmd.Process.Pid }

// Exited says whether the process has ended, and how.
func (p *RealProxy) Exited() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v): %s", p.Kind, p.waitErr, p.LogTail(3))
	default:
		return nil
	}
}

// LogTail is the last n non-empty lines of the proxy's log, joined by " | ".
func (p *RealProxy) LogTail(n int) string {
	b, err := os.ReadFile(p.logFile)
	if err != nil {
		return "(no log)"
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "(empty log)"
	}
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// Base is the processes' sample just after start, with no connection.
func (p *RealProxy) Base() proc.Sample { return p.base }

// Sample sums RSS, CPU and open files over the proxy process and its
// descendants (a custom nginx config may run a master and workers).
func (p *RealProxy) Sample() (proc.Sample, error) {
	sum, _, err := proc.ReadTree(p.cmd.Process.Pid)
	return sum, err
}

// Processes is how many processes the proxy runs now.
func (p *RealProxy) Processes() int { return len(proc.Tree(p.cmd.Process.Pid)) }

// Close stops the proxy (SIGTERM to its process group, SIGKILL after 3 s),
// removes its temp folders and keeps its config and log. Idempotent.
func (p *RealProxy) Close() {
	p.once.Do(func() {
		if p.cmd == nil || p.cmd.Process == nil {
			return
		}
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		t := time.NewTimer(3 * time.Second)
		select {
		case <-p.exited:
		case <-t.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.exited
		}
		t.Stop()
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // any worker left behind
		dir := filepath.Dir(p.ConfigFile)
		for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
			_ = os.RemoveAll(filepath.Join(dir, t+"_temp"))
		}
	})
}

// UpgradeAdvice names why this proxy's configuration refuses a WebSocket
// upgrade and the fix.
func (p *RealProxy) UpgradeAdvice() string {
	const fix = "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection upgrade"
	switch {
	case p.Kind == "nginx" && p.Form == "stock":
		return "the nginx stock config forwards no Upgrade header and talks HTTP/1.0 upstream (fix: " + fix + ")"
	case p.Kind == "nginx":
		return "this nginx config does not pass the upgrade through (nginx needs: " + fix + ")"
	default:
		return "this HAProxy config does not pass the upgrade through (it needs mode http with no rule removing the Upgrade or Connection header, and timeout tunnel for the upgraded connection)"
	}
}

// ProbeUpgrade sends a WebSocket opening handshake for path to addr and
// returns the response's status line and the start of its body.
func ProbeUpgrade(addr, path string, timeout time.Duration) (status, body string, err error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: cHVzaGJlbmNoLXByb2JlIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return "", "", err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", "", fmt.Errorf("no answer to the upgrade: %w", err)
	}
	status = strings.TrimSpace(line)
	if strings.Contains(status, " 101 ") {
		return status, "", nil
	}
	for { // headers
		l, err := br.ReadString('\n')
		if err != nil || strings.TrimSpace(l) == "" {
			break
		}
	}
	buf := make([]byte, 200)
	n, _ := br.Read(buf)
	return status, strings.Join(strings.Fields(string(buf[:n])), " "), nil
}

// ErrNotProxied marks an upstream the proxy cannot carry.
var ErrNotProxied = errors.New("not proxied")

// ProbeFirstByte sends a GET for path to addr (an event stream) and
// returns how long the first byte of the response took; the error says
// none came within wait.
func ProbeFirstByte(addr, path string, wait time.Duration) (time.Duration, error) {
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(start.Add(wait))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr); err != nil {
		return 0, err
	}
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return 0, fmt.Errorf("no byte of the response within %v: %w", wait, err)
	}
	return time.Since(start), nil
}

// StreamAdvice names why this proxy's configuration holds an event stream
// back and the fix.
func (p *RealProxy) StreamAdvice() string {
	if p.Kind == "nginx" {
		return "with proxy_buffering on (nginx's default) nginx holds a small response back, headers included, until more data comes, so a quiet SSE stream never opens and events arrive late and in clumps (fix: proxy_buffering off; in the location, or the server sends the header X-Accel-Buffering: no)"
	}
	return "this HAProxy config holds the response back (check for http-buffer-request, compression or a filter on the backend; option http-no-delay sends each chunk at once)"
}
