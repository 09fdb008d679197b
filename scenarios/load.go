package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed builtin/*.json
var builtinFS embed.FS

// DefaultSuite is the built-ins that make bench runs: all but the
// "faults" suite.
func DefaultSuite() ([]Scenario, error) {
	all, err := Builtins()
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, sc := range all {
		if sc.Suite == "" {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Suite returns the built-ins of a named suite.
func Suite(name string) ([]Scenario, error) {
	all, err := Builtins()
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, sc := range all {
		if sc.Suite == name {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Builtins returns the built-in scenarios, in the suite's order.
func Builtins() ([]Scenario, error) {
	ents, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, e := range ents {
		b, err := builtinFS.ReadFile(path.Join("builtin", e.Name()))
		if err != nil {
			return nil, err
		}
		sc, err := Parse("built-in "+e.Name(), b)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Name) < order(out[j].Name) })
	return out, nil
}

var suiteOrder = []string{"latency", "fanout", "throughput", "idle", "payload", "payload-binary", "burst", "chat", "churn",
	"fault-reset", "fault-stall", "fault-idle-close", "fault-idle-close-heartbeat", "fault-slow-reader", "fault-restart",
	"browser-latency", "browser-c13", "scale-idle", "scale-fanout", "fanout-1m", "tls-idle", "tls-latency", "tls-handshake", "tls-handshake-full", "h2-streams", "h2-slow-stream",
	"targets-latency", "targets-idle", "targets-fanout", "stacks-latency", "stacks-idle", "stacks-fanout"}

func order(name string) int {
	for i, n := range suiteOrder {
		if n == name {
			return i
		}
	}
	return len(suiteOrder)
}

// Find resolves a name to a built-in or a path to a scenario file.
func Find(nameOrFile string) (Scenario, error) {
	if strings.HasSuffix(nameOrFile, ".json") || strings.ContainsRune(nameOrFile, os.PathSeparator) {
		b, err := os.ReadFile(nameOrFile)
		if err != nil {
			return Scenario{}, fmt.Errorf("failed to read scenario file: %w", err)
		}
		return Parse(nameOrFile, b)
	}
	all, err := Builtins()
	if err != nil {
		return Scenario{}, err
	}
	var names []string
	for _, sc := range all {
		if sc.Name == nameOrFile {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q: give a built-in (%s) or a .json file", nameOrFile, strings.Join(names, ", "))
}

// Parse decodes and validates a scenario; errors name src and the field.
func Parse(src string, b []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", src, explain(b, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scenario{}, fmt.Errorf("%s: unexpected data after the scenario object", src)
	}
	sc.Source = src
	sc.defaults()
	if err := sc.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", src, err)
	}
	if sc.Quick != nil {
		if _, err := sc.QuickForm(); err != nil {
			return Scenario{}, fmt.Errorf("%s: quick: %w", src, err)
		}
	}
	return sc, nil
}

// explain turns a json decoding error into one naming the field.
func explain(b []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("field %q: got a JSON %s, want %s", te.Field, te.Value, describeType(te.Type.String()))
	case errors.As(err, &se):
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Errorf("line %d: invalid JSON: %v", line, se)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return fmt.Errorf("%s (allowed: %s)", strings.TrimPrefix(err.Error(), "json: "), strings.Join(fieldNames(), ", "))
	}
	return err
}

func describeType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list of " + strings.TrimPrefix(t, "[]") + " values"
	case strings.Contains(t, "Duration"):
		return `a duration string like "1.5s"`
	}
	return "a " + t
}

func fieldNames() []string {
	return []string{"name", "question", "kind", "transports", "clients", "rate", "payload", "binary", "burst", "warmup",
		"duration", "poll_interval", "connect_rate", "lifetime", "slo", "stop_at_slo", "repetitions", "ring", "ring_bytes", "fault", "heartbeat", "hold_timeout", "queue", "read_timeout", "reconnect", "tls_resumption", "streams_per_conn", "max_streams", "client_mode", "browser", "suite", "quick"}
}

func (sc *Scenario) defaults() {
	if sc.PollInterval.Duration == 0 {
		sc.PollInterval.Duration = time.Second
	}
	if sc.ConnectRate == 0 {
		sc.ConnectRate = 1000
	}
	if sc.SLO.Duration == 0 {
		sc.SLO.Duration = 500 * time.Millisecond
	}
	if sc.Repetitions == 0 {
		sc.Repetitions = 1
	}
	if sc.Ring == 0 {
		sc.Ring = 100000
	}
	if len(sc.Payload) == 0 {
		sc.Payload = []int{64}
	}
	if b := sc.Browser; b != nil && sc.Kind == Browser {
		if len(b.Protocols) == 0 {
			b.Protocols = []string{HTTP1}
		}
		if b.OpenTimeout.Duration == 0 {
			b.OpenTimeout.Duration = 2 * time.Second
		}
		if len(sc.Clients) == 0 {
			sc.Clients = []int{b.Tabs * b.Streams}
		}
	}
}

// QuickForm returns the scenario with its Quick overrides applied.
func (sc Scenario) QuickForm() (Scenario, error) {
	if sc.Quick == nil {
		return sc, nil
	}
	q := *sc.Quick
	out := sc
	out.Quick = nil
	if len(q.Clients) > 0 {
		out.Clients = q.Clients
	}
	if len(q.Rate) > 0 {
		out.Rate = q.Rate
	}
	if len(q.Payload) > 0 {
		out.Payload = q.Payload
	}
	if q.Burst != nil {
		out.Burst = q.Burst
	}
	for _, d := range []struct{ dst, src *Duration }{
		{&out.Warmup, &q.Warmup}, {&out.Duration, &q.Duration}, {&out.PollInterval, &q.PollInterval},
		{&out.Lifetime, &q.Lifetime}, {&out.SLO, &q.SLO},
	} {
		if d.src.Duration != 0 {
			*d.dst = *d.src
		}
	}
	if q.ConnectRate != 0 {
		out.ConnectRate = q.ConnectRate
	}
	if q.Repetitions != 0 {
		out.Repetitions = q.Repetitions
	}
	if q.Ring != 0 {
		out.Ring = q.Ring
	}
	if q.RingBytes != 0 {
		out.RingBytes = q.RingBytes
	}
	if q.Fault != nil {
		out.Fault = q.Fault
	}
	if q.Browser != nil {
		qb := *q.Browser
		if len(qb.Protocols) == 0 {
			qb.Protocols = out.Browser.Protocols
		}
		if qb.OpenTimeout.Duration == 0 {
			qb.OpenTimeout = out.Browser.OpenTimeout
		}
		out.Browser = &qb
		if len(q.Clients) == 0 {
			out.Clients = []int{qb.Tabs * qb.Streams}
		}
	}
	return out, out.Validate()
}
