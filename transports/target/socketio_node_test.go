package target_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/target"
)

// nodeStack is the folder `make stack-node` installs the Node reference
// servers into: $PUSHBENCH_CACHE/stacks/node, else the user's cache
// folder's pushbench/stacks/node.
func nodeStack() string {
	d := os.Getenv("PUSHBENCH_CACHE")
	if d == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		d = filepath.Join(c, "pushbench")
	}
	return filepath.Join(d, "stacks", "node")
}

// startSocketIO starts the node-socketio target's server with a one-second
// heartbeat and ping timeout and returns its base URL once it is ready.
func startSocketIO(t *testing.T) string {
	t.Helper()
	server := filepath.Join(nodeStack(), "socketio-server.js")
	if _, err := os.Stat(filepath.Join(nodeStack(), "node_modules", "socket.io")); err != nil {
		t.Fatalf("%s has no socket.io (make stack-node installs it): %v", nodeStack(), err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("node", server, fmt.Sprintf("--port=%d", port), "--heartbeat=1", "--ping-timeout=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v (make test installs it: apt-get install -y nodejs)", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := http.Get(base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("the Socket.IO server exited: %v", waitErr)
		case <-time.After(20 * time.Millisecond): // the next readiness probe
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Socket.IO server was not ready within %v", waitLimit)
		}
	}
}

func publishTo(t *testing.T, base string, seq int) {
	t.Helper()
	resp, err := http.Post(base+"/publish", "application/json", strings.NewReader(message(seq)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("publish answered %d", resp.StatusCode)
	}
}

// Against Socket.IO itself (the node-socketio target's server, pinging
// every second and closing a client whose pong has not come a second
// later): over both transports the client connects, gets the messages
// byte for byte, and keeps its session past the point where a client
// that does not answer pings is cut.
func TestSocketIOAgainstNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Node Socket.IO server")
	}
	base := startSocketIO(t)
	vars := scenarios.TemplateVars{Base: base, Host: strings.TrimPrefix(base, "http://"), WSBase: "ws" + strings.TrimPrefix(base, "http"), Channel: "bench"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type sub struct {
		rec  *recorder
		errc <-chan error
	}
	subs := map[string]sub{}
	for _, fr := range sioFramings {
		c, err := target.NewClient(scenarios.Endpoint{Framing: fr.framing, URL: fr.url}, vars, testOptions(&countingDial{}))
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		subs[fr.framing] = sub{rec, runAsync(ctx, c, -1, rec)}
		rec.waitFor(t, fr.framing+" connected", func() bool { return rec.connects == 1 })
	}
	publishTo(t, base, 1)
	for _, s := range subs {
		s.rec.waitMessages(t, 1)
	}

	// The control: a client that connects to the namespace and never
	// answers a ping. The server cuts it about two seconds in; the
	// clients above, older than it, have answered theirs.
	wsURL := vars.WSBase + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := gws.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(gws.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	pings := 0
	conn.SetReadDeadline(time.Now().Add(waitLimit))
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server did not cut a client that answers no ping within %v", waitLimit)
			}
			break
		}
		if string(b) == "2" {
			pings++
		}
	}
	if pings == 0 {
		t.Fatal("the control was cut before any ping: the server closed it for something else")
	}

	publishTo(t, base, 2)
	for name, s := range subs {
		s.rec.waitMessages(t, 2)
		select {
		case err := <-s.errc:
			t.Fatalf("%s: Run ended: %v", name, err)
		default:
		}
		s.rec.mu.Lock()
		if s.rec.connects != 1 || fmt.Sprint(s.rec.seqs) != "[1 2]" || s.rec.sents[1] != sentOf(2) || s.rec.sizes[1] != len(payloadOf(2)) {
			t.Errorf("%s: %d connects, seqs %v, sents %v, sizes %v; want one session with 1 and 2 as published", name, s.rec.connects, s.rec.seqs, s.rec.sents, s.rec.sizes)
		}
		s.rec.mu.Unlock()
	}
	cancel()
	for name, s := range subs {
		if err := result(t, s.errc); err != nil {
			t.Errorf("%s: Run = %v after cancel, want nil", name, err)
		}
	}
}
