package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pushbench/pushbench/harness/netem"
	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/loadgen/proc"
	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
)

// network is what stands between the load generator and one server: a
// direct connection, the toxiproxy profile, the idle-closing proxy of
// the idle-close fault, or a real nginx or HAProxy.
type network struct {
	name, fault string
	base, raw   string // what clients dial
	toxi        *netem.Proxy
	idle        *netem.IdleProxy
	real        *netem.RealProxy
	fix         string // the profile's fix, for the record
	configRel   string // the proxy's config, relative to the output folder
}

func (r *Runner) startNetwork(sc scenarios.Scenario, srv *servers) (*network, error) {
	n := &network{name: r.cfg.Network.Name, base: srv.base, raw: srv.raw}
	scheme, host, _ := strings.Cut(srv.base, "://") // TLS passes through the TCP proxies untouched
	scheme += "://"
	ups := map[string]string{"http": host, "raw": srv.raw}
	profile := r.cfg.Network
	f := sc.Fault
	if profile.Real != nil && scheme == "https://" {
		return nil, fmt.Errorf("the %s network's proxy is configured for plaintext upstreams: run TLS variants with --network loopback or a toxiproxy profile", profile.Name)
	}
	if profile.Real != nil {
		return r.startRealNetwork(sc, srv, n, ups)
	}
	if f != nil {
		n.fault = describeFault(f)
		if f.Type == scenarios.FaultSlowReader || f.Type == scenarios.FaultRestart { // the clients or the server, not the network
			f = nil
		} else if !profile.Proxy { // faults need a proxy; with no conditions it is the baseline "proxy"
			profile = scenarios.Network{Name: "proxy", Proxy: true}
			n.name = profile.Name
		}
	}
	var err error
	switch {
	case f != nil && f.Type == scenarios.FaultIdleClose:
		if profile.Down != (scenarios.Direction{}) || profile.Up != (scenarios.Direction{}) {
			return nil, fmt.Errorf("the idle-close fault uses its own proxy: run it with --network loopback or proxy, not %s", profile.Name)
		}
		if n.idle, err = netem.StartIdleProxy(f.Idle.Duration, ups); err != nil {
			return nil, err
		}
		n.base, n.raw = scheme+n.idle.Addr("http"), n.idle.Addr("raw")
	case profile.Proxy:
		if n.toxi, err = netem.Start(profile, ups); err != nil {
			return nil, err
		}
		n.base, n.raw = scheme+n.toxi.Addr("http"), n.toxi.Addr("raw")
	}
	return n, nil
}

func describeFault(f *scenarios.Fault) string {
	switch f.Type {
	case scenarios.FaultReset:
		return "reset every " + f.Every.String()
	case scenarios.FaultStall:
		return fmt.Sprintf("stall %s every %s", f.For, f.Every)
	case scenarios.FaultIdleClose:
		return "proxy closes idle connections after " + f.Idle.String()
	case scenarios.FaultRestart:
		return "server killed and restarted every " + f.Every.String()
	case scenarios.FaultSlowReader:
		return fmt.Sprintf("%s%% of the clients take %s per message", strconv.FormatFloat(f.Fraction*100, 'g', 3, 64), f.Delay) // 0.5%, not 0%
	}
	return f.Type
}

