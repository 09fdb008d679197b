package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Limits keep a scenario within what one machine can do and what a run can
// bound in time.
const (
	MaxClients  = 10_000_000
	MaxRate     = 1e6
	MaxPayload  = 16 << 20
	MaxDuration = 30 * time.Minute
	MaxSteps    = 20
	// MaxMessages is the most messages one step may publish: the server's
	// schedule limit (serve.MaxCount).
	MaxMessages = 1 << 32
	// MaxSetting bounds the server and client timing settings (serve's
	// flags allow 1ms to 1h).
	MaxSetting = time.Hour
	MinSetting = time.Millisecond
	// MaxRingBytes and MinRingBytes bound ring_bytes (serve's --max-ring-bytes).
	MinRingBytes = 4 << 10
	MaxRingBytes = 1 << 40
	// entryOverhead is what the server's log counts per message beside
	// its payload (msglog.EntryOverhead plus the JSON around the payload).
	entryOverhead = 96 + 128
	// defaultRingBytes is serve's --max-ring-bytes default.
	defaultRingBytes = 256 << 20
)

// EntryBytes is the most a message of payload bytes counts against the
// server's ring budget: text, or binary, held twice (raw, and base64 at
// 4 bytes per 3; serve.EntrySize).
func EntryBytes(payload int, binary bool) int64 {
	if binary {
		return entryOverhead + int64(payload) + 21 + int64((payload+2)/3*4)
	}
	return int64(payload) + entryOverhead
}

