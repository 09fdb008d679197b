package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pushbench/pushbench/results/advise"
)

const adviseDoc = `usage: pushbench advise [flags] [DIR...]

Sizes a workload on every transport and implementation measured in the
results folders DIR (default: the newest of out/bench, written by make
bench, and out/quick, by make bench-quick) and ranks them: feasible or why
not, servers, cores, memory (RSS; the kernel's memory per socket is not
measured), egress and cost per month, and the predicted p99 with its 95%
interval, each row citing the records it used.

The cost models are fitted from the records per repetition (server RSS
and CPU against idle connections, CPU per delivered message, wire bytes
per message and per idle minute, p99 against the clients a broadcast
reaches), each validated by predicting its largest measured size from the
others; the hold-out error is printed beside each model. See
docs/ADVISE.md.

The workload comes from the flags, or from a YAML file (--workload) whose
keys are the flags' names with underscores (clients, rate, fanout,
payload, tabs, tls, proxy, proxy_tuned, client_msgs, slo_p99, resume,
cores_per_server, cpu_target, prices: {core_hour, gib_hour, gb_egress,
managed_conn_minute_million, managed_message_million}); flags given
override the file.

With --calibrate it first runs a short measurement on this machine and
adds its folder to the evidence.

Exit status: 0 ranked, 1 the evidence could not be read, 2 bad flags or
a workload that makes no sense (a negative rate, an SLO below the raw-TCP
floor's measured p99), with the reason.
`

const adviseExamples = `  pushbench advise --clients 200000 --rate 1/min --payload 512 --tls --proxy nginx --slo-p99 500ms out/bench
  pushbench advise --clients 1250 --tabs 8 --rate 1/s --payload 256 out/bench   # 10,000 browser tabs
  pushbench advise --clients 5000 --fanout 50 --client-msgs 1/min --rate 0 --format markdown out/bench
  pushbench advise --workload team.yaml --price-core-hour 0.04 --price-gib-hour 0.005 --price-gb-egress 0.09
`

// adviseOpts is what advise's flags set.
type adviseOpts struct {
	w            advise.Workload
	file         string
	format       string
	calibrate    bool
	calibrateOut string
	clients      int
	payload      int64
	slo          time.Duration
	rate, cm     rateFlag
}

// rateFlag is a --rate value: "10/s", "1/min", "2/h" or a number per
// second.
type rateFlag struct {
	c    *cli
	name string
	p    *advise.Rate
}

func (r rateFlag) Set(s string) error {
	v, err := advise.ParseRate(s)
	if err != nil {
		e := &valueError{Flag: r.name, Value: s, Allowed: "a number per s, min, h or d, like 10/s or 1/min"}
		if r.c.bad == nil {
			r.c.bad = e
		}
		return e
	}
	*r.p = v
	return nil
}

func (r rateFlag) String() string {
	if r.p == nil || *r.p == 0 {
		return ""
	}
	return r.p.String()
}

func (rateFlag) typeName() string { return "rate" }

