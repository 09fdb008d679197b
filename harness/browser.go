package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/browser"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
)

// runBrowser measures a browser scenario on one transport: one record per
// protocol, each with a fresh server, page origin and Chromium (so no
// connection pool carries over), the streams in headless pages
// (loadgen/browser) instead of load-generator workers. Pacing stays the
// server's open-loop publisher; counting is loadgen's.
func (r *Runner) runBrowser(ctx context.Context, sc scenarios.Scenario, tr transports.Transport, rep int) {
	st := sc.Steps()[0]
	for _, proto := range sc.Browser.Protocols {
		rt := tr
		if proto == scenarios.HTTP2 {
			// The h2 variant's descriptor, so the record's name and facts
			// (Variant "h2") say what the browser spoke; WebSocket has none
			// (no RFC 8441 in gorilla), and browserStep says so.
			if v, err := transports.Lookup(facts.VariantName(tr.Name, facts.VariantH2)); err == nil {
				rt = v
			} else {
				rt.Name, rt.Base, rt.Variant = facts.VariantName(tr.Name, facts.VariantH2), tr.Name, facts.VariantH2
			}
		}
		rec := r.baseRecord(sc, st, rt, rep)
		rec.Client = results.ClientBrowser
		prog := newProgress(r.cfg.Log, r.cfg.Terminal, fmt.Sprintf("%s/%s rep %d", sc.Name, rec.Transport, rep))
		err := r.browserStep(ctx, sc, st, tr, proto, &rec, prog)
		switch {
		case err != nil && ctx.Err() != nil:
			rec.Interrupted = true
			rec.Notes = append(rec.Notes, fmt.Sprintf("interrupted (%v): this step's numbers are incomplete", err))
			r.add(rec)
			prog.stop()
			return
		case err != nil:
			rec.Error = err.Error()
			prog.logf("error: %v", err)
		}
		r.add(rec)
		prog.stop()
	}
}

// browserSide is the load-generator side of a browser step at one moment:
// Chromium's process tree (its pages parse the streams) and this process
// (which counts what the pages report).
type browserSide struct {
	chromium, self proc.Sample
	procs          int
}

func sampleBrowserSide(chromium int) browserSide {
	var s browserSide
	s.chromium, s.procs, _ = proc.ReadTree(chromium)
	s.self, _ = proc.Read(os.Getpid())
	return s
}

// browserUsage is the load-generator side's cost over a browser window:
// Chromium's tree and this process, against the machine's cores (Chromium
// is not pinned), with the saturation verdict on the CPU used. The
// run-queue wait is recorded but not judged: Chromium's hundred-odd threads
// wait on each other at once, so their summed wait overstates what the
// browser lacked (60% of 2 CPU used came with 80% waited on a machine with
// CPU to spare).
func browserUsage(s0, s1 browserSide, window time.Duration, cores float64, clients int) results.Resources {
	cpu := (s1.chromium.CPU - s0.chromium.CPU + s1.self.CPU - s0.self.CPU).Seconds()
	wait := (s1.chromium.RunWait - s0.chromium.RunWait + s1.self.RunWait - s0.self.RunWait).Seconds()
	res := results.Resources{CPUSeconds: cpu, RSSBytes: s1.chromium.RSS + s1.self.RSS, Cores: cores, Processes: s1.procs + 1,
		Threads: s1.chromium.Threads}
	if window > 0 && cores > 0 {
		res.CPUUtilization = cpu / window.Seconds() / cores
		res.RunWaitShare = max(0, wait) / window.Seconds() / cores
		if clients > 0 {
			res.CPUPerConnSecUs = cpu * 1e6 / float64(clients) / window.Seconds()
		}
	}
	if v := loadgen.Saturation(res.CPUUtilization, 0, cores); v != "" {
		res.Saturated = "Chromium and pushbench: " + v
	}
	return res
}

