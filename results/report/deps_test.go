package report_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAptGet is an apt-get that records its arguments and "installs" a
// package by putting an executable of its name on the PATH.
const fakeAptGet = `#!/bin/sh
echo "$@" >> "$LOG"
[ "$1" = install ] || exit 0
for p in "$@"; do
  case "$p" in -*|install) ;; nodejs) printf '#!/bin/sh\n' > "$FAKEBIN/node"; $CHMOD +x "$FAKEBIN/node" ;; iproute2) printf '#!/bin/sh\n' > "$FAKEBIN/ip"; $CHMOD +x "$FAKEBIN/ip" ;; *) printf '#!/bin/sh\n' > "$FAKEBIN/$p"; $CHMOD +x "$FAKEBIN/$p" ;; esac
done
`

// makeSystemDeps runs "make system-deps" in the repository with a PATH
// holding only dir (no chromium, node or npm), as the given user id.
func makeSystemDeps(t *testing.T, dir, uid string, aptGet string) (string, error) {
	t.Helper()
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not installed")
	}
	cmd := exec.Command(mk, "-s", "-C", "../..", "system-deps", "UID_NOW="+uid, "APT_GET="+aptGet)
	chmod, err := exec.LookPath("chmod")
	if err != nil {
		t.Skip("chmod not found")
	}
	cmd.Env = []string{"PATH=" + dir, "LOG=" + filepath.Join(dir, "log"), "FAKEBIN=" + dir, "CHMOD=" + chmod, "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// On a machine without chromium (and node, npm), make test installs them
// with apt-get when running as root, and otherwise stops at once with the
// exact command to run.
func TestMakeTestInstallsWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	apt := filepath.Join(dir, "apt-get")
	if err := os.WriteFile(apt, []byte(fakeAptGet), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := makeSystemDeps(t, dir, "0", apt)
	if err != nil {
		t.Fatalf("as root, make system-deps failed: %v\n%s", err, out)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(log), "update") || !strings.Contains(string(log), "install -y -qq --no-install-recommends nodejs npm chromium iproute2 curl") {
		t.Errorf("apt-get was called with:\n%s\nwant update, then install of nodejs npm chromium iproute2 curl", log)
	}
	if !strings.Contains(out, "installing nodejs npm chromium iproute2 curl") {
		t.Errorf("make did not say what it installs:\n%s", out)
	}
	// Now everything is there: nothing more is installed.
	os.Remove(filepath.Join(dir, "log"))
	if out, err := makeSystemDeps(t, dir, "0", apt); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		t.Error("apt-get called although nothing was missing")
	}

	// Not root: stop with the command, install nothing.
	dir2 := t.TempDir()
	apt2 := filepath.Join(dir2, "apt-get")
	os.WriteFile(apt2, []byte(fakeAptGet), 0o755)
	out, err = makeSystemDeps(t, dir2, "1000", apt2)
	if err == nil {
		t.Fatalf("as a user without chromium, make system-deps succeeded:\n%s", out)
	}
	if !strings.Contains(out, "sudo apt-get update && sudo apt-get install -y nodejs npm chromium iproute2 curl") {
		t.Errorf("the failure does not give the exact command:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir2, "log")); err == nil {
		t.Error("apt-get called without root")
	}
}
