// Package proc reads and steers processes through Linux's /proc and
// scheduler calls: resource samples of the server child, CPU pinning, the
// open-file limit, and facts about the machine for every result.
package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// Sample is one reading of a process.
type Sample struct {
	At  time.Time
	RSS int64         // resident set size, bytes
	CPU time.Duration // user + system CPU time so far
	// RunWait is the time the process's threads spent runnable, waiting
	// for a CPU (the kernel's schedstat): what it wanted and did not get.
	RunWait time.Duration
	FDs     int // open file descriptors
	Threads int
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("failed to read process %d: %w", pid, err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 22 {
		return s, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	threads, _ := strconv.Atoi(f[17])           // field 20
	rssPages, _ := strconv.ParseInt(f[21], 10, 64)
	s.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	if ns, wait, ok := schedRuntime(pid); ok {
		s.CPU, s.RunWait = ns, wait // nanosecond resolution instead of 10 ms ticks
	}
	s.Threads = threads
	s.RSS = rssPages * int64(os.Getpagesize())
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.FDs = len(ents)
	}
	return s, nil
}

// schedRuntime sums the CPU time and the run-queue wait of every live
// thread of pid from /proc/PID/task/TID/schedstat (first and second fields,
// nanoseconds). Threads that have
// exited are not counted; Go runtimes rarely end threads.
func schedRuntime(pid int) (cpu, wait time.Duration, ok bool) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, 0, false
	}
	var total, waited int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return 0, 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		w, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += ns
		waited += w
	}
	return time.Duration(total), time.Duration(waited), total > 0
}

// Pin restricts every thread of process pid to the given CPUs. Threads the
// process creates later inherit the mask from the thread that creates them.
func Pin(pid int, cpus ...int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("failed to list threads of %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("failed to pin thread %d of %d to CPUs %v: %w", tid, pid, cpus, err)
		}
	}
	return nil
}

// CPUs is the number of CPUs this process may run on.
func CPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 1
	}
	return set.Count()
}

// BootID is this kernel's boot id ("" where it cannot be read): two
// processes with the same one share a kernel, and so a /proc.
func BootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// Tree is pid and every process below it, from /proc (at most 1024).
func Tree(root int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out) && i < 1024; i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// ReadTree sums RSS, CPU, open files and threads over root and its
// descendants (a master and its workers) and says how many processes it
// read. An error only when root itself cannot be read.
func ReadTree(root int) (sum Sample, n int, err error) {
	if _, err := Read(root); err != nil {
		return sum, 0, err
	}
	sum, n = ReadSum(Tree(root))
	return sum, n, nil
}

// ReadSum sums RSS, CPU, open files and threads over the processes of
// pids that can be read, and says how many were.
func ReadSum(pids []int) (sum Sample, n int) {
	for _, pid := range pids {
		s, err := Read(pid)
		if err != nil {
			continue
		}
		n++
		sum.RSS += s.RSS
		sum.CPU += s.CPU
		sum.FDs += s.FDs
		sum.Threads += s.Threads
		sum.RunWait += s.RunWait
		sum.At = s.At
	}
	return sum, n
}

// PinTree pins root and every process below it, each thread, to cpus.
func PinTree(root int, cpus ...int) error {
	for _, pid := range Tree(root) {
		if err := Pin(pid, cpus...); err != nil && pid == root {
			return err
		}
	}
	return nil
}

// Slab is the machine's kernel slab memory (/proc/meminfo's Slab), bytes:
// where the kernel keeps socket structures, which no process's RSS shows.
func Slab() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Slab:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("/proc/meminfo: unexpected Slab line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("/proc/meminfo has no Slab line")
}
