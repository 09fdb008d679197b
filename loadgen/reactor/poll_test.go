package reactor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/loadgen/reactor"
	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/poll"
	"github.com/pushbench/pushbench/transports/wire"
)

// pollOwner is an owner that also takes a poll client's reports.
type pollOwner struct {
	*owner
	connected, polled, empty int
	answered                 chan struct{} // a token per Polled
}

func (o *pollOwner) Connected() { o.mu.Lock(); o.connected++; o.mu.Unlock() }
func (o *pollOwner) Polled() {
	o.mu.Lock()
	o.polled++
	o.mu.Unlock()
	select {
	case o.answered <- struct{}{}:
	default: // never block the loop
	}
}
func (o *pollOwner) Empty() { o.mu.Lock(); o.empty++; o.mu.Unlock() }

// pollPeer is the server end of a held poll connection.
type pollPeer struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// request reads one request and returns its first line.
func (p *pollPeer) request() string {
	p.t.Helper()
	if err := p.c.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		p.t.Fatal(err)
	}
	var first string
	for {
		line, err := p.br.ReadString('\n')
		if err != nil {
			p.t.Fatalf("reading a request: %v", err)
		}
		if first == "" {
			first = line
		}
		if line == "\r\n" {
			return strings.TrimSpace(first)
		}
	}
}

func (p *pollPeer) write(parts ...string) {
	p.t.Helper()
	for _, s := range parts {
		if _, err := p.c.Write([]byte(s)); err != nil {
			p.t.Fatal(err)
		}
	}
}

func answerOf(seqs ...int64) string {
	var objs []string
	for _, s := range seqs {
		objs = append(objs, string(wire.AppendMessageJSON(nil, s, 1000+s, "p")))
	}
	return "[" + strings.Join(objs, ",") + "]"
}

// TestReactorRunsAPollClient: the reactor writes a held poll connection's
// requests, each after the answer to the last (sized, then chunked, each
// arriving in pieces), with the cursor the answers advanced; the messages
// reach the owner in order, with the poll reports and the bytes written;
// a server that closes the kept-alive connection ends it for the poller
// to replace.
func TestReactorRunsAPollClient(t *testing.T) {
	_, peer, o, stop := heldPoll(t, time.Millisecond)
	defer stop()
	if got := peer.request(); got != "GET /poll?since=0 HTTP/1.1" {
		t.Fatalf("first request %q", got)
	}
	body := answerOf(1, 2, 3)
	peer.write(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n", len(body)), "\r\n"+body[:20], body[20:])
	if got := peer.request(); got != "GET /poll?since=3 HTTP/1.1" {
		t.Fatalf("second request %q", got)
	}
	body = answerOf(4, 5)
	peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", fmt.Sprintf("%x\r\n%s\r\n", len(body), body), "0\r\n\r\n")
	if got := peer.request(); got != "GET /poll?since=5 HTTP/1.1" {
		t.Fatalf("third request %q", got)
	}
	peer.c.Close()
	select {
	case err := <-o.ended:
		if !errors.Is(err, transports.ErrPollReconnect) {
			t.Errorf("ended with %v, want ErrPollReconnect", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("the connection never ended")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if fmt.Sprint(o.seqs) != "[1 2 3 4 5]" || o.connected != 1 || o.polled != 2 || o.empty != 0 {
		t.Errorf("seqs %v, connected %d, polled %d, empty %d; want 1..5, 1, 2, 0", o.seqs, o.connected, o.polled, o.empty)
	}
	if want := 3 * len("GET /poll?since=0 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: Go-http-client/1.1\r\n\r\n"); o.out != want {
		t.Errorf("%d bytes written, want %d (three requests)", o.out, want)
	}
}

// TestReactorShutdownEndsAQueuedPoll: a short poll waiting in the queue
// for its slot is ended by the reactor's shutdown, its descriptor closed.
func TestReactorShutdownEndsAQueuedPoll(t *testing.T) {
	_, peer, o, stop := heldPoll(t, time.Hour)
	peer.request()
	peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
	// The answer is whole once Polled is reported; the next slot is an
	// hour away, so the connection waits in the queue.
	select {
	case <-o.answered:
	case <-time.After(testTimeout):
		t.Fatal("the answer was never read")
	}
	stop()
	if err := <-o.ended; err != nil {
		t.Errorf("ended with %v, want the shutdown's nil", err)
	}
	if err := peer.c.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	if n, err := peer.br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("peer read %d bytes, %v: want the connection closed", n, err)
	}
}

// heldPoll runs a reactor holding one end of a socket pair as a short
// poll client polling every interval from cursor 0; stop ends the
// reactor and waits for its loop.
func heldPoll(t *testing.T, interval time.Duration) (*reactor.Reactor, *pollPeer, *pollOwner, func()) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[1]), "peer")
	pc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	tr, err := transports.Lookup("shortpoll")
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Poll.NewPoller(transports.ClientOptions{BaseURL: "http://127.0.0.1:9", PollInterval: interval}, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx, 10*time.Millisecond, time.Minute) }()
	o := &pollOwner{owner: newOwner(), answered: make(chan struct{}, 16)}
	if err := r.HoldPoll(fds[0], p, o, 0); err != nil {
		t.Fatal(err)
	}
	stopped := false
	return r, &pollPeer{t: t, c: pc, br: bufio.NewReader(pc)}, o, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		r.Wake()
		<-ran
	}
}
