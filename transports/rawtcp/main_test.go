package rawtcp_test

import (
	"context"
	"encoding/binary"
	"errors"
	"github.com/pushbench/pushbench/transports/internal/testrec"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/rawtcp"
)

// testTimeout bounds every blocking step of a test; no test sleeps.
const testTimeout = 5 * time.Second

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer serves log on a loopback port until the test ends, then
// closes the server and checks that Serve returned nil.
func startServer(t *testing.T, log *msglog.Log, opts transports.ServerOptions) (*rawtcp.Server, string) {
	t.Helper()
	srv, err := rawtcp.NewServer(log, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v after Close, want nil", err)
		}
	})
	return srv, ln.Addr().String()
}

// dialRaw opens a plain connection closed at the end of the test.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// handshake builds a 9-byte handshake.
func handshake(flag byte, cursor int64) []byte {
	b := []byte{flag}
	return binary.BigEndian.AppendUint64(b, uint64(cursor))
}

// readFrame reads one frame body.
func readFrame(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatalf("failed to read frame header: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatalf("failed to read frame body: %v", err)
	}
	return body
}

// expectClosed checks that the server closed the connection.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	var b [1]byte
	if _, err := conn.Read(b[:]); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("read after refusal = %v, want EOF", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// event and recorder are the shared channel-based test Receiver.
type (
	event    = testrec.Event
	recorder = testrec.Stream
)

func newRecorder() *recorder { return testrec.NewStream() }

// runClient runs a client in the background; stop cancels it and returns
// Run's error.
func runClient(t *testing.T, addr string, since int64, r transports.Receiver) (stop func() error) {
	t.Helper()
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: addr, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, since, r) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