func (r *Runner) browserStep(ctx context.Context, sc scenarios.Scenario, st scenarios.Step, tr transports.Transport, proto string,
	rec *results.Record, prog *progress) error {
	if err := r.browserRefusal(sc, tr, proto); err != nil {
		return err
	}
	sess, err := browser.Listen()
	if err != nil {
		return err
	}
	defer sess.Close()
	prog.phase("starting the server")
	srv, err := r.startBrowserServer(ctx, sc, tr, proto, sess.Origin())
	if err != nil {
		return err
	}
	defer srv.stop()
	base := srv.base
	prog.phase("launching chromium")
	b, err := browser.Launch(ctx, browser.Config{IgnoreCertErrors: proto == scenarios.HTTP2})
	if err != nil {
		return err
	}
	defer b.Close()
	head, _, err := srv.status(ctx, false)
	if err != nil {
		return err
	}
	before := r.sampleAll(ctx, srv, true)
	var s0 samples
	var c0 browserSide
	prog.phase(fmt.Sprintf("%d tabs x %d streams over %s", sc.Browser.Tabs, sc.Browser.Streams, proto))
	out, err := browser.Measure(ctx, b, sess, browser.Measurement{
		Plan: browser.Plan{Transport: tr, Base: base, Tabs: sc.Browser.Tabs, Streams: sc.Browser.Streams, Since: head.Head,
			PollInterval: sc.PollInterval.Duration},
		Protocol: proto, OpenTimeout: sc.Browser.OpenTimeout.Duration,
		WarmUp: func(ctx context.Context) error {
			if sc.Warmup.Duration <= 0 {
				return nil
			}
			_, _, err := r.publish(ctx, srv, sc, st, sc.Warmup.Duration)
			return err
		},
		Head: func(ctx context.Context) (int64, error) {
			s0 = r.sampleAll(ctx, srv, false)
			c0 = sampleBrowserSide(b.PID())
			return s0.head, nil
		},
		Publish: func(ctx context.Context) (int64, int64, error) {
			return r.publish(ctx, srv, sc, st, sc.Duration.Duration)
		},
		Limit: windowLimit(sc, st),
		Drain: 10*time.Second + sc.Duration.Duration, Grace: time.Second,
	})
	if err != nil {
		return err
	}
	s1 := r.sampleAll(ctx, srv, false)
	self := browserUsage(c0, sampleBrowserSide(b.PID()), out.Elapsed, float64(proc.CPUs()), out.Window.Clients)
	fill(rec, fleetWindow{Window: out.Window, Self: self, Workers: self.Processes}, out.Published, out.Elapsed, before, s0, s1)
	rec.Browser = &out.Browser
	rec.Notes = append(rec.Notes, out.Notes...)
	rec.Notes = append(rec.Notes, fmt.Sprintf("browser-measured: %s, %d tabs x %d streams; receive times from the page's clock, less its offset from this process's (%+.0f µs, ±%.0f)",
		out.Browser.Version, out.Browser.Tabs, out.Browser.StreamsPerTab, out.Browser.ClockOffsetUs, out.Browser.ClockUncertaintyUs))
	return nil
}

// browserRefusal says why the browser scenario cannot run tr over proto in
// this run, or nil.
func (r *Runner) browserRefusal(sc scenarios.Scenario, tr transports.Transport, proto string) error {
	if len(r.cfg.Servers) > 0 {
		return fmt.Errorf("the %s scenario needs a server this run starts (its --cors names the pages' origin), not --server", sc.Name)
	}
	if r.cfg.Network.Name != "loopback" {
		return fmt.Errorf("the %s scenario runs browser to server on loopback only, not through network %q", sc.Name, r.cfg.Network.Name)
	}
	if _, err := browser.KindOf(tr); err != nil {
		return err
	}
	if proto == scenarios.HTTP2 && tr.Upgrades {
		return fmt.Errorf("%s over HTTP/2 (RFC 8441 extended CONNECT) is not in gorilla/websocket: not measured", tr.Name)
	}
	return nil
}

// startBrowserServer starts one serve child for the pages of origin: for
// h2 its own TLS listener (TLS 1.3, ALPN h2), as the h2 variant's clients
// reach it; for HTTP/1.1 its plaintext port.
func (r *Runner) startBrowserServer(ctx context.Context, sc scenarios.Scenario, tr transports.Transport, proto, origin string) (*servers, error) {
	a := serverArgs{Transport: tr.Name, Ring: sc.Ring, RingBytes: sc.RingBytes, GOMAXPROCS: r.srvProcs, CPU: r.srvCPU, Control: r.cfg.Control,
		Heartbeat: sc.Heartbeat.Duration, Hold: sc.HoldTimeout.Duration, Queue: sc.Queue, CORS: origin}
	if proto != scenarios.HTTP2 {
		return startServers(ctx, r.cfg.Binary, a, 1)
	}
	h2, err := transports.Lookup(facts.VariantName(tr.Name, facts.VariantH2))
	if err != nil {
		return nil, fmt.Errorf("%s has no HTTP/2 variant: %w", tr.Name, err)
	}
	srv, err := startTLSServers(ctx, r.cfg.Binary, a, 1, h2)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(srv.base, "https://") {
		srv.stop()
		return nil, fmt.Errorf("the server's TLS listener was not reported (base %s)", srv.base)
	}
	return srv, nil
}
