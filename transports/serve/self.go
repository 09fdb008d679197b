package serve

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// readSelf fills st's own-process figures: CPU time from getrusage, the
// resident set from /proc/self/statm, open files from /proc/self/fd.
func readSelf(st *Status) error {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return fmt.Errorf("getrusage: %w", err)
	}
	st.CPUNs = ru.Utime.Nano() + ru.Stime.Nano()
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return err
	}
	f := bytes.Fields(statm)
	if len(f) < 2 {
		return fmt.Errorf("short /proc/self/statm %q", statm)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64) // resident
	if err != nil {
		return fmt.Errorf("/proc/self/statm: %w", err)
	}
	st.RSS = pages * int64(os.Getpagesize())
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	st.FDs = len(fds)
	return nil
}
