package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a pushbench child process that prints "READY <json>" once it
// serves. It dies with the run: SIGKILL when the parent dies (Linux's
// parent-death signal), and its own process group so stop reaches anything
// it started.
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
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
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
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

func (c *child) stderrTail() string {
	if t := strings.TrimSpace(c.stderr.String()); t != "" {
		return " (stderr: " + t + ")"
	}
	return ""
}

// stop ends the child and its group: SIGTERM, then SIGKILL after 5 s.
func (c *child) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
	}
}
