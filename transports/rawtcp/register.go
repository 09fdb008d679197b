package rawtcp

import (
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/facts"
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
	t.NewServer, t.NewClient = transports.ServerFrom(NewServer), transports.ClientFrom(NewClient)
	transports.Register(t)
}