// inject runs the periodic faults (reset, stall) until the returned stop
// is called (idempotent); errors go to report.
func (n *network) inject(ctx context.Context, f *scenarios.Fault, report func(error)) (stop func()) {
	if f == nil || n.toxi == nil || (f.Type != scenarios.FaultReset && f.Type != scenarios.FaultStall) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(f.Every.Duration)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var err error
			if f.Type == scenarios.FaultReset {
				err = n.toxi.ResetAll()
			} else if err = n.toxi.Stall(f.For.Duration); err == nil {
				err = sleepCtx(ctx, f.For.Duration)
				if uerr := n.toxi.Unstall(); uerr != nil {
					err = uerr
				}
			}
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				report(err)
				mu.Unlock()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// startRealNetwork puts the profile's nginx or HAProxy in front of srv,
// its config and log in the output folder's proxies/. A WebSocket server
// is probed with one upgrade through the proxy first, so that a refused
// upgrade is a named failure in the record rather than a count of client
// errors.
func (r *Runner) startRealNetwork(sc scenarios.Scenario, srv *servers, n *network, ups map[string]string) (*network, error) {
	rp := r.cfg.Network.Real
	cfg := netem.RealConfig{Kind: rp.Kind, Form: rp.Form, Template: rp.Config}
	if f := sc.Fault; f != nil {
		switch f.Type {
		case scenarios.FaultIdleClose:
			cfg.Idle = f.Idle.Duration
			n.fault = fmt.Sprintf("%s (%s) closes connections idle for %s (its timeouts set to it)", rp.Kind, rp.Form, f.Idle)
		case scenarios.FaultSlowReader, scenarios.FaultRestart:
			n.fault = describeFault(f)
		default:
			return nil, fmt.Errorf("the %s fault needs the embedded proxy (toxiproxy): run it with --network loopback or proxy, not %s", f.Type, r.cfg.Network.Name)
		}
	}
	tr := srv.args.Transport
	if tr == "" {
		tr = "server"
	}
	desc, _ := transports.Lookup(tr)
	cfg.Dir = uniqueDir(filepath.Join(r.store.Dir, "proxies", fmt.Sprintf("%s-%s-%s", sc.Name, tr, r.cfg.Network.Name)))
	p, err := netem.StartReal(cfg, ups)
	if err != nil {
		return nil, err
	}
	n.real, n.fix, n.configRel = p, rp.Fix, p.ConfigFile
	if f := rp.Fixes[tr]; f != "" {
		n.fix = f
	}
	if rel, err := filepath.Rel(r.store.Dir, p.ConfigFile); err == nil {
		n.configRel = rel
	}
	n.base = "http://" + p.Addr("http")
	if a := p.Addr("raw"); a != "" {
		n.raw = a
	} else if desc.NewServer != nil && desc.Path == "" { // its own port
		p.Close()
		return nil, fmt.Errorf("not proxied: %s (rawtcp would go direct; the record would not measure the proxy)", strings.Join(p.NotProxied, "; "))
	}
	var perr error
	switch {
	case desc.Upgrades:
		perr = probeUpgrade(srv, p, desc)
	case desc.EventSource:
		perr = probeStream(srv, p, desc)
	}
	if perr != nil {
		p.Close()
		return nil, perr
	}
	return n, nil
}

// probeUpgrade makes one WebSocket handshake directly and one through p:
// an upgrade the server accepts and the proxy does not is named, with the
// fix.
func probeUpgrade(srv *servers, p *netem.RealProxy, t transports.Transport) error {
	path := t.Path
	direct, _, err := netem.ProbeUpgrade(strings.TrimPrefix(srv.base, "http://"), path, 5*time.Second)
	if err != nil || !strings.Contains(direct, " 101 ") {
		return nil // the server itself does not upgrade here: let the clients say why
	}
	got, body, err := netem.ProbeUpgrade(p.Addr("http"), path, 5*time.Second)
	if err != nil {
		return fmt.Errorf("upgrade refused by proxy: %s %s gave no answer to a WebSocket upgrade the server accepts directly (%v); %s (config %s)", p.Kind, p.Form, err, p.UpgradeAdvice(), p.ConfigFile)
	}
	if !strings.Contains(got, " 101 ") {
		if body != "" {
			body = ", server said " + strconv.Quote(body)
		}
		return fmt.Errorf("upgrade refused by proxy: %s %s answered %q to a WebSocket upgrade the server accepts directly (101)%s; %s (config %s)", p.Kind, p.Form, got, body, p.UpgradeAdvice(), p.ConfigFile)
	}
	return nil
}

// probeStream opens the event stream directly and through p: a response
// the server starts at once and the proxy holds back is named, with the
// fix (the harness connects every client before it publishes, so a held
// stream would otherwise be a connect timeout).
func probeStream(srv *servers, p *netem.RealProxy, t transports.Transport) error {
	tr := t.Name
	if _, err := netem.ProbeFirstByte(strings.TrimPrefix(srv.base, "http://"), t.Path, time.Second); err != nil {
		return nil // the server itself is slow: let the clients say why
	}
	const wait = 3 * time.Second
	if _, err := netem.ProbeFirstByte(p.Addr("http"), t.Path, wait); err != nil {
		return fmt.Errorf("stream held by proxy: %s %s sent no byte of the %s stream (not even its headers) within %v, while the server sends its headers at once; %s (config %s)", p.Kind, p.Form, tr, wait, p.StreamAdvice(), p.ConfigFile)
	}
	return nil
}

// uniqueDir is base, or base-2, base-3... when it exists.
func uniqueDir(base string) string {
	d := base
	for i := 2; i < 10000; i++ {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			break
		}
		d = fmt.Sprintf("%s-%d", base, i)
	}
	return d
}