// Validate checks every field and names the first bad one and what is
// allowed.
func (sc Scenario) Validate() error {
	for _, check := range []func() error{
		sc.validateKind, sc.validateSteps, sc.validateTraffic, sc.validateTimes,
		sc.validateServer, sc.validateClients, sc.validateRun,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// badField names a bad field and what is wrong with it.
func badField(field, format string, args ...any) error {
	return fmt.Errorf("field %q: %s", field, fmt.Sprintf(format, args...))
}

// validateKind checks the name, the kind and a browser scenario's fields.
func (sc Scenario) validateKind() error {
	if !nameRE.MatchString(sc.Name) {
		return badField("name", "%q: want 1-40 characters of a-z, 0-9, _ or -, starting with a letter or digit", sc.Name)
	}
	switch sc.Kind {
	case Broadcast, Idle, Churn, Chat, Browser:
	default:
		return badField("kind", "%q: allowed: %s, %s, %s, %s, %s", sc.Kind, Broadcast, Idle, Churn, Chat, Browser)
	}
	return sc.validateBrowser()
}

// validateSteps checks the stepped lists: clients, rate and payload.
func (sc Scenario) validateSteps() error {
	if len(sc.Clients) == 0 || len(sc.Clients) > MaxSteps {
		return badField("clients", "want 1 to %d client counts", MaxSteps)
	}
	for _, c := range sc.Clients {
		if c < 1 || c > MaxClients {
			return badField("clients", "%d: allowed 1 to %d", c, MaxClients)
		}
	}
	stepped := 0
	for _, n := range []int{len(sc.Clients), len(sc.Rate), len(sc.Payload)} {
		if n > 1 {
			stepped++
		}
	}
	if stepped > 1 {
		return badField("clients", "only one of clients, rate and payload may list several values (it is the stepped parameter)")
	}
	if len(sc.Rate) > MaxSteps || len(sc.Payload) > MaxSteps {
		return badField("rate", "at most %d steps", MaxSteps)
	}
	for _, r := range sc.Rate {
		if !(r >= 0.001 && r <= MaxRate) { // also NaN
			return badField("rate", "%g: allowed 0.001 up to %g messages per second", r, MaxRate)
		}
		if r*(sc.Warmup.Seconds()+sc.Duration.Seconds()) > MaxMessages {
			return badField("rate", "%g for %v would publish over %d messages in one step", r, sc.Warmup.Duration+sc.Duration.Duration, MaxMessages)
		}
	}
	for _, p := range sc.Payload {
		if p < 0 || p > MaxPayload {
			return badField("payload", "%d: allowed 0 to %d bytes", p, MaxPayload)
		}
	}
	return nil
}

// validateTraffic checks that the kind has the traffic it needs: a rate
// or a burst, none for idle, a lifetime for churn.
func (sc Scenario) validateTraffic() error {
	switch {
	case sc.Kind != Idle && len(sc.Rate) == 0 && sc.Burst == nil:
		return badField("rate", "a %s scenario needs a rate or a burst", sc.Kind)
	case sc.Kind == Idle && (len(sc.Rate) > 0 || sc.Burst != nil):
		return badField("rate", "an idle scenario publishes nothing: remove rate and burst")
	case sc.Kind == Chat && (len(sc.Rate) == 0 || sc.Burst != nil):
		return badField("rate", "a chat scenario needs a per-client send rate and no burst")
	case sc.Kind == Churn && sc.Lifetime.Duration <= 0:
		return badField("lifetime", "a churn scenario needs a connection lifetime, e.g. \"2s\"")
	}
	if sc.Burst != nil && (sc.Burst.Size < 1 || sc.Burst.Size > 100000 || sc.Burst.Every.Duration < MinSetting || sc.Burst.Every.Duration > MaxDuration) {
		return badField("burst", "want size 1 to 100000 and every %v to %v", MinSetting, MaxDuration)
	}
	if sc.Burst != nil && float64(sc.Burst.Size)*float64(sc.Warmup.Duration+sc.Duration.Duration)/float64(sc.Burst.Every.Duration) > MaxMessages {
		return badField("burst", "%d every %v would publish over %d messages in one step", sc.Burst.Size, sc.Burst.Every.Duration, MaxMessages)
	}
	return nil
}

// validateTimes checks the durations and rates of the run's clock.
func (sc Scenario) validateTimes() error {
	if sc.Duration.Duration <= 0 || sc.Duration.Duration > MaxDuration {
		return badField("duration", "%v: allowed above 0 up to %v", sc.Duration.Duration, MaxDuration)
	}
	if sc.Warmup.Duration < 0 || sc.Warmup.Duration > MaxDuration {
		return badField("warmup", "%v: allowed 0 up to %v", sc.Warmup.Duration, MaxDuration)
	}
	if sc.PollInterval.Duration < time.Millisecond || sc.PollInterval.Duration > MaxSetting {
		return badField("poll_interval", "%v: allowed 1ms to %v", sc.PollInterval.Duration, MaxSetting)
	}
	if !(sc.ConnectRate > 0 && sc.ConnectRate <= 100000) {
		return badField("connect_rate", "%g: allowed above 0 up to 100000 clients per second", sc.ConnectRate)
	}
	if sc.SLO.Duration <= 0 || sc.SLO.Duration > time.Minute {
		return badField("slo", "%v: want a positive p99 target up to 1m", sc.SLO.Duration)
	}
	if sc.Lifetime.Duration < 0 || sc.Lifetime.Duration > MaxDuration {
		return badField("lifetime", "%v: allowed 0 up to %v", sc.Lifetime.Duration, MaxDuration)
	}
	return nil
}

// validateServer checks the server's settings: the ring, binary payloads
// and what fits the ring's byte budget, the fault.
func (sc Scenario) validateServer() error {
	if sc.Ring < 100 || sc.Ring > 10_000_000 {
		return badField("ring", "%d: allowed 100 to 10000000 messages", sc.Ring)
	}
	if sc.RingBytes != 0 && (sc.RingBytes < MinRingBytes || sc.RingBytes > MaxRingBytes) {
		return badField("ring_bytes", "%d: allowed 0 (serve's default, %d) or %d to %d bytes", sc.RingBytes, defaultRingBytes, MinRingBytes, int64(MaxRingBytes))
	}
	budget := sc.RingBytes
	if budget == 0 {
		budget = defaultRingBytes
	}
	if sc.Binary && sc.Kind != Broadcast && sc.Kind != Churn {
		return badField("binary", "%s scenarios have no server-published payload to make binary: binary is for %s and %s scenarios", sc.Kind, Broadcast, Churn)
	}
	for _, p := range sc.Payload {
		if need := EntryBytes(p, sc.Binary); need > budget {
			return badField("payload", "%d bytes does not fit the ring's byte budget %d: raise ring_bytes to at least %d", p, budget, need)
		}
	}
	if err := sc.Fault.validate(); err != nil {
		return err
	}
	return nil
}

// validateClients checks the clients' and connections' settings.
func (sc Scenario) validateClients() error {
	for _, f := range []struct {
		field string
		v     int
	}{{"streams_per_conn", sc.StreamsPerConn}, {"max_streams", sc.MaxStreams}} {
		if f.v < 0 || f.v > 100_000 {
			return badField(f.field, "%d: allowed 0 (the default) or 1 to 100000 streams", f.v)
		}
	}
	if m := sc.ClientMode; m != "" && m != "goroutine" && m != "reactor" {
		return badField("client_mode", "%.20q: allowed \"reactor\", \"goroutine\" or absent (goroutines)", m)
	}
	if sc.Queue < 0 || sc.Queue > 10_000_000 {
		return badField("queue", "%d: allowed 0 (serve's default) or 1 to 10000000 messages", sc.Queue)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"heartbeat", sc.Heartbeat.Duration}, {"hold_timeout", sc.HoldTimeout.Duration}, {"read_timeout", sc.ReadTimeout.Duration}} {
		if d.v != 0 && (d.v < MinSetting || d.v > MaxSetting) {
			return badField(d.field, "%v: allowed 0 (the default) or %v to %v", d.v, MinSetting, MaxSetting)
		}
	}
	if err := sc.Reconnect.validate(); err != nil {
		return err
	}
	return nil
}

// validateRun checks the suite and the repetitions.
func (sc Scenario) validateRun() error {
	if !slices.Contains(Suites, sc.Suite) {
		return badField("suite", "%q: allowed \"\" (the default suite), %q", sc.Suite, Suites[1:])
	}
	if sc.Repetitions < 1 || sc.Repetitions > 100 {
		return badField("repetitions", "%d: allowed 1 to 100", sc.Repetitions)
	}
	return nil
}

func (r *Reconnect) validate() error {
	if r == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", r.Delay.Duration}, {"max", r.Max.Duration}, {"sse_default", r.SSEDefault.Duration}} {
		if d.v < 0 || d.v > MaxSetting {
			return fmt.Errorf("field %q: %s %v: allowed 0 (the default) to %v", "reconnect", d.name, d.v, MaxSetting)
		}
	}
	return nil
}

