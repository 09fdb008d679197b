package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/pushbench/pushbench/harness"
	"github.com/pushbench/pushbench/scenarios"
)

const targetDoc = `usage: pushbench target list
       pushbench target show NAME
       pushbench target check [flags] NAME|FILE

A target is a push server pushbench did not write (nchan, centrifugo, your
own), described by a target file: docs/TARGETS.md. 'list' prints the
built-ins and their versions here; 'show' prints a built-in's file, to copy
and edit; 'check' starts the target (or reaches it), subscribes to each of
its transports, publishes messages through its API and prints what works,
each failure with its fix. Exit 0 when everything holds, 1 when a check
failed, 2 for a bad command line or target file.

'pushbench run --target NAME|FILE' then runs any scenario against it.
`

const targetExamples = `  pushbench target list
  pushbench target show nchan > my-server.yaml
  pushbench target check my-server.yaml
  pushbench target check --transports sse,websocket --messages 1000 nchan
`

func runTarget(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"name a subcommand: list, show or check"}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		targetCLI(new(checkConfig), stderr).printHelp(stderr)
		return flag.ErrHelp
	}
	switch args[0] {
	case "list":
		return targetList(stdout)
	case "show":
		if len(args) != 2 {
			return usageError{"show takes one built-in target's name: " + strings.Join(scenarios.TargetNames(), ", ")}
		}
		b, err := scenarios.BuiltinTarget(args[1])
		if err != nil {
			return usageError{err.Error()}
		}
		_, err = stdout.Write(b)
		return err
	case "check":
		return targetCheck(args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown subcommand %q: list, show or check", args[0])}
}

// targetList prints the built-ins: name, model, version here (or why not).
func targetList(stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmodel\ttransports\tversion here\tdescription")
	for _, n := range scenarios.TargetNames() {
		t, err := scenarios.FindTarget(n)
		if err != nil {
			return err
		}
		version, trs := harness.TargetVersion(context.Background(), t), strings.Join(t.Names(), ",")
		if t.Serve {
			trs = "all (pushbench transports)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Model, trs, version, t.Description)
	}
	return tw.Flush()
}

type checkConfig struct {
	transports listFlag
	messages   int
	jsonOut    bool
	dir        string
}

// targetCLI defines target check's flags over c: its -h is target's.
func targetCLI(cfg *checkConfig, stderr io.Writer) *cli {
	c := newCLI("target", stderr)
	c.help = help{doc: targetDoc, examples: targetExamples, groups: []flagGroup{
		{"Check (target check)", []string{"transports", "messages", "dir"}},
		{"Output (target check)", []string{"json"}},
	}}
	c.Var(&cfg.transports, "transports", "the target's transports to check, comma-separated (default: all it declares)")
	c.Int(&cfg.messages, "messages", 100, 10, 100_000, "", "messages published per transport (half before a disconnect, half during it)")
	c.String(&cfg.dir, "dir", "", "folder for the target's files (default: a temporary one, removed after)")
	c.Bool(&cfg.jsonOut, "json", "print the findings as JSON")
	return c
}

func targetCheck(args []string, stdout, stderr io.Writer) error {
	var c checkConfig
	// Flags may come before or after the target's name.
	names, err := targetCLI(&c, stderr).parseInterspersed(args, true)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usageError{"check takes one target: a built-in name (" + strings.Join(scenarios.TargetNames(), ", ") + ") or a target file"}
	}
	t, err := scenarios.FindTarget(names[0])
	if err != nil {
		return usageError{err.Error()}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := harness.CheckTarget(ctx, t, harness.CheckOptions{Dir: c.dir, Transports: c.transports, Messages: c.messages, CPU: -1})
	if err != nil {
		return err
	}
	if c.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printCheck(stdout, res)
	}
	if n := res.Failed(); n > 0 {
		return fmt.Errorf("target %s: %d of %d checks failed", t.Name, n, len(res.Rows))
	}
	return nil
}

func printCheck(w io.Writer, res harness.TargetCheck) {
	fmt.Fprintf(w, "target %s %s\n", res.Target, res.Version)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "transport\tcheck\tresult\tseen")
	for _, r := range res.Rows {
		verdict := "ok"
		if !r.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Transport, r.Check, verdict, r.Seen)
	}
	_ = tw.Flush()
	for _, r := range res.Rows {
		if !r.OK && r.Fix != "" {
			fmt.Fprintf(w, "fix %s %s: %s\n", r.Transport, r.Check, r.Fix)
		}
	}
}
