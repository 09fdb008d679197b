// Package netem puts network conditions between the load generator and the
// server without the kernel's netem qdisc (not available here): an embedded
// github.com/Shopify/toxiproxy/v2 proxy per server port, with the profile's
// latency, jitter and bandwidth toxics in each direction. It listens on
// 127.0.0.1 only.
//
// toxiproxy does not delay the TCP handshake, applies toxics per chunk of a
// connection rather than per packet, and adds a socket pair, goroutines and
// a copy per connection. So every profile is compared with "proxy", the
// same proxy with no toxics, measured the same way.
package netem

import (
	"context"
	"fmt"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pushbench/pushbench/scenarios"
)

func init() {
	// Some toxiproxy code paths log through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.Disabled)
}

// Proxy is a running set of proxies for one server. Close it when done.
type Proxy struct {
	server  *toxiproxy.ApiServer
	proxies map[string]*toxiproxy.Proxy
}

// Start proxies each upstream (name -> host:port) through a listener on
// 127.0.0.1 with the profile's toxics. Upstreams with an empty address are
// skipped.
func Start(profile scenarios.Network, upstreams map[string]string) (*Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := &Proxy{server: srv, proxies: map[string]*toxiproxy.Proxy{}}
	for name, up := range upstreams {
		if up == "" {
			continue
		}
		px := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", up)
		if err := srv.Collection.Add(px, true); err != nil {
			p.Close()
			return nil, fmt.Errorf("failed to start the %s proxy to %s: %w", name, up, err)
		}
		if err := addToxics(px, profile); err != nil {
			p.Close()
			return nil, err
		}
		p.proxies[name] = px
	}
	return p, nil
}

func addToxics(px *toxiproxy.Proxy, profile scenarios.Network) error {
	for stream, d := range map[string]scenarios.Direction{"downstream": profile.Down, "upstream": profile.Up} {
		var toxics []string
		if d.LatencyMs > 0 {
			toxics = append(toxics, fmt.Sprintf(`{"name":"latency_%s","type":"latency","stream":%q,"toxicity":1,"attributes":{"latency":%d,"jitter":%d}}`, stream, stream, d.LatencyMs, d.JitterMs))
		}
		if d.BandwidthKBps > 0 {
			toxics = append(toxics, fmt.Sprintf(`{"name":"bandwidth_%s","type":"bandwidth","stream":%q,"toxicity":1,"attributes":{"rate":%d}}`, stream, stream, d.BandwidthKBps))
		}
		for _, t := range toxics {
			if _, err := px.Toxics.AddToxicJson(strings.NewReader(t)); err != nil {
				return fmt.Errorf("failed to add toxic %s: %w", t, err)
			}
		}
	}
	return nil
}

// AddToxic adds a toxic, as toxiproxy's JSON, to the named proxy (fault
// injection).
func (p *Proxy) AddToxic(name, toxicJSON string) error {
	px, ok := p.proxies[name]
	if !ok {
		return fmt.Errorf("no proxy named %q", name)
	}
	_, err := px.Toxics.AddToxicJson(strings.NewReader(toxicJSON))
	return err
}

// Addr is the address clients dial instead of the named upstream ("" when
// it was not proxied).
func (p *Proxy) Addr(name string) string {
	if px, ok := p.proxies[name]; ok {
		return px.Listen
	}
	return ""
}

// Close stops every proxy and closes their connections.
func (p *Proxy) Close() {
	_ = p.server.Collection.Clear()
}

// ResetAll closes every connection through every proxy, the way a crashed
// middlebox or a network change does: each proxy is stopped (its
// connections closed) and started again on the same address, so
// connection attempts in that instant are refused.
func (p *Proxy) ResetAll() error {
	for name, px := range p.proxies {
		px.Stop()
		if err := px.Start(); err != nil {
			return fmt.Errorf("failed to restart the %s proxy: %w", name, err)
		}
	}
	return nil
}

// Stall makes data silently stop flowing to clients through every proxy
// (toxiproxy's timeout toxic: after d the stalled connections are closed)
// until Unstall.
func (p *Proxy) Stall(d time.Duration) error {
	t := fmt.Sprintf(`{"name":"stall","type":"timeout","stream":"downstream","toxicity":1,"attributes":{"timeout":%d}}`, d.Milliseconds())
	for name := range p.proxies {
		if err := p.AddToxic(name, t); err != nil {
			return err
		}
	}
	return nil
}

// Unstall removes the stall.
func (p *Proxy) Unstall() error {
	for name, px := range p.proxies {
		if err := px.Toxics.RemoveToxic(context.Background(), "stall"); err != nil {
			return fmt.Errorf("failed to end the stall on %s: %w", name, err)
		}
	}
	return nil
}
