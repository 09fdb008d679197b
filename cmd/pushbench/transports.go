package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/pushbench/pushbench/transports"
)

func runTransports(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("transports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := parseFlags(fs, args); err != nil {
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
