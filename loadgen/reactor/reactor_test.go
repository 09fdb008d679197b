package reactor_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/pushbench/pushbench/loadgen/reactor"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/rawtcp"
	"github.com/pushbench/pushbench/transports/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testTimeout = 10 * time.Second

// owner records what the reactor reports for one connection.
type owner struct {
	mu        sync.Mutex
	seqs      []int64
	at        []int64 // each message's arrival time, as Arrived last said
	arrived   int64
	read, out int
	ended     chan error
}

func newOwner() *owner { return &owner{ended: make(chan error, 1)} }

func (o *owner) Message(seq, _ int64, _ int) {
	o.mu.Lock()
	o.seqs = append(o.seqs, seq)
	o.at = append(o.at, o.arrived)
	o.mu.Unlock()
}
func (o *owner) Arrived(at int64)    { o.mu.Lock(); o.arrived = at; o.mu.Unlock() }
func (o *owner) Gap(int64, int64)    {}
func (o *owner) Retry(time.Duration) {}
func (o *owner) BytesRead(n int)     { o.mu.Lock(); o.read += n; o.mu.Unlock() }
func (o *owner) BytesWritten(n int)  { o.mu.Lock(); o.out += n; o.mu.Unlock() }
func (o *owner) Ended(err error, planned bool) {
	if planned {
		err = errors.New("planned end")
	}
	o.ended <- err
}

