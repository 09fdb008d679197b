package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pushbench/pushbench/harness/netem"
	"github.com/pushbench/pushbench/scenarios"
)

// network is what stands between the load generator and one server: a
// direct connection, the toxiproxy profile, or the idle-closing proxy of
// the idle-close fault.
type network struct {
	name, fault string
	base, raw   string // what clients dial
	toxi        *netem.Proxy
	idle        *netem.IdleProxy
}

func (r *Runner) startNetwork(sc scenarios.Scenario, srv *servers) (*network, error) {
	n := &network{name: r.cfg.Network.Name, base: srv.base, raw: srv.raw}
	ups := map[string]string{"http": strings.TrimPrefix(srv.base, "http://"), "raw": srv.raw}
	profile := r.cfg.Network
	f := sc.Fault
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
		n.base, n.raw = "http://"+n.idle.Addr("http"), n.idle.Addr("raw")
	case profile.Proxy:
		if n.toxi, err = netem.Start(profile, ups); err != nil {
			return nil, err
		}
		n.base, n.raw = "http://"+n.toxi.Addr("http"), n.toxi.Addr("raw")
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
		return fmt.Sprintf("%.0f%% of the clients take %s per message", f.Fraction*100, f.Delay)
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
}

// inProcess says whether a proxy runs inside the load generator's process
// (its CPU then counts against the load generator's).
func (n *network) inProcess() bool { return n.toxi != nil || n.idle != nil }
