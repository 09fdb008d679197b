package proc

import (
	"os"
	"testing"
	"time"
)

func TestReadSelf(t *testing.T) {
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn a little CPU so the second reading must be larger.
	deadline := time.Now().Add(30 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU <= before.CPU {
		t.Errorf("CPU did not grow: %v -> %v", before.CPU, after.CPU)
	}
	if after.RSS < 1<<20 || after.FDs < 3 || after.Threads < 1 {
		t.Errorf("implausible sample %+v", after)
	}
	if _, err := Read(1 << 30); err == nil {
		t.Error("reading a process that does not exist succeeded")
	}
}

func TestDescribe(t *testing.T) {
	m := Describe()
	if m.CPUs < 1 || m.GoVersion == "" || m.Kernel == "" || m.MemoryGiB <= 0 {
		t.Errorf("incomplete machine description %+v", m)
	}
}

func TestRaiseFileLimit(t *testing.T) {
	got, err := RaiseFileLimit(1024)
	if err != nil || got < 1024 {
		t.Errorf("RaiseFileLimit(1024) = %d, %v", got, err)
	}
}

// TestSlabReadsTheMachine: the machine's slab is read in bytes (any Linux
// keeps megabytes of it).
func TestSlabReadsTheMachine(t *testing.T) {
	b, err := Slab()
	if err != nil || b < 1<<20 || b%1024 != 0 {
		t.Errorf("Slab() = %d, %v: want at least 1 MiB, a whole number of KiB", b, err)
	}
}