// proxyWatch measures a real proxy over one window; nil when there is
// none (its methods are nil-safe).
type proxyWatch struct {
	n  *network
	s0 proc.Sample
	t0 time.Time
}

// watchProxy starts measuring the real proxy's CPU for a window.
func (n *network) watchProxy() *proxyWatch {
	if n == nil || n.real == nil {
		return nil
	}
	s0, _ := n.real.Sample()
	return &proxyWatch{n: n, s0: s0, t0: time.Now()}
}

// fill writes the proxy's configuration and cost over the window into rec
// (after the window's delivery figures are in it).
func (w *proxyWatch) fill(rec *results.Record) {
	if w == nil {
		return
	}
	p := w.n.real
	s1, err := p.Sample()
	u := &results.ProxyUsage{Kind: p.Kind, Form: p.Form, Version: p.Version, ConfigFile: w.n.configRel, Config: p.Config,
		Fix: w.n.fix, IdleS: p.Idle.Seconds(), NotProxied: p.NotProxied, Processes: p.Processes(), RSSBase: p.Base().RSS}
	if err != nil || p.Exited() != nil {
		u.Exited = fmt.Sprint(p.Exited())
		rec.Proxy = u
		return
	}
	u.RSSBytes, u.FDs = s1.RSS, s1.FDs
	u.CPUSeconds = (s1.CPU - w.s0.CPU).Seconds()
	if el := time.Since(w.t0).Seconds(); el > 0 {
		u.CPUShare = u.CPUSeconds / el
		u.Cores = float64(max(1, min(s1.Threads, proc.CPUs())))
		u.Saturated = proxySaturation(p.Kind, u.CPUShare, max(0, (s1.RunWait-w.s0.RunWait).Seconds())/el, u.Cores)
		if u.Saturated != "" {
			rec.Notes = append(rec.Notes, "proxy saturated: "+u.Saturated+"; the figures measure the proxy as much as the transport")
		}
	}
	if c := rec.Params.Clients; c > 0 {
		u.RSSPerConn = float64(s1.RSS-u.RSSBase) / float64(c)
	}
	if d := rec.Delivery.Delivered; d > 0 {
		u.CPUPerMsgUs = u.CPUSeconds * 1e6 / float64(d)
	}
	rec.Proxy = u
}

// proxySaturation is the verdict on a proxy that used cpu and waited wait
// (in cores) of the cores it can use: saturated past the load generator's
// threshold on what it used, or on what it wanted.
func proxySaturation(kind string, cpu, wait, cores float64) string {
	switch {
	case cpu > loadgen.SaturatedAt*cores:
		return fmt.Sprintf("%s at %.0f%% of %g CPU", kind, 100*cpu/cores, cores)
	case cpu+wait > loadgen.SaturatedAt*cores:
		return fmt.Sprintf("%s starved: ran %.0f%% of %g CPU and waited %.0f%% more for one", kind, 100*cpu/cores, cores, 100*wait/cores)
	}
	return ""
}

// close stops the proxies; it may be called more than once.
func (n *network) close() {
	if n.toxi != nil {
		n.toxi.Close()
		n.toxi = nil
	}
	if n.idle != nil {
		n.idle.Close()
		n.idle = nil
	}
	if n.real != nil {
		n.real.Close() // idempotent; n.real stays for the records' figures
	}
}

// inProcess says whether a proxy runs inside the load generator's process
// (its CPU then counts against the load generator's).
func (n *network) inProcess() bool { return n.toxi != nil || n.idle != nil }
