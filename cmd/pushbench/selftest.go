package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/pushbench/pushbench/harness"
)

const selftestDoc = `usage: pushbench selftest

Proves the instrument on this machine in a few seconds: each line is a
fault planted on loopback (a server that skips messages, a network that
eats what the server wrote, a client that drops what its parser handed
over, duplicates and reorders, a seq never published, a 50 ms hold, a
skewed clock, a stall, a load generator starved of CPU) and what caught
it, with the figures. The first line plants nothing and must come out
clean. Exit 0 only when every plant was caught, 1 otherwise.

The timing plants need the CPU: run it on a quiet machine.
`

// selftestCLI is selftest's command line: no flags.
func selftestCLI(stderr io.Writer) *cli {
	c := newCLI("selftest", stderr)
	c.help = help{doc: selftestDoc, examples: "  pushbench selftest\n"}
	return c
}

func runSelftest(args []string, stdout, stderr io.Writer) error {
	if err := selftestCLI(stderr).parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	lines, err := harness.Selftest(ctx, false, func(l harness.SelftestLine) {
		verdict := "CAUGHT"
		if !l.Caught {
			verdict = "MISSED"
		}
		fmt.Fprintf(stdout, "%-6s  %s\n        %s\n", verdict, l.Plant, l.By)
	})
	if err != nil {
		return err
	}
	if err := harness.SelftestErr(lines); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "every plant caught (%d)\n", len(lines))
	return nil
}
