// Command pushbench benchmarks server-push transports (short polling, long
// polling, Server-Sent Events, WebSocket and a raw-TCP floor) against one
// harness. Run "pushbench help" for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/pushbench/pushbench/results/advise"
	_ "github.com/pushbench/pushbench/transports/all"
)

// command is one subcommand: what it does with its arguments, and its
// command line (flags and help), which tests read without running it.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
	cli     func(stderr io.Writer) *cli
}

var commands = map[string]command{
	"serve":      {"serve every transport with a built-in publisher", runServe, func(w io.Writer) *cli { return serveCLI(new(serveOpts), w) }},
	"run":        {"run scenarios against every transport and record the results", runRun, func(w io.Writer) *cli { return runCLI(new(runOpts), w) }},
	"advise":     {"size a workload on each measured transport: servers, memory, cost, p99, with the evidence", runAdvise, func(w io.Writer) *cli { return adviseCLI(&adviseOpts{w: advise.DefaultWorkload()}, w) }},
	"compare":    {"compare two runs (benchstat-style); exit 1 on a significant regression", runCompare, func(w io.Writer) *cli { return compareCLI(new(compareOpts), w) }},
	"report":     {"re-render a run's tables, plots and report from its results.json", runReport, func(w io.Writer) *cli { return reportCLI(new(string), w) }},
	"transports": {"list the registered transports", runTransports, transportsCLI},
	"target":     {"list, show and check targets: push servers pushbench did not write", runTarget, func(w io.Writer) *cli { return targetCLI(new(checkConfig), w) }},
	"worker":     {"run a load-generator worker for a coordinating pushbench run", runWorker, func(w io.Writer) *cli { return workerCLI(new(workerOpts), w) }},
	"selftest":   {"plant faults on loopback and show that the instrument catches each one", runSelftest, selftestCLI},
	"version":    {"print pushbench's version, the Go version and the platform", runVersion, versionCLI},
}

// usageError is a bad command line: exit status 2. Its message is one
// line, naming the flag or argument, what was given and what is allowed.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run dispatches to a subcommand and maps its error to an exit status:
// 0 ok, 2 bad usage, 1 anything else.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pushbench: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pushbench %s: %v\nsee pushbench %s -h\n", args[0], err, args[0])
		return 2
	default:
		fmt.Fprintf(stderr, "pushbench %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pushbench <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'pushbench <command> -h' for a command's flags.")
}
