package report_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAptGet is an apt-get that records its arguments and "installs" a
// package by copying the files of $POOL/PACKAGE into $FAKEBIN, the only
// folder on the PATH; a package without a folder in the pool is unknown.
const fakeAptGet = `#!/bin/sh
echo "$@" >> "$LOG"
[ "$1" = install ] || exit 0
for p in "$@"; do
  case "$p" in -*|install) continue ;; esac
  [ -d "$POOL/$p" ] || { echo "E: Unable to locate package $p" >&2; exit 100; }
  $CP -R "$POOL/$p/." "$FAKEBIN/" || exit 100
done
`

// fakeNginx answers -v and -V like Debian's nginx (the stream module built
// as a dynamic module in $FAKEBIN/modules) and, for -t, fails as nginx
// does on a load_module whose file is missing or a stream block without
// the module.
const fakeNginx = `#!/bin/sh
case "$1" in
-v) echo "nginx version: nginx/1.22.1" >&2 ;;
-V) echo "nginx version: nginx/1.22.1" >&2
    echo "configure arguments: --prefix=/usr/share/nginx --modules-path=$FAKEBIN/modules --with-stream=dynamic --with-stream_ssl_module" >&2 ;;
-t) conf=""; while [ $# -gt 0 ]; do [ "$1" = -c ] && conf=$2; shift; done
    so=""
    while read -r kw arg; do
      case "$kw" in
      load_module) so=${arg%;}; [ -f "$so" ] || { echo "nginx: [emerg] dlopen() \"$so\" failed (No such file or directory)" >&2; exit 1; } ;;
      stream) [ -n "$so" ] || { echo "nginx: [emerg] unknown directive \"stream\"" >&2; exit 1; } ;;
      esac
    done < "$conf" ;;
*) exit 1 ;;
esac
`

// fakeSystem is a machine with nothing installed: a PATH of one folder
// holding apt-get (its pool of packages beside it) and the few commands
// the Makefile's checks run, and an apt-get log.
type fakeSystem struct {
	t                  *testing.T
	mk, dir, pool, log string
	env                []string
}

func newFakeSystem(t *testing.T) *fakeSystem {
	t.Helper()
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not installed")
	}
	dir, pool := t.TempDir(), t.TempDir()
	s := &fakeSystem{t: t, mk: mk, dir: dir, pool: pool, log: filepath.Join(dir, "log")}
	s.write(filepath.Join(dir, "apt-get"), fakeAptGet)
	for _, tool := range []string{"mktemp", "rm", "timeout", "tail"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not found", tool)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := exec.LookPath("cp")
	if err != nil {
		t.Skip("cp not found")
	}
	stub := "#!/bin/sh\n"
	for pkg, files := range map[string]map[string]string{
		"nodejs": {"node": stub}, "npm": {"npm": stub}, "chromium": {"chromium": stub},
		"iproute2": {"ip": stub}, "curl": {"curl": stub}, "haproxy": {"haproxy": stub},
		"nginx": {"nginx": fakeNginx}, "libnginx-mod-stream": {"modules/ngx_stream_module.so": ""},
		"libnginx-mod-nchan": {"modules/ngx_nchan_module.so": ""},
		"python3-tornado":    {"python3": stub}, "php8.2-fpm": {"php-fpm8.2": stub},
		"openjdk-17-jdk-headless": {"javac": stub}, "libjetty9-java": {"jetty9-servlet.jar": ""},
		"libjetty9-extra-java": {"jetty9-websocket-servlet.jar": ""}, "libnetty-java": {"netty-codec-http.jar": ""},
		"libspring-web-servlet-java": {"spring3-web.servlet.jar": ""},
	} {
		for name, body := range files {
			s.write(filepath.Join(pool, pkg, name), body)
		}
	}
	s.env = []string{"PATH=" + dir, "LOG=" + s.log, "FAKEBIN=" + dir, "POOL=" + pool, "CP=" + cp, "HOME=" + dir}
	return s
}

func (s *fakeSystem) write(path, body string) {
	s.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// make runs "make -s target" in the repository on this system as uid, and
// returns its output and the apt-get calls it made (the log is reset).
func (s *fakeSystem) make(target, uid string) (out string, aptCalls []string, err error) {
	s.t.Helper()
	cmd := exec.Command(s.mk, "-s", "-C", "../..", target, "UID_NOW="+uid, "APT_GET="+filepath.Join(s.dir, "apt-get"), "SBIN_PATH=",
		"DEBIAN_PYTHON=python3", "JAVA_SHARE="+s.dir)
	cmd.Env = s.env
	b, err := cmd.CombinedOutput()
	log, _ := os.ReadFile(s.log)
	os.Remove(s.log)
	if l := strings.TrimSpace(string(log)); l != "" {
		aptCalls = strings.Split(l, "\n")
	}
	return string(b), aptCalls, err
}

// installs are the apt-get install calls among calls.
func installs(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "install ") {
			out = append(out, c)
		}
	}
	return out
}

