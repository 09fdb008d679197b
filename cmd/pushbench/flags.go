package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// cli is one command's command line: a flag.FlagSet whose values check
// their own range, the help that -h prints, and the old flag names it
// still takes. A cli is used by one goroutine.
type cli struct {
	fs     *flag.FlagSet
	name   string    // the command, as in "pushbench NAME"
	stderr io.Writer // where -h and deprecation notes go
	help   help
	// aliases maps an old flag name, hidden from -h, to its new name.
	aliases map[string]string
	// bad is the first error a value's Set returned: the flag package
	// reports it only as text, so the values keep it here.
	bad error
}

// help is what a command's -h prints: doc (its usage lines and what it
// does), then each group of flags under its title, then examples.
type help struct {
	doc      string
	groups   []flagGroup
	examples string
}

// flagGroup is one heading of a command's -h and the flags beneath it,
// named without dashes, in the order shown.
type flagGroup struct {
	title string
	flags []string
}

// newCLI returns a command's empty command line.
func newCLI(name string, stderr io.Writer) *cli {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &cli{fs: fs, name: name, stderr: stderr, aliases: map[string]string{}}
}

// valueError is a flag given a value it does not take: the flag, the value
// as given, and what it allows.
type valueError struct {
	Flag, Value, Allowed string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("--%s %s: allowed %s", e.Flag, quoteIfNeeded(e.Value), e.Allowed)
}

// quoteIfNeeded quotes a value that would not read as one word.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\r\n\"'`") || !strconv.CanBackquote(s) {
		return strconv.Quote(s)
	}
	return s
}

// parse parses args, which may hold flags only. -h prints the help and
// returns flag.ErrHelp; a bad flag is a usageError of one line (the flag
// package's own output, which would add the whole usage, is discarded).
func (c *cli) parse(args []string) error {
	pos, err := c.parseInterspersed(args, false)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments: %s", strings.Join(pos, " "))}
	}
	return nil
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments, which it returns; after "--" every argument is
// positional. With interspersed false, parsing stops at the first
// positional argument, and it and the rest are returned.
func (c *cli) parseInterspersed(args []string, interspersed bool) ([]string, error) {
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {}
	var pos []string
	for {
		c.bad = nil
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printHelp(c.stderr)
				return nil, err
			}
			if c.bad != nil {
				return nil, usageError{c.bad.Error()}
			}
			return nil, usageError{err.Error()}
		}
		if c.fs.NArg() == 0 {
			return pos, nil
		}
		if n := len(args) - c.fs.NArg(); !interspersed || (n > 0 && args[n-1] == "--") {
			return append(pos, c.fs.Args()...), nil
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
}

// alias keeps old working as a hidden name for the flag now called name:
// using it sets that flag and prints a one-line deprecation note.
func (c *cli) alias(old, name string) {
	if c.fs.Lookup(name) == nil {
		panic("alias " + old + " of an undefined flag " + name)
	}
	c.aliases[old] = name
	c.fs.Var(aliasValue{c, old, name}, old, "deprecated: use --"+name)
}

// aliasValue is an old flag name: it sets the new flag's value.
type aliasValue struct {
	c         *cli
	old, name string
}

func (a aliasValue) Set(s string) error {
	fmt.Fprintf(a.c.stderr, "pushbench %s: --%s is deprecated and goes in the next release: use --%s\n", a.c.name, a.old, a.name)
	return a.c.fs.Lookup(a.name).Value.Set(s)
}

func (a aliasValue) String() string {
	if a.c == nil {
		return ""
	}
	return a.c.fs.Lookup(a.name).Value.String()
}

