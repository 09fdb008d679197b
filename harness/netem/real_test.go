package netem_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/harness/netem"
)

// needReal skips when kind cannot be found: `make test` installs both
// proxies first, so this only happens outside it.
func needReal(t *testing.T, kind string) {
	t.Helper()
	if _, _, err := netem.LookupReal(kind); err != nil {
		t.Skipf("skipping the real-proxy calibration: %v", err)
	}
}

// pushServer serves /sse (one event every gap, n events, flushed each) and
// /ws (a WebSocket upgrade) on 127.0.0.1.
func pushServer(t *testing.T, n int, gap time.Duration) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for i := 1; i <= n; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			fmt.Fprintf(w, "id: %d\ndata: {\"seq\":%d,\"payload\":\"%s\"}\n\n", i, i, strings.Repeat("x", 64))
			w.(http.Flusher).Flush()
		}
	})
	up := gws.Upgrader{}
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Close()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

func startReal(t *testing.T, kind, form string, idle time.Duration, ups map[string]string) *netem.RealProxy {
	t.Helper()
	p, err := netem.StartReal(netem.RealConfig{Kind: kind, Form: form, Idle: idle, Dir: filepath.Join(t.TempDir(), kind+"-"+form)}, ups)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// arrivals reads the SSE stream at addr and returns when each event came,
// from the request's start, for at most limit.
func arrivals(t *testing.T, addr string, n int, limit time.Duration) []time.Duration {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(limit))
	fmt.Fprintf(c, "GET /sse HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr)
	br := bufio.NewReader(c)
	var out []time.Duration
	for len(out) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			break // deadline: what came is what came
		}
		if strings.HasPrefix(line, "data:") || strings.Contains(line, "data: {") {
			out = append(out, time.Since(start))
		}
	}
	return out
}

// clumped is the share of events that came within 5 ms of the one before
// (sent 50 ms apart, so a clump means something held them).
func clumped(a []time.Duration) float64 {
	if len(a) < 2 {
		return 0
	}
	n := 0
	for i := 1; i < len(a); i++ {
		if a[i]-a[i-1] < 5*time.Millisecond {
			n++
		}
	}
	return float64(n) / float64(len(a)-1)
}

// TestNginxStockBuffersSSE: through nginx's stock config (proxy_buffering
// on) a stream of small events arrives late and in clumps; through stock
// HAProxy (no http-no-delay) in clumps of up to 200 ms; through both tuned
// forms each event comes when it is sent.
func TestNginxStockBuffersSSE(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts nginx and HAProxy in four forms and streams SSE through each (seconds)")
	}
	needReal(t, "nginx")
	needReal(t, "haproxy")
	const n, gap = 20, 50 * time.Millisecond
	up := pushServer(t, n, gap)
	ups := map[string]string{"http": up}
	paths := map[string]string{"direct": up}
	for _, kf := range [][2]string{{"nginx", "stock"}, {"nginx", "tuned"}, {"haproxy", "stock"}, {"haproxy", "tuned"}} {
		paths[kf[0]+"-"+kf[1]] = startReal(t, kf[0], kf[1], 0, ups).Addr("http")
	}
	got := map[string][]time.Duration{}
	for name, addr := range paths {
		a := arrivals(t, addr, n, 5*time.Second)
		if len(a) != n {
			t.Fatalf("%s: %d of %d events arrived", name, len(a), n)
		}
		got[name] = a
		t.Logf("%-13s first event after %v, %.0f%% in clumps", name, a[0].Round(time.Millisecond), 100*clumped(a))
	}
	for name, a := range got {
		late := a[0] > got["direct"][0]+400*time.Millisecond
		clumps := clumped(a) >= 0.5
		switch name {
		case "nginx-stock": // proxy_buffering on: held until the response ends or a buffer fills
			if !late || !clumps {
				t.Errorf("nginx stock: first event after %v (direct %v), %.0f%% in clumps: want it held back by proxy_buffering", a[0], got["direct"][0], 100*clumped(a))
			}
		case "haproxy-stock": // no http-no-delay: sends with MSG_MORE, the kernel holds them up to 200 ms
			if !clumps {
				t.Errorf("haproxy stock: %.0f%% in clumps, want most events corked together (no option http-no-delay)", 100*clumped(a))
			}
		default:
			if late || clumps {
				t.Errorf("%s: first event after %v (direct %v), %.0f%% in clumps: want each event passed on as sent", name, a[0], got["direct"][0], 100*clumped(a))
			}
		}
	}
}

