package scenarios

import (
	"fmt"
	"regexp"
	"time"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Limits keep a scenario within what one machine can do and what a run can
// bound in time.
const (
	MaxClients  = 200000
	MaxRate     = 1e6
	MaxPayload  = 16 << 20
	MaxDuration = 30 * time.Minute
	MaxSteps    = 20
)

// Validate checks every field and names the first bad one and what is
// allowed.
func (sc Scenario) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("field %q: %s", field, fmt.Sprintf(format, args...))
	}
	if !nameRE.MatchString(sc.Name) {
		return bad("name", "%q: want 1-40 characters of a-z, 0-9, _ or -, starting with a letter or digit", sc.Name)
	}
	switch sc.Kind {
	case Broadcast, Idle, Churn, Chat:
	default:
		return bad("kind", "%q: allowed: %s, %s, %s, %s", sc.Kind, Broadcast, Idle, Churn, Chat)
	}
	if len(sc.Clients) == 0 || len(sc.Clients) > MaxSteps {
		return bad("clients", "want 1 to %d client counts", MaxSteps)
	}
	for _, c := range sc.Clients {
		if c < 1 || c > MaxClients {
			return bad("clients", "%d: allowed 1 to %d", c, MaxClients)
		}
	}
	stepped := 0
	for _, n := range []int{len(sc.Clients), len(sc.Rate), len(sc.Payload)} {
		if n > 1 {
			stepped++
		}
	}
	if stepped > 1 {
		return bad("clients", "only one of clients, rate and payload may list several values (it is the stepped parameter)")
	}
	if len(sc.Rate) > MaxSteps || len(sc.Payload) > MaxSteps {
		return bad("rate", "at most %d steps", MaxSteps)
	}
	for _, r := range sc.Rate {
		if r <= 0 || r > MaxRate {
			return bad("rate", "%g: allowed above 0 up to %g messages per second", r, MaxRate)
		}
	}
	for _, p := range sc.Payload {
		if p < 0 || p > MaxPayload {
			return bad("payload", "%d: allowed 0 to %d bytes", p, MaxPayload)
		}
	}
	switch {
	case sc.Kind != Idle && len(sc.Rate) == 0 && sc.Burst == nil:
		return bad("rate", "a %s scenario needs a rate or a burst", sc.Kind)
	case sc.Kind == Idle && (len(sc.Rate) > 0 || sc.Burst != nil):
		return bad("rate", "an idle scenario publishes nothing: remove rate and burst")
	case sc.Kind == Chat && (len(sc.Rate) == 0 || sc.Burst != nil):
		return bad("rate", "a chat scenario needs a per-client send rate and no burst")
	case sc.Kind == Churn && sc.Lifetime.Duration <= 0:
		return bad("lifetime", "a churn scenario needs a connection lifetime, e.g. \"2s\"")
	}
	if sc.Burst != nil && (sc.Burst.Size < 1 || sc.Burst.Size > 100000 || sc.Burst.Every.Duration <= 0) {
		return bad("burst", "want size 1 to 100000 and every > 0")
	}
	if sc.Duration.Duration <= 0 || sc.Duration.Duration > MaxDuration {
		return bad("duration", "%v: allowed above 0 up to %v", sc.Duration.Duration, MaxDuration)
	}
	if sc.Warmup.Duration < 0 || sc.Warmup.Duration > MaxDuration {
		return bad("warmup", "%v: allowed 0 up to %v", sc.Warmup.Duration, MaxDuration)
	}
	if sc.PollInterval.Duration < time.Millisecond {
		return bad("poll_interval", "%v: allowed 1ms or more", sc.PollInterval.Duration)
	}
	if sc.ConnectRate <= 0 || sc.ConnectRate > 100000 {
		return bad("connect_rate", "%g: allowed above 0 up to 100000 clients per second", sc.ConnectRate)
	}
	if sc.SLO.Duration <= 0 {
		return bad("slo", "want a positive p99 target")
	}
	if sc.Ring < 100 || sc.Ring > 10_000_000 {
		return bad("ring", "%d: allowed 100 to 10000000 messages", sc.Ring)
	}
	if err := sc.Fault.validate(); err != nil {
		return err
	}
	if sc.Queue < 0 || sc.Heartbeat.Duration < 0 || sc.HoldTimeout.Duration < 0 || sc.ReadTimeout.Duration < 0 {
		return bad("queue", "queue, heartbeat, hold_timeout and read_timeout must not be negative")
	}
	if sc.Suite != "" && sc.Suite != "faults" {
		return bad("suite", "%q: allowed \"\" (the default suite) or \"faults\"", sc.Suite)
	}
	if sc.Repetitions < 1 || sc.Repetitions > 100 {
		return bad("repetitions", "%d: allowed 1 to 100", sc.Repetitions)
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
		if f.Fraction <= 0 || f.Fraction > 1 || f.Delay.Duration <= 0 {
			return bad("slow-reader needs fraction in (0, 1] and a per-message delay > 0")
		}
	default:
		return bad("type %q: allowed %s, %s, %s, %s, %s", f.Type, FaultReset, FaultStall, FaultIdleClose, FaultSlowReader, FaultRestart)
	}
	return nil
}
