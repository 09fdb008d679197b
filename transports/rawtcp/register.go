package rawtcp

import (
	"github.com/pushbench/pushbench/transports"
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
	transports.Register(transports.Transport{
		Name:                  "rawtcp",
		Path:                  "",
		Library:               "none (net + own framing)",
		Push:                  true,
		IsolatesSlowConsumers: true,
		Floor:                 true,
		Representative:        true,
		Order:                 10,
		Style:                 transports.Style{Color: "#000000", Dashes: []float64{6, 3}, Width: 2.2, Glyph: "cross"},
		FramingMinimum:        framingMinimum,
		RawBinary:             true,
		Stream:                stream,
		NewServer: func(log *msglog.Log, opts transports.ServerOptions) (transports.Server, error) {
			s, err := NewServer(log, opts)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		NewClient: func(opts transports.ClientOptions) (transports.Client, error) {
			c, err := NewClient(opts)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}

// framingMinimum is a frame's 4-byte length prefix + the message, text or
// binary alike.
func framingMinimum(size int) int { return 4 + size }
