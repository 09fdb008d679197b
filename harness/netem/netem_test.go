package netem_test

import (
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/harness/netem"
	"github.com/pushbench/pushbench/scenarios"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// echo serves one echo connection at a time until the listener closes.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.Copy(c, c)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func roundTrip(t *testing.T, addr string) time.Duration {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1)
	best := time.Hour
	for i := 0; i < 5; i++ {
		start := time.Now()
		if _, err := c.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

func TestProfilesDelayEachDirection(t *testing.T) {
	up := echo(t)
	base, err := netem.Start(scenarios.Network{Name: "proxy", Proxy: true}, map[string]string{"http": up})
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	slow, err := netem.Start(scenarios.Network{Name: "test", Proxy: true,
		Down: scenarios.Direction{LatencyMs: 30}, Up: scenarios.Direction{LatencyMs: 20}}, map[string]string{"http": up, "raw": ""})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if slow.Addr("raw") != "" {
		t.Error("an empty upstream got a proxy")
	}
	b, s := roundTrip(t, base.Addr("http")), roundTrip(t, slow.Addr("http"))
	// The toxics sleep 30 + 20 ms; a round trip cannot be faster, and on
	// an idle loopback it should not be much slower.
	if s < 50*time.Millisecond || s > 50*time.Millisecond+b+30*time.Millisecond {
		t.Errorf("round trip with 30+20 ms toxics = %v (baseline %v), want 50 ms plus the baseline", s, b)
	}
	if b > 20*time.Millisecond {
		t.Errorf("zero-toxic baseline round trip %v: the proxy alone should add little", b)
	}
}

func TestBuiltinProfiles(t *testing.T) {
	all, err := scenarios.Networks()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range all {
		names = append(names, n.Name)
	}
	want := "haproxy-stock haproxy-tuned lan loopback mobile nginx-stock nginx-tuned proxy satellite wan"
	if got := join(names); got != want {
		t.Errorf("profiles %q, want %q", got, want)
	}
	if _, err := scenarios.FindNetwork("dialup"); err == nil {
		t.Error("unknown profile accepted")
	}
	if _, err := scenarios.ParseNetwork("x.json", []byte(`{"name":"x","proxy":false,"down":{"latency_ms":5}}`)); err == nil {
		t.Error("conditions without a proxy accepted")
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}

func TestIdleProxyClosesOnlyIdleConnections(t *testing.T) {
	up := echo(t)
	p, err := netem.StartIdleProxy(300*time.Millisecond, map[string]string{"http": up})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	busy, err := net.Dial("tcp", p.Addr("http"))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	idle, err := net.Dial("tcp", p.Addr("http"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	// The busy connection talks every 100 ms for a second; the idle one
	// must be closed by the proxy meanwhile.
	buf := make([]byte, 1)
	start := time.Now()
	for time.Since(start) < time.Second {
		busy.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := busy.Write([]byte{'x'}); err != nil {
			t.Fatalf("busy connection closed: %v", err)
		}
		if _, err := io.ReadFull(busy, buf); err != nil {
			t.Fatalf("busy connection closed: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // the traffic pattern under test, not synchronisation
	}
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(buf); err != io.EOF {
		t.Errorf("idle connection read = %v, want EOF from the proxy closing it", err)
	}
	if p.Cut.Load() != 1 {
		t.Errorf("cut %d connections, want 1", p.Cut.Load())
	}
}