// TestNginxStockRefusesWebSocket: the upgrade the server accepts directly
// comes back refused through stock nginx, and the advice names the
// missing Upgrade handling and its fix; through tuned nginx and both
// HAProxy forms it succeeds.
func TestNginxStockRefusesWebSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts nginx and HAProxy in four forms")
	}
	needReal(t, "nginx")
	needReal(t, "haproxy")
	up := pushServer(t, 1, time.Millisecond)
	if st, _, err := netem.ProbeUpgrade(up, "/ws", 2*time.Second); err != nil || !strings.Contains(st, " 101 ") {
		t.Fatalf("direct upgrade: %q, %v", st, err)
	}
	ups := map[string]string{"http": up}
	stock := startReal(t, "nginx", "stock", 0, ups)
	st, body, err := netem.ProbeUpgrade(stock.Addr("http"), "/ws", 2*time.Second)
	if err != nil || strings.Contains(st, " 101 ") {
		t.Errorf("stock nginx upgrade: %q %q %v, want a refusal", st, body, err)
	}
	if adv := stock.UpgradeAdvice(); !strings.Contains(adv, "Upgrade header") || !strings.Contains(adv, "proxy_set_header Upgrade $http_upgrade") {
		t.Errorf("advice %q names neither the missing Upgrade header nor the fix", adv)
	}
	for _, kf := range [][2]string{{"nginx", "tuned"}, {"haproxy", "stock"}, {"haproxy", "tuned"}} {
		p := startReal(t, kf[0], kf[1], 0, ups)
		if st, body, err := netem.ProbeUpgrade(p.Addr("http"), "/ws", 2*time.Second); err != nil || !strings.Contains(st, " 101 ") {
			t.Errorf("%s %s upgrade: %q %q %v, want 101", kf[0], kf[1], st, body, err)
		}
	}
}

// TestRealProxyIdleTimeoutCutsSilentConnections: with the idle-close
// fault's timeout every form cuts a connection that carries nothing, on the
// HTTP and the TCP path, and the process is gone after Close.
func TestRealProxyIdleTimeoutCutsSilentConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts nginx and HAProxy in four forms and waits out their idle timeouts (seconds)")
	}
	needReal(t, "nginx")
	needReal(t, "haproxy")
	up := pushServer(t, 1, time.Hour) // headers, then silence
	raw := echo(t)
	for _, kf := range [][2]string{{"nginx", "stock"}, {"nginx", "tuned"}, {"haproxy", "stock"}, {"haproxy", "tuned"}} {
		p := startReal(t, kf[0], kf[1], 300*time.Millisecond, map[string]string{"http": up, "raw": raw})
		for _, name := range []string{"http", "raw"} {
			c, err := net.DialTimeout("tcp", p.Addr(name), 2*time.Second)
			if err != nil {
				t.Fatalf("%s %s %s: %v (log: %s)", kf[0], kf[1], name, err, p.LogTail(3))
			}
			if name == "http" {
				fmt.Fprintf(c, "GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(5 * time.Second))
			buf := make([]byte, 4096)
			var rerr error
			for rerr == nil {
				_, rerr = c.Read(buf)
			}
			c.Close()
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("%s %s %s: a silent connection lasted %v with a 300 ms idle timeout (%v)", kf[0], kf[1], name, took, rerr)
			}
		}
		p.Close()
		if p.Exited() == nil {
			t.Errorf("%s %s: still running after Close", kf[0], kf[1])
		}
	}
}

func TestRealProxyMissingTemplateNamesTheFile(t *testing.T) {
	needReal(t, "nginx")
	_, err := netem.StartReal(netem.RealConfig{Kind: "nginx", Form: "custom", Template: "/nonexistent/my-nginx.conf", Dir: t.TempDir()}, map[string]string{"http": "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/my-nginx.conf") {
		t.Errorf("err = %v, want one naming the template", err)
	}
}

// A custom template is rendered with the addresses and run as written.
func TestRealProxyCustomTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a real HAProxy")
	}
	needReal(t, "haproxy")
	up := pushServer(t, 3, 10*time.Millisecond)
	tmpl := filepath.Join(t.TempDir(), "mine.cfg")
	os.WriteFile(tmpl, []byte("defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nlisten mine\n  bind {{.Listen}}\n  server a {{.Upstream}}\n"), 0o644)
	p, err := netem.StartReal(netem.RealConfig{Kind: "haproxy", Form: "custom", Template: tmpl, Dir: filepath.Join(t.TempDir(), "px")}, map[string]string{"http": up})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.Contains(p.Config, "bind "+p.Addr("http")) {
		t.Errorf("config %q does not bind %s", p.Config, p.Addr("http"))
	}
	if a := arrivals(t, p.Addr("http"), 3, 3*time.Second); len(a) != 3 {
		t.Errorf("%d of 3 events through the custom config", len(a))
	}
}

// TestRealProxyDiesWithPushbench: a pushbench killed with SIGKILL (no
// deferred Close runs) takes its proxy with it (Pdeathsig).
func TestRealProxyDiesWithPushbench(t *testing.T) {
	if dir := os.Getenv("PUSHBENCH_NETEM_HELPER_DIR"); dir != "" { // the child: start a proxy, report its pid, wait to be killed
		p, err := netem.StartReal(netem.RealConfig{Kind: "haproxy", Form: "stock", Dir: dir}, map[string]string{"http": "127.0.0.1:9"})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("PID", p.PID())
		time.Sleep(20 * time.Second)
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("-short: starts a test process that starts a real HAProxy")
	}
	needReal(t, "haproxy")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRealProxyDiesWithPushbench$")
	cmd.Env = append(os.Environ(), "PUSHBENCH_NETEM_HELPER_DIR="+filepath.Join(t.TempDir(), "h"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "PID %d", &pid); err == nil {
			break
		}
		if strings.HasPrefix(sc.Text(), "ERR") {
			t.Fatal(sc.Text())
		}
	}
	if pid == 0 {
		t.Fatal("the helper reported no proxy pid")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("proxy %d not running in the helper: %v", pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") { // gone, or a zombie awaiting init
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL) // leave nothing behind
			t.Fatalf("proxy %d still running 3 s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
