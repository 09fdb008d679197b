package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pushbench/pushbench/harness/proc"
	"github.com/pushbench/pushbench/transports/service"
)

// serverProc is a `pushbench serve --control` child process. Its methods
// are safe for concurrent use.
type serverProc struct {
	cmd     *exec.Cmd
	base    string
	raw     string
	http    *http.Client
	exited  chan struct{}
	waitErr error
	stderr  *tailBuffer
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
	args := []string{"serve", "--control", "--addr", addr, "--raw-addr", raw,
		"--transports", a.Transport, "--ring", fmt.Sprint(a.Ring)}
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
		args = append(args, "--queue", fmt.Sprint(a.Queue))
	}
	if a.RingBytes > 0 {
		args = append(args, "--ring-bytes", fmt.Sprint(a.RingBytes))
	}
	cmd := exec.Command(bin, args...)
	// The child dies with this process, however it ends: the kernel sends
	// it SIGKILL when the thread that started it exits (a SIGKILL of
	// `pushbench run` included), and it leads its own process group, so
	// every exit path here can kill the group (the child and anything it
	// started) with one signal, and a terminal's Ctrl-C reaches only the
	// harness, which stops the child in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Env = os.Environ()
	if a.GOMAXPROCS > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", a.GOMAXPROCS))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &serverProc{cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{},
		http: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}}
	cmd.Stderr = s.stderr
	// Pdeathsig follows the starting thread, not the process: start the
	// child from a locked thread that stays alive (Go keeps the thread
	// after UnlockOSThread unless the goroutine exits while locked).
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("failed to start server %s: %w", bin, err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			if line := sc.Text(); !found && strings.HasPrefix(line, "READY ") {
				var r struct{ Base, Raw string }
				err := json.Unmarshal([]byte(strings.TrimPrefix(line, "READY ")), &r)
				s.base, s.raw, found = r.Base, r.Raw, true
				ready <- err
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		if !found {
			ready <- errors.New("server exited before it was ready")
		}
	}()
	go func() {
		err := cmd.Wait()
		s.waitErr = err
		close(s.exited)
	}()
	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-timer.C:
		err = errors.New("server not ready within 15s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("failed to start server: %w%s", err, s.stderrTail())
	}
	if a.CPU >= 0 {
		if err := proc.Pin(cmd.Process.Pid, a.CPU); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *serverProc) pid() int { return s.cmd.Process.Pid }

// dead returns an error describing the exit once the server has exited.
func (s *serverProc) dead() error {
	select {
	case <-s.exited:
		return fmt.Errorf("server exited: %v%s", s.waitErr, s.stderrTail())
	default:
		return nil
	}
}

func (s *serverProc) stderrTail() string {
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		return " (server stderr: " + t + ")"
	}
	return ""
}

// status fetches /control/status; with gc the server collects garbage
// first, so its heap figures are live memory.
func (s *serverProc) status(ctx context.Context, gc ...bool) (service.Status, error) {
	var st service.Status
	path := "/control/status"
	if len(gc) > 0 && gc[0] {
		path += "?gc=1"
	}
	err := s.call(ctx, http.MethodGet, path, nil, &st, 10*time.Second)
	return st, err
}

// publish runs a schedule on the server and returns the seqs it published.
func (s *serverProc) publish(ctx context.Context, sc service.Schedule, limit time.Duration) (first, last int64, err error) {
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
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if derr := s.dead(); derr != nil {
			return derr
		}
		return fmt.Errorf("server control %s failed: %w", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server control %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, out)
}

// kill ends the server at once (SIGKILL to its process group), as a
// crash would.
func (s *serverProc) kill() {
	s.killGroup()
	<-s.exited
	s.http.CloseIdleConnections()
}

// killGroup sends SIGKILL to the child's process group (its pid, as it
// leads the group), falling back to the child alone. Once the child has
// been reaped its pid may belong to someone else: then it does nothing.
func (s *serverProc) killGroup() {
	select {
	case <-s.exited:
		return
	default:
	}
	if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = s.cmd.Process.Kill()
	}
}

// restart kills the server and starts it again on the same addresses,
// its sequence continuing after firstSeq-1 (a durable sequence, a lost log).
func (s *serverProc) restart(ctx context.Context, bin string, a serverArgs, firstSeq int64) (*serverProc, error) {
	s.kill()
	a.Addr, a.RawAddr, a.FirstSeq = strings.TrimPrefix(s.base, "http://"), s.raw, firstSeq
	return startServer(ctx, bin, a)
}

// stop asks the server to shut down (SIGINT) and kills it after 10 s.
func (s *serverProc) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-s.exited:
	case <-timer.C:
		s.killGroup()
		<-s.exited
	}
	s.http.CloseIdleConnections()
}

// tailBuffer keeps the last 2 KiB written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf); n > 2048 {
		t.buf = append(t.buf[:0], t.buf[n-2048:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
