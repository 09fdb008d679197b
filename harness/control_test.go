package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/transports/controlplane"
)

// TestLocalChildrenGetTheRunsToken: a run with a token hands it to the
// workers and servers it starts on loopback, which then require it: the
// run's own calls pass, a call without it is refused with 401.
func TestLocalChildrenGetTheRunsToken(t *testing.T) {
	tok, err := controlplane.ParseToken(rand.Text() + rand.Text())
	if err != nil {
		t.Fatal(err)
	}
	control := controlplane.Client{Token: tok}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	srv, err := startServer(ctx, serverBin, serverArgs{Transport: "sse-lean", Ring: 100, CPU: -1, Control: control})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	if _, err := srv.status(ctx, false); err != nil {
		t.Fatalf("the run's status call to its server: %v", err)
	}
	bare := remoteServer(srv.control, srv.base, srv.raw, controlplane.Client{})
	defer bare.stop()
	if _, err := bare.status(ctx, false); !errors.Is(err, controlplane.ErrUnauthorized) || !strings.Contains(err.Error(), "--token-file") {
		t.Fatalf("a status call without the token: %v, want ErrUnauthorized naming --token-file", err)
	}

	spec := loadgen.Spec{Transport: "sse-lean", BaseURL: srv.base}
	f, err := startFleet(ctx, fleetPlan{bin: serverBin, local: 1, cpu: -1, perHost: loadgen.ClientsPerWorker, control: control}, spec)
	if err != nil {
		t.Fatalf("a fleet with the run's token: %v", err)
	}
	defer f.close()
	if _, err := f.status(ctx, -1); err != nil {
		t.Fatalf("the run's status call to its worker: %v", err)
	}
	bareWorker := loadgen.NewRemote("worker without the token", f.members[0].remote.URL(), controlplane.Client{})
	if err := bareWorker.Start(ctx, spec); !errors.Is(err, controlplane.ErrUnauthorized) {
		t.Fatalf("a start without the token: %v, want ErrUnauthorized", err)
	}
}
