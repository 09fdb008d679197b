// Package cutnet is a test helper: a loopback TCP proxy that can sever every
// connection through it at once, the way a server crash or a middlebox
// reset looks to a client.
package cutnet

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on loopback that can sever every connection through
// it at once, the way a server crash or a middlebox reset looks to a client.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// New starts a proxy on 127.0.0.1 forwarding to target; it stops at the
// end of the test.
func New(t testing.TB, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(func() {
		ln.Close()
		c.Cut()
		c.wg.Wait()
	})
	return c
}

// Addr is the address clients dial.
func (c *Proxy) Addr() string { return c.ln.Addr().String() }

func (c *Proxy) accept() {
	defer c.wg.Done()
	for {
		down, err := c.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", c.target, 5*time.Second)
		if err != nil {
			down.Close()
			continue
		}
		c.mu.Lock()
		c.conns[down], c.conns[up] = struct{}{}, struct{}{}
		c.mu.Unlock()
		c.wg.Add(2)
		go c.pipe(down, up)
		go c.pipe(up, down)
	}
}

func (c *Proxy) pipe(dst, src net.Conn) {
	defer c.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	c.mu.Lock()
	delete(c.conns, dst)
	delete(c.conns, src)
	c.mu.Unlock()
}

// Cut closes every open connection through the proxy.
func (c *Proxy) Cut() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn := range c.conns {
		conn.Close()
	}
	return len(c.conns) / 2
}