// TestReactorReadsAHeldConnection holds one end of a socket pair: the
// bytes that came with the handshake and those written later arrive as
// messages in order, the socket's bytes are counted, and the peer's close
// ends the connection with the parser's error; Run returns once its
// context is done and it is woken.
func TestReactorReadsAHeldConnection(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stream []byte
	for seq := int64(1); seq <= 5; seq++ {
		msg := wire.AppendMessageJSON(nil, seq, 1000+seq, strings.Repeat("p", int(seq)*100))
		stream = binary.BigEndian.AppendUint32(stream, uint32(len(msg)))
		stream = append(stream, msg...)
	}
	left, rest := stream[:150], stream[150:] // the first message split across the handoff
	r, err := reactor.New()
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx, 10*time.Millisecond, time.Minute) }()
	o := newOwner()
	if err := r.Hold(fds[0], rawtcp.NewStreamParser(), o, left, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := unix.Write(fds[1], rest); err != nil || n != len(rest) {
		t.Fatalf("write: %d %v", n, err)
	}
	unix.Close(fds[1])
	select {
	case err := <-o.ended:
		if !errors.Is(err, io.EOF) {
			t.Errorf("ended with %v, want the parser's EOF", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("the connection never ended")
	}
	o.mu.Lock()
	if len(o.seqs) != 5 || o.seqs[0] != 1 || o.seqs[4] != 5 || o.read != len(rest) {
		t.Errorf("seqs %v, %d bytes read; want 1..5 and %d", o.seqs, o.read, len(rest))
	}
	// Message 1 came with the handshake, read when it was held; 2..5 in
	// the one read of rest (written at once, 1.5 KB through a socket pair):
	// one arrival time for all four, later than message 1's.
	for i, at := range o.at[1:] {
		if at != o.at[1] || at <= o.at[0] {
			t.Errorf("message %d arrived at %d, message 2 at %d, message 1 at %d: want one reading per read", o.seqs[i+1], at, o.at[1], o.at[0])
		}
	}
	o.mu.Unlock()
	cancel()
	r.Wake()
	select {
	case <-ran:
	case <-time.After(testTimeout):
		t.Fatal("Run did not return")
	}
}

// receiver is a transports.Receiver that only notes Connected.
type receiver struct{ connected bool }

func (r *receiver) Connected()                { r.connected = true }
func (r *receiver) Message(int64, int64, int) {}
func (r *receiver) Gap(int64, int64)          {}
func (r *receiver) Empty()                    {}
func (r *receiver) Retry(time.Duration)       {}

// TestHandoffStopsAtTheHandshakesEnd: a client reading through the
// handoff's connection sees the HTTP response head and nothing past it,
// however the server's bytes arrive; at Connected the handoff takes a
// descriptor, the head, and the bytes past the head, and the client's next
// read fails.
func TestHandoffStopsAtTheHandshakesEnd(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
	body := "data: first\n\n"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_, err = c.Write([]byte(head + body)) // one write: the head and body may arrive together
		if err == nil {
			_, err = c.Read(make([]byte, 1)) // until the client closes
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
		served <- err
	}()
	rec := &receiver{}
	h := reactor.NewHandoff(rec, transports.HandshakeHTTPHead)
	d := &net.Dialer{Timeout: testTimeout}
	conn, err := h.Dial(d.DialContext)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for !strings.HasSuffix(string(got), "\r\n\r\n") {
		if err := conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || len(got) > len(head) {
			t.Fatalf("read %q, %v: want exactly the head", got, err)
		}
	}
	h.Connected()
	fd, gotHead, left, err := h.Taken()
	if err != nil || fd < 0 || !rec.connected {
		t.Fatalf("Taken: fd %d, err %v, connected %v", fd, err, rec.connected)
	}
	unix.Close(fd)
	if string(gotHead) != head || string(got) != head {
		t.Errorf("head %q, client read %q; want %q", gotHead, got, head)
	}
	if !strings.HasPrefix(body, string(left)) {
		t.Errorf("left %q: not the start of the body %q", left, body)
	}
	if _, err := conn.Read(buf); err == nil {
		t.Error("the client read after the handoff")
	}
	conn.Close()
	if err := <-served; err != nil {
		t.Errorf("server: %v", err)
	}
}

// slowParser holds the loop for d on the first bytes it is fed that
// start with hold.
type slowParser struct {
	d    time.Duration
	done bool
}

// hold is the byte that makes a slowParser hold the loop.
const hold = 'h'

func (p *slowParser) Feed(b []byte, _ *transports.StreamEnv) error {
	if !p.done && len(b) > 0 && b[0] == hold {
		p.done = true
		time.Sleep(p.d) // the loop itself is what is held up
	}
	return nil
}
func (p *slowParser) End(err error, _ *transports.StreamEnv) error { return err }

// TestLoopLagIsMeasured: a loop held 200 ms by one read reports that it
// ran about that far behind its 10 ms sweep schedule, once.
func TestLoopLagIsMeasured(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	r, err := reactor.New()
	if err != nil {
		unix.Close(fds[0])
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx, 10*time.Millisecond, time.Minute) }()
	defer func() { cancel(); r.Wake(); <-ran }()
	o := newOwner()
	if err := r.Hold(fds[0], &slowParser{d: 200 * time.Millisecond}, o, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fds[1], []byte{hold}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(testTimeout)
	var lag time.Duration
	for lag < 150*time.Millisecond && time.Now().Before(deadline) {
		lag = max(lag, r.TakeLag())
		time.Sleep(5 * time.Millisecond) // polling a figure the loop raises
	}
	if lag < 150*time.Millisecond {
		t.Errorf("loop lag %v after a 200 ms hold, want about 200 ms", lag)
	}
}

// tcpPair is a connected loopback TCP pair as raw non-blocking
// descriptors: the reactor's end and the writer's.
func tcpPair(t *testing.T) (held, peer int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	dup := func(conn net.Conn) int {
		f, err := conn.(*net.TCPConn).File()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fd, err := unix.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		return fd
	}
	return dup(c), dup(s)
}

// TestClientWaitFromKernelTimestamps: bytes that arrive while the loop is
// held 200 ms by the previous read wait in the socket about that long, and
// the kernel's receive timestamps show it; the owner is told they arrived
// when they were written, not when the late loop read them.
func TestClientWaitFromKernelTimestamps(t *testing.T) {
	held, peer := tcpPair(t)
	defer unix.Close(peer)
	r, err := reactor.New()
	if err != nil {
		unix.Close(held)
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx, 10*time.Millisecond, time.Minute) }()
	defer func() { cancel(); r.Wake(); <-ran }()
	o := newOwner()
	if err := r.Hold(held, &slowParser{d: 200 * time.Millisecond}, o, nil, 0); err != nil {
		t.Fatal(err)
	}
	// The kernel may turn stamping on a moment after it is asked: write
	// single bytes until a read comes stamped.
	deadline := time.Now().Add(testTimeout)
	sent := 0
	for stamped := int64(0); stamped == 0 && time.Now().Before(deadline); {
		if _, err := unix.Write(peer, []byte("w")); err != nil {
			t.Fatal(err)
		}
		sent++
		for o.readBytes() < sent && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling a count the loop raises
		}
		_, stamped, _, _ = r.TakeWait()
	}
	if _, err := unix.Write(peer, []byte{hold}); err != nil { // the read that holds the loop
		t.Fatal(err)
	}
	for o.readBytes() < sent+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	before := time.Now().UnixNano()
	if _, err := unix.Write(peer, []byte("b")); err != nil { // waits in the socket meanwhile
		t.Fatal(err)
	}
	after := time.Now().UnixNano()
	for o.readBytes() < sent+2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	read := time.Now().UnixNano()
	reads, n, _, longest := r.TakeWait()
	if n < 2 || reads < n || longest < 120*time.Millisecond || longest > 5*time.Second {
		t.Errorf("%d reads, %d stamped, longest wait %v: want 2 stamped of at least as many reads, and about 200 ms", reads, n, longest)
	}
	o.mu.Lock()
	arrived := o.arrived
	o.mu.Unlock()
	if arrived < before || arrived > after {
		t.Errorf("the late read's bytes arrived at %d, %v after the write began and %v before the test saw them read: want within the write (%v long)",
			arrived, time.Duration(arrived-before), time.Duration(read-arrived), time.Duration(after-before))
	}
}

func (o *owner) readBytes() int { o.mu.Lock(); defer o.mu.Unlock(); return o.read }
