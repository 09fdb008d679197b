package proc

import (
	"fmt"
	"syscall"
)

// RaiseFileLimit raises RLIMIT_NOFILE to at least want open files (soft and,
// when permitted, hard limit) and returns the soft limit now in force. It
// fails with a message naming the limit and the knob when it cannot.
func RaiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("failed to read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	next := lim
	next.Cur = want
	if next.Max < want {
		next.Max = want
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		// Not privileged: take what the hard limit allows.
		lim.Cur = lim.Max
		if err2 := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err2 != nil {
			return 0, fmt.Errorf("failed to raise RLIMIT_NOFILE: %w", err2)
		}
		return lim.Cur, fmt.Errorf("open-file limit is %d, %d wanted: raise the hard limit (ulimit -Hn, or fs.nr_open) or run as root: %w", lim.Cur, want, err)
	}
	return want, nil
}