func (a aliasValue) IsBoolFlag() bool {
	b, ok := a.c.fs.Lookup(a.name).Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// checked is a flag value of type T that refuses what it cannot parse or
// what ok refuses, saying what it allows.
type checked[T any] struct {
	c       *cli
	name    string
	p       *T
	parse   func(string) (T, error)
	format  func(T) string
	ok      func(T) bool
	allowed string
	kind    string // the value's name in -h, e.g. "bytes"
}

func (v *checked[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil || !v.ok(x) {
		e := &valueError{Flag: v.name, Value: s, Allowed: v.allowed}
		if v.c.bad == nil {
			v.c.bad = e
		}
		return e
	}
	*v.p = x
	return nil
}

func (v *checked[T]) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return v.format(*v.p)
}

func (v *checked[T]) Get() any { return *v.p }

// typeName is the value's name in -h.
func (v *checked[T]) typeName() string { return v.kind }

// boolChecked is a checked bool: it may stand alone (--flag).
type boolChecked struct{ *checked[bool] }

func (boolChecked) IsBoolFlag() bool { return true }

// define registers a checked value of p under name, set to def.
func define[T any](c *cli, v *checked[T], def T, usage string) {
	v.c, *v.p = c, def
	c.fs.Var(v, v.name, usage)
}

// Int defines an int flag allowed from lo to hi, in unit (e.g. "messages").
func (c *cli) Int(p *int, name string, def, lo, hi int, unit, usage string) {
	define(c, &checked[int]{name: name, p: p, kind: "int",
		parse:   func(s string) (int, error) { n, err := strconv.ParseInt(s, 0, strconv.IntSize); return int(n), err },
		format:  strconv.Itoa,
		ok:      func(n int) bool { return n >= lo && n <= hi },
		allowed: withUnit(fmt.Sprintf("%d to %d", lo, hi), unit)}, def, usage)
}

// Int64 defines an int64 flag allowed from lo to hi, in unit.
func (c *cli) Int64(p *int64, name string, def, lo, hi int64, unit, usage string) {
	define(c, &checked[int64]{name: name, p: p, kind: "int",
		parse:   func(s string) (int64, error) { return strconv.ParseInt(s, 0, 64) },
		format:  func(n int64) string { return strconv.FormatInt(n, 10) },
		ok:      func(n int64) bool { return n >= lo && n <= hi },
		allowed: withUnit(fmt.Sprintf("%d to %d", lo, hi), unit)}, def, usage)
}

// Bytes defines a byte-size flag (4096, 64KiB, 1MiB) allowed from lo to hi.
func (c *cli) Bytes(p *int64, name string, def, lo, hi int64, usage string) {
	define(c, &checked[int64]{name: name, p: p, kind: "size",
		parse:   func(s string) (int64, error) { var b ByteSize; err := b.UnmarshalText([]byte(s)); return int64(b), err },
		format:  func(n int64) string { return ByteSize(n).String() },
		ok:      func(n int64) bool { return n >= lo && n <= hi },
		allowed: fmt.Sprintf("%s to %s (bytes, or with a unit: KiB, MiB, GiB, TiB)", ByteSize(lo), ByteSize(hi))}, def, usage)
}

// Float defines a float64 flag that ok allows (NaN never is), allowed
// described in words.
func (c *cli) Float(p *float64, name string, def float64, ok func(float64) bool, allowed, usage string) {
	define(c, &checked[float64]{name: name, p: p, kind: "float",
		parse:   func(s string) (float64, error) { return strconv.ParseFloat(s, 64) },
		format:  func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) },
		ok:      func(f float64) bool { return !math.IsNaN(f) && ok(f) },
		allowed: allowed}, def, usage)
}

// Duration defines a duration flag allowed from lo to hi.
func (c *cli) Duration(p *time.Duration, name string, def, lo, hi time.Duration, usage string) {
	define(c, &checked[time.Duration]{name: name, p: p, kind: "duration",
		parse:   time.ParseDuration,
		format:  shortDuration,
		ok:      func(d time.Duration) bool { return d >= lo && d <= hi },
		allowed: shortDuration(lo) + " to " + shortDuration(hi)}, def, usage)
}

