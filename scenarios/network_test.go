package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/scenarios"
)

func TestRealProxyProfiles(t *testing.T) {
	for _, name := range []string{"nginx-stock", "nginx-tuned", "haproxy-stock", "haproxy-tuned"} {
		n, err := scenarios.FindNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		if n.Real == nil || n.Proxy || !strings.HasPrefix(name, n.Real.Kind+"-") || !strings.HasSuffix(name, "-"+n.Real.Form) {
			t.Errorf("%s: real proxy %+v, proxy %v", name, n.Real, n.Proxy)
		}
		if n.Real.Form == "tuned" && (n.Real.Fix == "" || n.Real.Fixes["sse"] == "" || n.Real.Fixes["websocket"] == "") {
			t.Errorf("%s: a tuned form must say its fix", name)
		}
	}
	bad := map[string]string{
		`{"name":"x","real_proxy":{"kind":"squid","form":"stock"}}`:                       "kind",
		`{"name":"x","real_proxy":{"kind":"nginx","form":"fast"}}`:                        "form",
		`{"name":"x","real_proxy":{"kind":"nginx","form":"custom"}}`:                      "config",
		`{"name":"x","real_proxy":{"kind":"nginx","form":"stock","config":"a.conf"}}`:     "only for form",
		`{"name":"x","proxy":true,"real_proxy":{"kind":"haproxy","form":"stock"}}`:        "cannot be combined",
		`{"name":"x","real_proxy":{"kind":"nginx","form":"stock","listen":"0.0.0.0:80"}}`: "listen",
	}
	for src, want := range bad {
		if _, err := scenarios.ParseNetwork("x.json", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want one naming %q", src, err, want)
		}
	}
}

// A custom profile's config template is found beside the profile file.
func TestCustomProxyConfigIsRelativeToTheProfile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.json")
	os.WriteFile(p, []byte(`{"name":"mine","real_proxy":{"kind":"nginx","form":"custom","config":"mine.conf"}}`), 0o644)
	n, err := scenarios.FindNetwork(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "mine.conf"); n.Real.Config != want {
		t.Errorf("config %q, want %q", n.Real.Config, want)
	}
}