// adviseCLI defines advise's flags over o, their defaults o.w's values.
func adviseCLI(o *adviseOpts, stderr io.Writer) *cli {
	c := newCLI("advise", stderr)
	c.help = help{doc: adviseDoc, examples: adviseExamples, groups: []flagGroup{
		{"Workload", []string{"workload", "clients", "rate", "fanout", "payload", "client-msgs", "tabs", "tls", "proxy", "proxy-tuned", "resume", "slo-p99"}},
		{"Servers and prices", []string{"cores-per-server", "cpu-target", "price-core-hour", "price-gib-hour", "price-gb-egress", "price-managed-conn-minute", "price-managed-message"}},
		{"Evidence", []string{"calibrate", "calibrate-out"}},
		{"Output", []string{"format"}},
	}}
	w := &o.w
	c.String(&o.file, "workload", "", "YAML (or JSON) `file` holding the workload; flags given override it")
	c.Int(&w.Clients, "clients", w.Clients, 0, math.MaxInt32, "users", "concurrent users (each with --tabs streams in browsers)")
	o.rate = rateFlag{c, "rate", &w.Rate}
	c.Var(o.rate, "rate", "messages the server publishes, e.g. 10/s or 1/min; each reaches --fanout users")
	c.Int(&w.Fanout, "fanout", w.Fanout, 0, math.MaxInt32, "users", "users each message reaches (default: all)")
	o.payload = int64(w.Payload)
	c.Bytes(&o.payload, "payload", o.payload, 0, 64<<20, "payload bytes per message")
	o.cm = rateFlag{c, "client-msgs", &w.ClientMsgs}
	c.Var(o.cm, "client-msgs", "messages each user sends, e.g. 1/min (chat); each is broadcast to --fanout users")
	c.Int(&w.Tabs, "tabs", w.Tabs, 0, 1000, "tabs", "browser tabs per user, one stream each (default: not browsers)")
	tls, tuned, resume := w.TLS, w.ProxyTuned, w.Resume // Bool resets what it defines
	c.Bool(&w.TLS, "tls", "clients connect over TLS")
	c.String(&w.Proxy, "proxy", w.Proxy, "reverse proxy in front: nginx or haproxy (records of --network nginx-stock, haproxy-tuned...)")
	c.Bool(&w.ProxyTuned, "proxy-tuned", "the proxy is configured for streaming (its tuned form; default: stock)")
	c.Bool(&w.Resume, "resume", "clients must resume after a disconnect without loss")
	w.TLS, w.ProxyTuned, w.Resume = tls, tuned, resume
	c.Duration(&o.slo, "slo-p99", time.Duration(w.SLOP99), time.Microsecond, time.Hour, "the p99 latency the workload needs")
	c.Float(&w.CoresPerServer, "cores-per-server", w.CoresPerServer, func(f float64) bool { return f > 0 && f <= 1024 }, "more than 0, at most 1024", "cores of one server")
	c.Float(&w.CPUTarget, "cpu-target", w.CPUTarget, func(f float64) bool { return f > 0 && f <= 1 }, "more than 0, at most 1", "share of a server's cores a plan may use")
	price := func(p *float64, name, usage string) {
		c.Float(p, name, *p, func(f float64) bool { return f >= 0 && !math.IsInf(f, 0) }, "0 or more", usage)
	}
	price(&w.Prices.CoreHour, "price-core-hour", "price of a core for an hour")
	price(&w.Prices.GiBHour, "price-gib-hour", "price of a GiB of memory for an hour")
	price(&w.Prices.GBEgress, "price-gb-egress", "price of a GB (1e9 bytes) sent to clients")
	price(&w.Prices.ManagedConnMinuteMillion, "price-managed-conn-minute", "a managed WebSocket service's price per million connection-minutes (adds its row)")
	price(&w.Prices.ManagedMessageMillion, "price-managed-message", "a managed WebSocket service's price per million messages (adds its row)")
	c.String(&o.format, "format", "text", "output: text, markdown or json")
	calib := o.calibrate
	c.Bool(&o.calibrate, "calibrate", "first measure this machine (idle, fanout, throughput and chat at three sizes, two repetitions on loopback; several minutes, with progress lines) and add that folder to the evidence")
	o.calibrate = calib
	c.String(&o.calibrateOut, "calibrate-out", o.calibrateOut, "where --calibrate writes its results (default out/calibrate-TIMESTAMP)")
	return c
}

func runAdvise(args []string, stdout, stderr io.Writer) error {
	o := adviseOpts{w: advise.DefaultWorkload()}
	dirs, err := adviseCLI(&o, stderr).parseInterspersed(args, true)
	if err != nil {
		return err
	}
	if o.file != "" {
		// The file first, then the flags again over it.
		w := advise.DefaultWorkload()
		b, err := os.ReadFile(o.file)
		if err != nil {
			return usageError{fmt.Sprintf("--workload: %v", err)}
		}
		if err := advise.ParseWorkload(b, &w); err != nil {
			return usageError{fmt.Sprintf("--workload %s: %v", o.file, err)}
		}
		o = adviseOpts{w: w, calibrate: o.calibrate, calibrateOut: o.calibrateOut}
		if dirs, err = adviseCLI(&o, io.Discard).parseInterspersed(args, true); err != nil {
			return err
		}
	}
	o.w.Payload, o.w.SLOP99 = int(o.payload), advise.Duration(o.slo)
	switch o.format {
	case advise.FormatText, advise.FormatMarkdown, advise.FormatJSON:
	default:
		return usageError{fmt.Sprintf("--format %s: allowed text, markdown or json", quoteIfNeeded(o.format))}
	}
	if o.calibrate {
		d, err := calibrate(o.calibrateOut, stderr)
		if err != nil {
			return err
		}
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		d, err := latestBench()
		if err != nil {
			return usageError{err.Error()}
		}
		dirs = []string{d}
	}
	ev, err := advise.Load(dirs...)
	if err != nil {
		return err
	}
	set := advise.Build(ev)
	a, err := advise.Rank(o.w, set)
	if err != nil {
		return usageError{"workload: " + err.Error()}
	}
	return advise.Output{Advice: a, Models: set, Evidence: dirs}.Write(stdout, o.format)
}

// benchFolders are where make bench and make bench-quick write.
var benchFolders = []string{filepath.Join("out", "bench"), filepath.Join("out", "quick")}

// latestBench is the newest of benchFolders holding results.
func latestBench() (string, error) {
	best, bestTime := "", time.Time{}
	for _, d := range benchFolders {
		for _, f := range []string{"results.json", "records"} {
			st, err := os.Stat(filepath.Join(d, f))
			if err == nil && st.ModTime().After(bestTime) {
				best, bestTime = d, st.ModTime()
			}
		}
	}
	if best == "" {
		return "", fmt.Errorf("no results folder given and none of %s holds results: run make bench, or name a folder of pushbench run", strings.Join(benchFolders, ", "))
	}
	return best, nil
}
