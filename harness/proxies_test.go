package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/harness/netem"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

func needProxies(t *testing.T) {
	t.Helper()
	for _, k := range scenarios.RealProxyKinds {
		if _, _, err := netem.LookupReal(k); err != nil {
			t.Skipf("skipping the real-proxy harness test: %v", err)
		}
	}
}

func profile(t *testing.T, name string) scenarios.Network {
	t.Helper()
	n, err := scenarios.FindNetwork(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// proxyProcesses lists live processes whose command line names dir (the
// proxies a run started write their config there).
func proxyProcesses(dir string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

const tinyBroadcast = `{"name":"px","kind":"broadcast","clients":[3],"rate":[20],"warmup":"200ms","duration":"1s","poll_interval":"50ms"}`

// TestStockNginxFailuresAreNamed: through stock nginx a WebSocket cannot
// upgrade and an SSE stream is held back; both records name the cause and
// the fix, a short poll works, the proxy's config is kept in the output
// folder, and no nginx outlives the run.
func TestStockNginxFailuresAreNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts stock nginx and runs whole steps through it")
	}
	needProxies(t)
	r, log := newRunner(t, []string{"shortpoll", "sse", "websocket"})
	r.cfg.Network = profile(t, "nginx-stock")
	if err := r.Run(context.Background(), []scenarios.Scenario{scenario(t, tinyBroadcast)}); err != nil {
		t.Fatal(err)
	}
	recs, err := results.Load(r.cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"websocket": {"upgrade refused by proxy", "forwards no Upgrade header", "proxy_set_header Upgrade $http_upgrade"},
		"sse":       {"stream held by proxy", "proxy_buffering", "fix: proxy_buffering off"},
	}
	for _, rec := range recs {
		if rec.Params.Network != "nginx-stock" {
			t.Errorf("%s: network %q", rec.Transport, rec.Params.Network)
		}
		if w, ok := want[rec.Transport]; ok {
			for _, s := range w {
				if !strings.Contains(rec.Error, s) {
					t.Errorf("%s error %q does not contain %q", rec.Transport, rec.Error, s)
				}
			}
			continue
		}
		if rec.Error != "" || rec.Delivery.Delivered == 0 || rec.Delivery.Lost != 0 {
			t.Errorf("%s through stock nginx: error %q, delivered %d, lost %d; log:\n%s", rec.Transport, rec.Error, rec.Delivery.Delivered, rec.Delivery.Lost, log)
		}
	}
	confs, _ := filepath.Glob(filepath.Join(r.cfg.Out, "proxies", "px-*-nginx-stock", "nginx.conf"))
	if len(confs) != 3 {
		t.Errorf("%d nginx configs kept in the output folder, want one per transport: %v", len(confs), confs)
	}
	if left := proxyProcesses(r.cfg.Out); len(left) > 0 {
		t.Errorf("proxies still running after the run: %v", left)
	}
}

// TestTunedProxiesCarryEveryTransport: every transport works through tuned
// nginx and tuned HAProxy with nothing lost, and the window's proxy
// figures (config, memory, CPU) are measured.
func TestTunedProxiesCarryEveryTransport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts tuned nginx and HAProxy and runs every transport through each (seconds)")
	}
	needProxies(t)
	trs := []string{"longpoll", "sse", "sse-lean", "websocket", "rawtcp"}
	for _, name := range []string{"nginx-tuned", "haproxy-tuned"} {
		recs := runOne(t, trs, profile(t, name), tinyBroadcast)
		if len(recs) != len(trs) {
			t.Errorf("%s: %d records for %d transports", name, len(recs), len(trs))
		}
		for tr, rec := range recs {
			if rec.Delivery.Delivered != rec.Delivery.Expected || rec.Delivery.Delivered == 0 {
				t.Errorf("%s %s: delivered %d of %d", name, tr, rec.Delivery.Delivered, rec.Delivery.Expected)
			}
		}
	}
}

// TestProxyWatchMeasuresTheProxy: watchProxy and fill record the config
// that ran and the proxy's own memory and CPU.
func TestProxyWatchMeasuresTheProxy(t *testing.T) {
	needProxies(t)
	r, _ := newRunner(t, []string{"sse"})
	r.cfg.Network = profile(t, "nginx-tuned")
	srv, err := startServers(context.Background(), serverBin, serverArgs{Transport: "sse", Ring: 100, CPU: -1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	sc := scenario(t, tinyBroadcast)
	n, err := r.startNetwork(sc, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	if !strings.HasPrefix(n.base, "http://127.0.0.1:") || n.base == srv.base || (srv.raw != "" && n.raw == srv.raw) {
		t.Fatalf("clients would dial %s and %s, not the proxy (server %s, %s)", n.base, n.raw, srv.base, srv.raw)
	}
	w := n.watchProxy()
	rec := results.Record{Params: results.Params{Clients: 1}}
	rec.Delivery.Delivered = 10
	w.fill(&rec)
	p := rec.Proxy
	if p == nil || p.Kind != "nginx" || p.Form != "tuned" || !strings.Contains(p.Config, "proxy_buffering off") || p.RSSBytes <= 0 || p.RSSBase <= 0 || p.Processes < 1 || p.Fix == "" {
		t.Fatalf("proxy usage %+v", p)
	}
	if p.Cores < 1 || p.Saturated != "" {
		t.Errorf("an idle proxy: %v cores, saturated %q", p.Cores, p.Saturated)
	}
	if _, err := os.Stat(filepath.Join(r.cfg.Out, p.ConfigFile)); err != nil {
		t.Errorf("config file %s not in the output folder: %v", p.ConfigFile, err)
	}
	var none *network
	none.watchProxy().fill(&rec) // no proxy: nil-safe
}

// The reset fault cannot act on a real proxy: refused, naming the way out.
func TestRealProxyRefusesToxiproxyFaults(t *testing.T) {
	r, _ := newRunner(t, []string{"sse"})
	r.cfg.Network = profile(t, "haproxy-stock")
	sc := scenario(t, `{"name":"f","kind":"broadcast","clients":[1],"rate":[1],"duration":"1s","fault":{"type":"reset","every":"1s"}}`)
	_, err := r.startNetwork(sc, &servers{base: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "--network loopback or proxy") {
		t.Errorf("err = %v", err)
	}
}

// TestProxySaturation: a proxy busy past 85% of the cores it can use, or
// wanting to be (waiting for a CPU), is saturated; one at half is not.
func TestProxySaturation(t *testing.T) {
	for _, tt := range []struct {
		cpu, wait, cores float64
		want             string
	}{
		{0.9, 0, 1, "nginx at 90% of 1 CPU"},
		{0.5, 0.5, 1, "starved"},
		{0.9, 0, 2, ""},
		{0.5, 0.1, 1, ""},
	} {
		got := proxySaturation("nginx", tt.cpu, tt.wait, tt.cores)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("cpu %v wait %v of %v cores: %q, want %q", tt.cpu, tt.wait, tt.cores, got, tt.want)
		}
	}
}
