package harness

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports/controlplane"
)

// hosts is a test network of its own: a bridge in this namespace and one
// network namespace per host, each joined to the bridge by a veth pair,
// with addresses from 198.18.0.0/15 (set aside for benchmarking, RFC 2544)
// that exist only on those veths. Everything is removed at the test's end.
type hosts struct {
	t      *testing.T
	prefix string // 198.18.N.
	bridge string
	names  []string
	// control is the run's token, handed to every process in the
	// namespaces: off loopback they refuse to start without one.
	control controlplane.Client
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func newHosts(t *testing.T, n int) *hosts {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root: this test runs in CI (as root) and under sudo")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not found: apt-get install iproute2 (make test installs it as root)")
	}
	id := os.Getpid() % 200
	h := &hosts{t: t, prefix: fmt.Sprintf("198.18.%d.", 20+id), bridge: fmt.Sprintf("pbbr%d", id)}
	tok, err := controlplane.ParseToken(rand.Text() + rand.Text())
	if err != nil {
		t.Fatal(err)
	}
	h.control.Token = tok
	t.Cleanup(h.remove)
	ip(t, "link", "add", h.bridge, "type", "bridge")
	ip(t, "addr", "add", h.prefix+"1/24", "dev", h.bridge)
	ip(t, "link", "set", h.bridge, "up")
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("pb%dh%d", id, i)
		outer, inner := fmt.Sprintf("pb%dv%d", id, i), fmt.Sprintf("pb%de%d", id, i)
		ip(t, "netns", "add", ns)
		h.names = append(h.names, ns)
		ip(t, "link", "add", outer, "type", "veth", "peer", "name", inner)
		ip(t, "link", "set", inner, "netns", ns)
		ip(t, "link", "set", outer, "master", h.bridge, "up")
		ip(t, "-n", ns, "addr", "add", h.addr(i)+"/24", "dev", inner)
		ip(t, "-n", ns, "link", "set", inner, "up")
		ip(t, "-n", ns, "link", "set", "lo", "up")
	}
	return h
}

// addr is host i's address.
func (h *hosts) addr(i int) string { return fmt.Sprintf("%s%d", h.prefix, 2+i) }

func (h *hosts) remove() {
	for _, ns := range h.names {
		_ = exec.Command("ip", "netns", "del", ns).Run() // its veth ends go with it
	}
	_ = exec.Command("ip", "link", "del", h.bridge).Run()
}

// start runs pushbench args inside host i and waits for its READY line.
func (h *hosts) start(i int, args ...string) *child {
	h.t.Helper()
	c, err := startChild(context.Background(), "ip", append([]string{"netns", "exec", h.names[i], serverBin}, args...), h.control.Env(), 15*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.stop)
	return c
}

// TestAcrossHosts runs the server in one network namespace and two
// load-generator workers in two others, driven by a coordinator outside
// them all, over veth addresses only this test made: the record is the same
// as a local run's, every message delivered once.
func TestAcrossHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: creates network namespaces and runs server and workers in them for a whole step")
	}
	h := newHosts(t, 3)
	net := h.prefix + "0/24"
	srv := h.start(0, "serve", "--control", "--allow-remote-control", "--transports", "websocket,sse-lean",
		"--addr", h.addr(0)+":8080", "--raw-addr", h.addr(0)+":8081", "--control-addr", h.addr(0)+":8082")
	var ready struct{ Control string }
	if err := json.Unmarshal([]byte(srv.ready), &ready); err != nil || ready.Control != "http://"+h.addr(0)+":8082" {
		t.Fatalf("server READY %q (%v)", srv.ready, err)
	}
	if resp, err := (controlplane.Client{}).HTTP(1).Get(ready.Control + "/control/status"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the server's control API off loopback without a token: %v %v, want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	var workers []string
	for i := 1; i <= 2; i++ {
		w := h.start(i, "worker", "--listen", h.addr(i)+":7070", "--allow-remote-control", "--allow-target", net)
		var r struct{ Addr string }
		if err := json.Unmarshal([]byte(w.ready), &r); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, r.Addr)
	}
	r, log := newRunner(t, []string{"websocket", "sse-lean"})
	r.cfg.Servers, r.cfg.WorkerAddrs, r.cfg.Control = []string{ready.Control}, workers, h.control
	sc := scenario(t, `{"name":"hosts","kind":"broadcast","clients":[20],"rate":[50],"warmup":"300ms","duration":"1s","connect_rate":500}`)
	for _, rec := range runAll(t, r, log, sc, 2) {
		d := rec.Delivery
		t.Logf("%s across hosts: published %d, delivered %d to %d clients on %d workers, p50 %d µs, p99 %d µs, server RSS %d MiB",
			rec.Transport, d.Published, d.Delivered, rec.Params.Clients, rec.Loadgen.Processes, rec.Latency.P50, rec.Latency.P99, rec.Server.RSSBytes>>20)
		checkEveryMessageOnce(t, rec, 40, 20)
		if rec.Loadgen.Processes != 2 || rec.Loadgen.CPUSeconds <= 0 {
			t.Errorf("%s: %d workers reported (cpu %v s), want both", rec.Transport, rec.Loadgen.Processes, rec.Loadgen.CPUSeconds)
		}
		if rec.Server.RSSBytes == 0 {
			t.Errorf("%s: the server's /proc was not read, though it runs on this kernel", rec.Transport)
		}
	}
}