// On a machine without chromium (and node, npm), make test installs them
// with apt-get when running as root, and otherwise stops at once with the
// exact command to run.
func TestMakeTestInstallsWhatIsMissing(t *testing.T) {
	s := newFakeSystem(t)
	out, calls, err := s.make("system-deps", "0")
	if err != nil {
		t.Fatalf("as root, make system-deps failed: %v\n%s", err, out)
	}
	if len(calls) != 2 || calls[0] != "update -qq" || calls[1] != "install -y -qq --no-install-recommends nodejs npm chromium iproute2 curl" {
		t.Errorf("apt-get was called with:\n%s\nwant update, then one install of nodejs npm chromium iproute2 curl", strings.Join(calls, "\n"))
	}
	if !strings.Contains(out, "installing nodejs npm chromium iproute2 curl") {
		t.Errorf("make did not say what it installs:\n%s", out)
	}
	// Now everything is there: nothing more is installed.
	if out, calls, err := s.make("system-deps", "0"); err != nil || len(calls) != 0 {
		t.Errorf("second run: %v, apt-get calls %q\n%s", err, calls, out)
	}

	// Not root: stop with the command, install nothing.
	s2 := newFakeSystem(t)
	out, calls, err = s2.make("system-deps", "1000")
	if err == nil {
		t.Fatalf("as a user without chromium, make system-deps succeeded:\n%s", out)
	}
	if !strings.Contains(out, "sudo apt-get update && sudo apt-get install -y nodejs npm chromium iproute2 curl") {
		t.Errorf("the failure does not give the exact command:\n%s", out)
	}
	if len(calls) != 0 {
		t.Errorf("apt-get called without root: %q", calls)
	}
}

// A chromium that is on the PATH but does not start counts as missing:
// the check is what the tests need, not the binary.
func TestMakeChecksThatChromiumStarts(t *testing.T) {
	s := newFakeSystem(t)
	for _, tool := range []string{"node", "npm", "ip", "curl"} {
		s.write(filepath.Join(s.dir, tool), "#!/bin/sh\n")
	}
	s.write(filepath.Join(s.dir, "chromium"), "#!/bin/sh\necho 'error while loading shared libraries: libnss3.so' >&2\nexit 127\n")
	out, calls, err := s.make("system-deps", "0")
	if err != nil {
		t.Fatalf("make system-deps: %v\n%s", err, out)
	}
	if got := installs(calls); len(got) != 1 || got[0] != "install -y -qq --no-install-recommends chromium" {
		t.Errorf("apt-get installs %q, want chromium alone", got)
	}
	if !strings.Contains(out, "failed checks: chromium") {
		t.Errorf("make does not say which check failed:\n%s", out)
	}
}

// The proxies: nginx must load its stream module (Debian ships it apart),
// so a fresh machine gets nginx, libnginx-mod-stream and haproxy in one
// install; a machine whose stream module was removed gets it back; and
// an install after which nginx still cannot load it fails naming the
// command and nginx's own error.
func TestMakeProxiesChecksTheStreamModule(t *testing.T) {
	s := newFakeSystem(t)
	out, calls, err := s.make("proxies", "0")
	if err != nil {
		t.Fatalf("fresh machine, make proxies: %v\n%s", err, out)
	}
	if got := installs(calls); len(got) != 1 || got[0] != "install -y -qq --no-install-recommends nginx libnginx-mod-stream haproxy" {
		t.Errorf("fresh machine: apt-get installs %q, want one install of nginx libnginx-mod-stream haproxy", got)
	}
	if out, calls, err := s.make("proxies", "0"); err != nil || len(calls) != 0 {
		t.Errorf("second run: %v, apt-get calls %q\n%s", err, calls, out)
	}

	// apt-get remove libnginx-mod-stream: nginx is still there.
	module := filepath.Join(s.dir, "modules", "ngx_stream_module.so")
	if err := os.Remove(module); err != nil {
		t.Fatal(err)
	}
	out, calls, err = s.make("proxies", "0")
	if err != nil {
		t.Fatalf("module removed, make proxies: %v\n%s", err, out)
	}
	if got := installs(calls); len(got) != 1 || got[0] != "install -y -qq --no-install-recommends libnginx-mod-stream" {
		t.Errorf("module removed: apt-get installs %q, want libnginx-mod-stream alone", got)
	}
	if _, err := os.Stat(module); err != nil {
		t.Errorf("module not back: %v", err)
	}

	// A package that installs but does not give nginx the module.
	os.Remove(module)
	os.RemoveAll(filepath.Join(s.pool, "libnginx-mod-stream", "modules"))
	out, _, err = s.make("proxies", "0")
	if err == nil {
		t.Fatalf("the module still missing after the install, make proxies succeeded:\n%s", out)
	}
	for _, want := range []string{
		"check nginx_stream still fails after installing libnginx-mod-stream",
		`dlopen() "` + module + `" failed`,
		"apt-get update && apt-get install -y --reinstall libnginx-mod-stream",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure lacks %q:\n%s", want, out)
		}
	}

	// Not root: the exact command, nothing installed.
	out, calls, err = newFakeSystem(t).make("proxies", "1000")
	if err == nil || !strings.Contains(out, "sudo apt-get update && sudo apt-get install -y nginx libnginx-mod-stream haproxy") || len(calls) != 0 {
		t.Errorf("not root: %v, apt-get calls %q, want the exact command:\n%s", err, calls, out)
	}
}

// make test's dependencies are checked together and installed with a
// single apt-get install.
func TestMakeTestDepsInstallInOnePass(t *testing.T) {
	s := newFakeSystem(t)
	out, calls, err := s.make("test-deps", "0")
	if err != nil {
		t.Fatalf("make test-deps: %v\n%s", err, out)
	}
	want := "install -y -qq --no-install-recommends nodejs npm chromium iproute2 curl nginx libnginx-mod-stream haproxy libnginx-mod-nchan python3-tornado php8.2-fpm" +
		" openjdk-17-jdk-headless libjetty9-java libjetty9-extra-java libnetty-java libspring-web-servlet-java"
	if got := installs(calls); len(got) != 1 || got[0] != want {
		t.Errorf("apt-get installs %q, want one %q", got, want)
	}
	if out, calls, err := s.make("test-deps", "0"); err != nil || len(calls) != 0 {
		t.Errorf("second run: %v, apt-get calls %q\n%s", err, calls, out)
	}
}
