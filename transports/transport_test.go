package transports_test

import (
	"errors"
	"testing"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/msglog"
)

// nilServer is a concrete server type whose constructor fails.
type nilServer struct{ transports.Server }

// TestAdaptersReturnNilOnError: a failed constructor of a concrete type
// gives a nil interface (a typed nil pointer in it would pass a nil check).
func TestAdaptersReturnNilOnError(t *testing.T) {
	boom := errors.New("boom")
	newServer := transports.ServerFrom(func(*msglog.Log, transports.ServerOptions) (*nilServer, error) { return nil, boom })
	if s, err := newServer(nil, transports.ServerOptions{}); s != nil || !errors.Is(err, boom) {
		t.Errorf("server %#v, %v: want a nil interface and the error", s, err)
	}
	type nilClient struct{ transports.Client }
	newClient := transports.ClientFrom(func(transports.ClientOptions) (*nilClient, error) { return nil, boom })
	if c, err := newClient(transports.ClientOptions{}); c != nil || !errors.Is(err, boom) {
		t.Errorf("client %#v, %v: want a nil interface and the error", c, err)
	}
	ok := transports.ServerFrom(func(*msglog.Log, transports.ServerOptions) (*nilServer, error) { return &nilServer{}, nil })
	if s, err := ok(nil, transports.ServerOptions{}); s == nil || err != nil {
		t.Errorf("a constructed server came back as %v, %v", s, err)
	}
}
