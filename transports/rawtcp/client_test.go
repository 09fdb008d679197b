package rawtcp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/rawtcp"
	"github.com/pushbench/pushbench/transports/wire"
)

func TestClientRoundTrip(t *testing.T) {
	log := msglog.New(4)
	for i := range 10 {
		log.Append(int64(1000+i), strings.Repeat("x", i))
	}
	_, addr := startServer(t, log, transports.ServerOptions{})
	var dials atomic.Int32
	c, err := rawtcp.NewClient(transports.ClientOptions{
		RawAddr: addr,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx, 0, r) }()
	if e := r.Next(t, testTimeout); e != (event{Gap: true, First: 1, Last: 6}) {
		t.Errorf("first event = %+v, want gap 1..6", e)
	}
	for i := 6; i < 10; i++ {
		want := event{Seq: int64(i + 1), Sent: int64(1000 + i), Size: i}
		if e := r.Next(t, testTimeout); e != want {
			t.Errorf("event = %+v, want %+v", e, want)
		}
	}
	log.Append(42, "live")
	if e := r.Next(t, testTimeout); e != (event{Seq: 11, Sent: 42, Size: 4}) {
		t.Errorf("live event = %+v", e)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("dialled %d times through opts.Dial, want 1", n)
	}
}

func TestClientFromNow(t *testing.T) {
	log := msglog.New(8)
	log.Append(1, "old")
	_, addr := startServer(t, log, transports.ServerOptions{})
	r := newRecorder()
	stop := runClient(t, addr, -1, r)
	r.WaitUp(t, testTimeout)
	log.Append(2, "new")
	if e := r.Next(t, testTimeout); e.Seq != 2 {
		t.Errorf("first event = %+v, want seq 2 (from now)", e)
	}
	if err := stop(); err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
}

func TestClientCursorAhead(t *testing.T) {
	log := msglog.New(8)
	log.Append(1, "a")
	srv, addr := startServer(t, log, transports.ServerOptions{})
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	err = c.Run(context.Background(), 10, r)
	var se *rawtcp.ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "cursor 10 is ahead") {
		t.Fatalf("Run = %v, want a ServerError saying the cursor is ahead", err)
	}
	select {
	case <-r.Up:
		t.Error("Connected called for a refused handshake")
	default:
	}
	if st := srv.Stats(); st.Rejected != 1 {
		t.Errorf("Rejected = %d, want 1", st.Rejected)
	}
}

func TestNewClientNeedsAddress(t *testing.T) {
	if _, err := rawtcp.NewClient(transports.ClientOptions{}); err == nil {
		t.Error("NewClient without RawAddr succeeded")
	}
}

func TestClientDialFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background(), -1, newRecorder()); err == nil || !strings.Contains(err.Error(), "failed to dial") {
		t.Errorf("Run = %v, want a dial error", err)
	}
}

// frame builds one frame.
func frame(body string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// scriptServer accepts one connection, records its handshake, writes
// script, then closes (hangUp) or waits for the client to close.
func scriptServer(t *testing.T, script []byte, hangUp bool) (addr string, hs <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(testTimeout))
		b := make([]byte, rawtcp.HandshakeSize)
		if _, err := io.ReadFull(conn, b); err != nil {
			return
		}
		got <- b
		if _, err := conn.Write(script); err != nil || hangUp {
			return
		}
		io.Copy(io.Discard, conn)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), got
}

func TestClientFraming(t *testing.T) {
	msg := string(wire.AppendMessageJSON(nil, 5, 50, "hello"))
	ack := frame("")
	tests := []struct {
		name    string
		script  []byte
		hangUp  bool
		events  []event
		connect bool
		err     string
	}{
		{"heartbeats ignored", concat(ack, frame(""), frame(""), frame(msg), frame("")), true,
			[]event{{Seq: 5, Sent: 50, Size: 5}}, true, "EOF"},
		{"gap", concat(ack, frame(string(wire.AppendGapJSON(nil, 2, 4)))), true,
			[]event{{Gap: true, First: 2, Last: 4}}, true, "EOF"},
		{"oversized frame", concat(ack, binary.BigEndian.AppendUint32(nil, rawtcp.MaxFrameSize+1)), false,
			nil, true, "over the 104857600-byte limit"},
		{"truncated frame", concat(ack, frame(msg)[:10]), true, nil, true, "unexpected EOF"},
		{"error frame", concat(ack, frame(msg), frame(`{"type":"error","reason":"going away"}`)), true,
			[]event{{Seq: 5, Sent: 50, Size: 5}}, true, "rawtcp server: going away"},
		{"refused", frame(`{"type":"error","reason":"no"}`), true, nil, false, "failed to handshake: rawtcp server: no"},
		{"message before acknowledgement", frame(msg), true, nil, false, "expected an empty acknowledgement"},
		{"undecodable", concat(ack, frame("{nope")), false, nil, true, "failed to decode frame"},
		{"silent", ack, false, nil, true, "timeout"},
		{"silent after a burst", concat(ack, frame(msg), frame(msg), frame(msg)), false,
			[]event{{Seq: 5, Sent: 50, Size: 5}, {Seq: 5, Sent: 50, Size: 5}, {Seq: 5, Sent: 50, Size: 5}}, true, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, hs := scriptServer(t, tt.script, tt.hangUp)
			c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: addr, ReadTimeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			r := newRecorder()
			err = c.Run(context.Background(), 7, r)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Run = %v, want an error containing %q", err, tt.err)
			}
			if got, want := <-hs, handshake(rawtcp.FlagResume, 7); !bytes.Equal(got, want) {
				t.Errorf("handshake = %v, want %v", got, want)
			}
			select {
			case <-r.Up:
				if !tt.connect {
					t.Error("Connected called without an acknowledgement")
				}
			default:
				if tt.connect {
					t.Error("Connected not called after the acknowledgement")
				}
			}
			for _, want := range tt.events {
				if e := r.Next(t, testTimeout); e != want {
					t.Errorf("event = %+v, want %+v", e, want)
				}
			}
			if n := len(r.Events); n != 0 {
				t.Errorf("%d unexpected events", n)
			}
		})
	}
}

func TestClientFromNowHandshake(t *testing.T) {
	addr, hs := scriptServer(t, frame(""), true)
	c, err := rawtcp.NewClient(transports.ClientOptions{RawAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Run(context.Background(), -1, newRecorder())
	if got, want := <-hs, handshake(rawtcp.FlagFromNow, 0); !bytes.Equal(got, want) {
		t.Errorf("handshake = %v, want %v", got, want)
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
