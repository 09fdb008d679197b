package netem

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// IdleProxy forwards connections on 127.0.0.1 and closes any connection
// with no bytes in either direction for Idle, as load balancers and NAT
// gateways do. (toxiproxy has no such toxic.) Safe for concurrent use.
type IdleProxy struct {
	idle  time.Duration
	lns   map[string]net.Listener
	mu    sync.Mutex
	pairs map[*pair]struct{}
	Cut   atomic.Int64 // connections closed for being idle
	done  chan struct{}
	wg    sync.WaitGroup
}

type pair struct {
	down, up net.Conn
	last     atomic.Int64 // unix nanos of the last byte either way
}

// StartIdleProxy proxies each upstream (name -> host:port, "" skipped).
func StartIdleProxy(idle time.Duration, upstreams map[string]string) (*IdleProxy, error) {
	p := &IdleProxy{idle: idle, lns: map[string]net.Listener{}, pairs: map[*pair]struct{}{}, done: make(chan struct{})}
	for name, up := range upstreams {
		if up == "" {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("failed to listen for the %s idle proxy: %w", name, err)
		}
		p.lns[name] = ln
		p.wg.Add(1)
		go p.accept(ln, up)
	}
	p.wg.Add(1)
	go p.janitor()
	return p, nil
}

// Addr is the address clients dial instead of the named upstream.
func (p *IdleProxy) Addr(name string) string {
	if ln, ok := p.lns[name]; ok {
		return ln.Addr().String()
	}
	return ""
}

func (p *IdleProxy) accept(ln net.Listener, upstream string) {
	defer p.wg.Done()
	for {
		down, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", upstream, 5*time.Second)
		if err != nil {
			down.Close()
			continue
		}
		pr := &pair{down: down, up: up}
		pr.last.Store(time.Now().UnixNano())
		p.mu.Lock()
		p.pairs[pr] = struct{}{}
		p.mu.Unlock()
		select {
		case <-p.done: // closing: Close may have missed this pair
			p.closePair(pr)
		default:
		}
		p.wg.Add(2)
		go p.pipe(pr, pr.up, pr.down)
		go p.pipe(pr, pr.down, pr.up)
	}
}

func (p *IdleProxy) pipe(pr *pair, dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			pr.last.Store(time.Now().UnixNano())
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	p.closePair(pr)
}

func (p *IdleProxy) closePair(pr *pair) {
	pr.down.Close()
	pr.up.Close()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

// janitor closes idle pairs, checking ten times per idle period.
func (p *IdleProxy) janitor() {
	defer p.wg.Done()
	tick := time.NewTicker(max(p.idle/10, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case now := <-tick.C:
			p.mu.Lock()
			var idle []*pair
			for pr := range p.pairs {
				if now.UnixNano()-pr.last.Load() >= int64(p.idle) {
					idle = append(idle, pr)
				}
			}
			p.mu.Unlock()
			for _, pr := range idle {
				p.Cut.Add(1)
				p.closePair(pr)
			}
		}
	}
}

// Close stops listening, closes every connection and waits.
func (p *IdleProxy) Close() {
	for _, ln := range p.lns {
		ln.Close()
	}
	close(p.done)
	p.mu.Lock()
	var all []*pair
	for pr := range p.pairs {
		all = append(all, pr)
	}
	p.mu.Unlock()
	for _, pr := range all {
		pr.down.Close()
		pr.up.Close()
	}
	p.wg.Wait()
}
