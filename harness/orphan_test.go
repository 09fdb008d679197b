package harness

import (
	"github.com/pushbench/pushbench/loadgen/proc"

	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledRunLeavesNoChild SIGKILLs a real `pushbench run` process while
// its `serve` and `worker` children are up and finds them gone: nothing is
// left re-parented and listening. Waits poll /proc against a deadline.
func TestKilledRunLeavesNoChild(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "orphan.json")
	js := `{"name":"orphan","kind":"idle","clients":[1],"warmup":"0s","duration":"60s","poll_interval":"1s"}`
	if err := os.WriteFile(sc, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(serverBin, "run", "--scenario", sc, "--transports", "sse-lean", "--no-pin", "--out", filepath.Join(dir, "out"))
	runExited := startMeasuring(t, run)
	children := childrenOf(run.Process.Pid)
	if len(children["serve"]) == 0 || len(children["worker"]) == 0 {
		t.Fatalf("children of pid %d while measuring: %v, want a serve and a worker", run.Process.Pid, children)
	}
	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-runExited
	deadline := time.Now().Add(10 * time.Second)
	for _, kind := range []string{"serve", "worker"} {
		for _, child := range children[kind] {
			for alive(child) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(child, syscall.SIGKILL)
					t.Fatalf("%s child %d still running 10s after its run was SIGKILLed", kind, child)
				}
				time.Sleep(10 * time.Millisecond) // polling /proc, not synchronising
			}
		}
	}
}

// childrenOf returns the pids of the pushbench children of ppid by
// subcommand (serve, worker).
func childrenOf(ppid int) map[string][]int {
	out := map[string][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if parent, _ := procStat(pid); parent != ppid {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if args := strings.Split(string(cmdline), "\x00"); len(args) > 1 {
			out[args[1]] = append(out[args[1]], pid)
		}
	}
	return out
}

// procStat returns a process's parent pid and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state byte) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// pid (comm) state ppid ...; comm may hold spaces, so cut at the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return 0, 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0][0]
}

// alive is true while pid exists and is not a zombie.
func alive(pid int) bool {
	_, state := procStat(pid)
	return state != 0 && state != 'Z' && state != 'X'
}

// TestKilledRunLeavesNoTargetProcess: a target server's own children (as
// nginx's workers are) die with a run that is SIGKILLed, though the
// kernel's parent-death signal reaches only direct children.
func TestKilledRunLeavesNoTargetProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pushbench and a Node target")
	}
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "targets", "reencode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The server starts a child of its own: the grandchild to outlive it.
	tf := strings.Replace(string(b), `command: [node, "{{.Dir}}/reencode.mjs", "{{.Port}}"]`,
		`command: [sh, -c, "sleep 600 & exec node {{.Dir}}/reencode.mjs {{.Port}}"]`, 1)
	tf = strings.Replace(tf, "  sent: number\n", "", 1)
	target := filepath.Join(dir, "forking.yaml")
	sc := filepath.Join(dir, "orphan.json")
	if err := os.WriteFile(target, []byte(tf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sc, []byte(`{"name":"orphan","kind":"idle","clients":[1],"warmup":"0s","duration":"60s"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(serverBin, "run", "--scenario", sc, "--target", target, "--no-pin", "--out", filepath.Join(dir, "out"))
	runExited := startMeasuring(t, run)
	var sleeps []int
	for _, pid := range proc.Tree(run.Process.Pid) {
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(comm)) == "sleep" {
			sleeps = append(sleeps, pid)
		}
	}
	if len(sleeps) != 1 {
		t.Fatalf("%d sleep processes below the run, want the target's one", len(sleeps))
	}
	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-runExited
	deadline := time.Now().Add(10 * time.Second)
	for alive(sleeps[0]) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(sleeps[0], syscall.SIGKILL)
			t.Fatalf("the target's child %d still running 10s after its run was SIGKILLed", sleeps[0])
		}
		time.Sleep(10 * time.Millisecond) // polling /proc, not synchronising
	}
}

// startMeasuring starts run and returns once it logs its measuring window
// (the child has long finished writing its start-up lines: a child killed
// by SIGPIPE on those would pass for the wrong reason). The channel closes
// when run has exited; the test's end kills run and waits for it.
func startMeasuring(t *testing.T, run *exec.Cmd) <-chan struct{} {
	t.Helper()
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	measuring, runExited := make(chan struct{}), make(chan struct{})
	var log bytes.Buffer // written by the scanner, read after runExited
	go func() {
		sc := bufio.NewScanner(stderr)
		seen := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !seen && strings.Contains(sc.Text(), "measuring") {
				seen = true
				close(measuring)
			}
		}
		_ = run.Wait()
		close(runExited)
	}()
	t.Cleanup(func() {
		_ = run.Process.Kill()
		<-runExited
	})
	select {
	case <-measuring:
	case <-runExited:
		t.Fatalf("run exited before measuring: %s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run not measuring within 30s")
	}
	return runExited
}
