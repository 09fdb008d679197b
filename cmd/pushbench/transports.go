package main

import (
	"fmt"
	"io"

	"github.com/pushbench/pushbench/transports"
)

const transportsDoc = `usage: pushbench transports

Lists the transports this pushbench serves and measures, one a line: its
name (what serve --transports, run --transports and scenario files take),
the path it is served on (rawtcp has a port of its own) and the library
that implements it. Each transport is listed with its variants: +tls over
TLS 1.3, +h2 over HTTP/2 with TLS, +h2c over HTTP/2 in cleartext (see
docs/TLS.md).
`

const transportsExamples = `  pushbench transports
  pushbench run --transports websocket,sse-lean
`

// transportsCLI is transports' command line: no flags.
func transportsCLI(stderr io.Writer) *cli {
	c := newCLI("transports", stderr)
	c.help = help{doc: transportsDoc, examples: transportsExamples}
	return c
}

func runTransports(args []string, stdout, stderr io.Writer) error {
	if err := transportsCLI(stderr).parse(args); err != nil {
		return err
	}
	for _, t := range transports.All() {
		path := t.Path
		if path == "" {
			path = "(own port)"
		}
		fmt.Fprintf(stdout, "%-10s %-11s %s\n", t.Name, path, t.Library)
	}
	return nil
}