func (f *Fault) validate() error {
	if f == nil {
		return nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("field %q: %s", "fault", fmt.Sprintf(format, args...))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"every", f.Every.Duration}, {"for", f.For.Duration}, {"idle", f.Idle.Duration}, {"delay", f.Delay.Duration}} {
		if d.v < 0 || d.v > MaxDuration {
			return bad("%s %v: allowed 0 to %v", d.name, d.v, MaxDuration)
		}
	}
	switch f.Type {
	case FaultReset:
		if f.Every.Duration < 100*time.Millisecond {
			return bad("reset needs every >= 100ms")
		}
	case FaultStall:
		if f.Every.Duration <= f.For.Duration || f.For.Duration <= 0 {
			return bad("stall needs for > 0 and every > for")
		}
	case FaultRestart:
		if f.Every.Duration < 500*time.Millisecond {
			return bad("restart needs every >= 500ms")
		}
	case FaultIdleClose:
		if f.Idle.Duration < 100*time.Millisecond {
			return bad("idle-close needs idle >= 100ms")
		}
	case FaultSlowReader:
		if !(f.Fraction > 0 && f.Fraction <= 1) || f.Delay.Duration <= 0 {
			return bad("slow-reader needs fraction in (0, 1] and a per-message delay > 0")
		}
	default:
		return bad("type %q: allowed %s, %s, %s, %s, %s", f.Type, FaultReset, FaultStall, FaultIdleClose, FaultSlowReader, FaultRestart)
	}
	return nil
}

func (sc Scenario) validateBrowser() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("field %q: %s", "browser", fmt.Sprintf(format, args...))
	}
	b := sc.Browser
	switch {
	case sc.Kind != Browser && b != nil:
		return bad("only a %q scenario has browser settings (kind is %q)", Browser, sc.Kind)
	case sc.Kind != Browser:
		return nil
	case b == nil:
		return bad("a browser scenario needs {\"tabs\": N, \"streams\": M}")
	case b.Tabs < 1 || b.Tabs > MaxTabs:
		return bad("tabs %d: allowed 1 to %d", b.Tabs, MaxTabs)
	case b.Streams < 1 || b.Streams > MaxStreams:
		return bad("streams %d: allowed 1 to %d per tab", b.Streams, MaxStreams)
	case b.OpenTimeout.Duration < 0 || b.OpenTimeout.Duration > time.Minute:
		return bad("open_timeout %v: allowed 0 (2s) up to 1m", b.OpenTimeout.Duration)
	case len(b.Protocols) == 0 || len(b.Protocols) > 2:
		return bad("protocols: want one or both of %q, %q", HTTP1, HTTP2)
	}
	for i, p := range b.Protocols {
		if p != HTTP1 && p != HTTP2 {
			return bad("protocols %q: allowed %q, %q", p, HTTP1, HTTP2)
		}
		if slices.Contains(b.Protocols[:i], p) {
			return bad("protocols: %q twice", p)
		}
	}
	if len(sc.Clients) != 1 || sc.Clients[0] != b.Tabs*b.Streams {
		return fmt.Errorf("field %q: a browser scenario's clients are its tabs x streams (%d): omit clients", "clients", b.Tabs*b.Streams)
	}
	if len(sc.Rate) != 1 || len(sc.Payload) != 1 || sc.Burst != nil {
		return fmt.Errorf("field %q: a browser scenario publishes one rate and one payload, no burst", "rate")
	}
	if sc.Fault != nil {
		return fmt.Errorf("field %q: a browser scenario injects no fault", "fault")
	}
	return nil
}
