package rawtcp

import (
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
	"github.com/pushbench/pushbench/transports/msglog"
	"github.com/pushbench/pushbench/transports/push"
)

var (
	_ transports.Server   = (*Server)(nil)
	_ transports.Listener = (*Server)(nil)
	_ transports.Client   = (*Client)(nil)
	_ push.Writer         = (*frameWriter)(nil)
)

func init() {
	t := transports.Describe(facts.RawTCP)
	t.Library, t.IsolatesSlowConsumers, t.Stream = "none (net + own framing)", true, stream
	t.NewServer = func(log *msglog.Log, opts transports.ServerOptions) (transports.Server, error) {
		s, err := NewServer(log, opts)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	t.NewClient = func(opts transports.ClientOptions) (transports.Client, error) {
		c, err := NewClient(opts)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	transports.Register(t)
}