// shortDuration writes d without zero minutes and seconds: 1h, 1m, 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Bool defines a flag that is on when given alone, or given true or false.
func (c *cli) Bool(p *bool, name string, usage string) {
	v := &checked[bool]{c: c, name: name, p: p, kind: "",
		parse:   strconv.ParseBool,
		format:  strconv.FormatBool,
		ok:      func(bool) bool { return true },
		allowed: "true or false (or the flag alone for true)"}
	*p = false
	c.fs.Var(boolChecked{v}, name, usage)
}

// String defines a string flag.
func (c *cli) String(p *string, name, def, usage string) { c.fs.StringVar(p, name, def, usage) }

// Var defines a flag of any other value.
func (c *cli) Var(v flag.Value, name, usage string) { c.fs.Var(v, name, usage) }

func withUnit(r, unit string) string {
	if unit == "" {
		return r
	}
	return r + " " + unit
}

// groupErrors says which flags are in no group or in more than one, and
// which grouped names are not flags: -h must show every flag once. Hidden
// aliases are in none.
func (c *cli) groupErrors() []string {
	seen := map[string]int{}
	var errs []string
	for _, g := range c.help.groups {
		for _, n := range g.flags {
			seen[n]++
			if c.fs.Lookup(n) == nil {
				errs = append(errs, fmt.Sprintf("group %q names --%s, which is not a flag", g.title, n))
			}
			if _, ok := c.aliases[n]; ok {
				errs = append(errs, fmt.Sprintf("group %q shows --%s, a hidden alias", g.title, n))
			}
		}
	}
	c.fs.VisitAll(func(f *flag.Flag) {
		if _, hidden := c.aliases[f.Name]; hidden {
			return
		}
		switch n := seen[f.Name]; {
		case n == 0:
			errs = append(errs, fmt.Sprintf("--%s is in no group", f.Name))
		case n > 1:
			errs = append(errs, fmt.Sprintf("--%s is in %d groups", f.Name, n))
		}
	})
	return errs
}

// helpWidth is where -h wraps a flag's description.
const helpWidth = 80

// printHelp writes the command's help: doc, each group with its flags
// (name, value kind, description, default), then the examples. A flag in
// no group is listed under "Other flags", so none is ever invisible.
func (c *cli) printHelp(w io.Writer) {
	fmt.Fprint(w, strings.TrimRight(c.help.doc, "\n")+"\n")
	groups := c.help.groups
	if errs := c.groupErrors(); len(errs) > 0 {
		var other []string
		c.fs.VisitAll(func(f *flag.Flag) {
			if _, hidden := c.aliases[f.Name]; !hidden && !c.grouped(f.Name) {
				other = append(other, f.Name)
			}
		})
		groups = append(groups[:len(groups):len(groups)], flagGroup{"Other flags", other})
	}
	for _, g := range groups {
		if len(g.flags) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.flags {
			if f := c.fs.Lookup(n); f != nil {
				printFlag(w, f)
			}
		}
	}
	if c.help.examples != "" {
		fmt.Fprint(w, "\nexamples:\n"+strings.TrimRight(c.help.examples, "\n")+"\n")
	}
}

func (c *cli) grouped(name string) bool {
	for _, g := range c.help.groups {
		for _, n := range g.flags {
			if n == name {
				return true
			}
		}
	}
	return false
}

// printFlag writes one flag as the flag package does, with two dashes:
// "  --name kind" then its description, indented and wrapped.
func printFlag(w io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	if t, ok := f.Value.(interface{ typeName() string }); ok && !strings.Contains(f.Usage, "`") {
		kind = t.typeName()
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		kind = ""
	}
	line := "  --" + f.Name
	if kind != "" {
		line += " " + kind
	}
	fmt.Fprintln(w, line)
	if !zeroDefault(f.DefValue) {
		usage += " (default " + f.DefValue + ")"
	}
	const indent = "        "
	for _, l := range wrap(usage, helpWidth-len(indent)) {
		fmt.Fprintln(w, indent+l)
	}
}

func zeroDefault(v string) bool {
	return v == "" || v == "0" || v == "false" || v == "0s"
}

// wrap breaks s into lines of at most width columns, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
