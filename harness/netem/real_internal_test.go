package netem

import (
	"net"
	"strings"
	"testing"
	"time"
)

// An nginx without the stream module proxies HTTP and leaves the raw
// upstream direct, saying why (the harness then reports rawtcp as not
// proxied rather than measuring a direct path under the proxy's name).
func TestNginxWithoutStreamLeavesRawDirect(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a real nginx")
	}
	bi := lookup("nginx")
	if bi.err != nil {
		t.Skipf("skipping: %v", bi.err)
	}
	noStream := *bi
	noStream.streamLoad, noStream.noStream = "", "this nginx has no stream module (test)"
	p, err := startReal(RealConfig{Kind: "nginx", Form: "tuned", Dir: t.TempDir()}, &noStream,
		map[string]string{"http": "127.0.0.1:9", "raw": "127.0.0.1:10"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Addr("http") == "" || p.Addr("raw") != "" || len(p.NotProxied) != 1 || !strings.Contains(p.NotProxied[0], "no stream module") {
		t.Errorf("http %q raw %q not proxied %v", p.Addr("http"), p.Addr("raw"), p.NotProxied)
	}
	if strings.Contains(p.Config, "stream {") {
		t.Errorf("config has a stream block without the module:\n%s", p.Config)
	}
}

// A port someone else listens on is not taken for the proxy's.
func TestWaitReadyWantsTheProxysOwnListener(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a real HAProxy")
	}
	bi := lookup("haproxy")
	if bi.err != nil {
		t.Skipf("skipping: %v", bi.err)
	}
	p, err := startReal(RealConfig{Kind: "haproxy", Form: "stock", Dir: t.TempDir()}, bi, map[string]string{"http": "127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.waitReady(time.Second); err != nil {
		t.Fatalf("its own listener: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p.addrs["other"] = ln.Addr().String()
	if err := p.waitReady(200 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not listen on "+ln.Addr().String()) {
		t.Errorf("a foreign listener: err %v", err)
	}
}
