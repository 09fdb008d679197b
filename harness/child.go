package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a pushbench child process that prints "READY <json>" once it
// serves. It dies with the run, however the run ends: the kernel sends it
// SIGKILL when the thread that started it exits (a SIGKILL of pushbench run
// included), and it leads its own process group, so every exit path here
// can kill the group with one signal, and a terminal's Ctrl-C reaches only
// the run, which stops its children in order. Safe for concurrent use.
type child struct {
	cmd     *exec.Cmd
	ready   string // the JSON after READY
	exited  chan struct{}
	waitErr error
	stderr  *tailBuffer
}

// startChild runs bin args with extra environment and waits up to limit for
// its READY line.
func startChild(ctx context.Context, bin string, args, env []string, limit time.Duration) (*child, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{}}
	cmd.Stderr = c.stderr
	if err := c.launch(syscall.SIGKILL); err != nil {
		return nil, fmt.Errorf("failed to start %s %s: %w", bin, args[0], err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- line
				break
			}
		}
		close(ready)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case line, ok := <-ready:
		if ok {
			c.ready = line
			return c, nil
		}
		<-c.exited
		err = fmt.Errorf("exited before it was ready: %v", c.waitErr)
	case <-timer.C:
		err = fmt.Errorf("not ready within %v", limit)
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.stop()
	return nil, fmt.Errorf("%s %s: %w%s", bin, args[0], err, c.stderrTail())
}

// launch starts c.cmd so that it gets deathsig when the run ends (its
// starting thread, however it ends), in a process group of its own, and
// reaps it.
func (c *child) launch(deathsig syscall.Signal) error {
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: deathsig, Setpgid: true}
	// Pdeathsig follows the starting thread, not the process: start the
	// child from a locked thread that stays alive (Go keeps the thread
	// after UnlockOSThread unless the goroutine exits while locked).
	runtime.LockOSThread()
	err := c.cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return err
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	return nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// dead returns an error describing the exit once the child has exited.
func (c *child) dead() error {
	select {
	case <-c.exited:
		if c.waitErr != nil {
			return fmt.Errorf("exited: %v%s", c.waitErr, c.stderrTail())
		}
		return errors.New("exited" + c.stderrTail())
	default:
		return nil
	}
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

func (c *child) stderrTail() string {
	if t := strings.TrimSpace(c.stderr.String()); t != "" {
		return " (stderr: " + t + ")"
	}
	return ""
}

// stop ends the child: SIGINT (a graceful shutdown), then SIGKILL to its
// group after 10 s.
func (c *child) stop() { c.end(c.cmd.Process.Pid, syscall.SIGINT, 10*time.Second) }

// end sends sig to pid (the child, or -pid: its whole group), waits up to
// grace for the child to exit, then kills its group.
func (c *child) end(pid int, sig syscall.Signal, grace time.Duration) {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = syscall.Kill(pid, sig)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.exited:
	case <-timer.C:
		c.kill()
	}
}

// kill ends the child and its group at once (SIGKILL), as a crash would.
func (c *child) kill() {
	select {
	case <-c.exited:
		return // reaped: its pid may belong to someone else now
	default:
	}
	if err := syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = c.cmd.Process.Kill()
	}
	<-c.exited
}
