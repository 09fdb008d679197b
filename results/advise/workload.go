package advise

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Workload is a team's load, as pushbench advise reads it from flags or a
// YAML (or JSON) file whose keys are the JSON names below.
type Workload struct {
	// Clients are the concurrent users (each with Tabs streams when they
	// are browsers).
	Clients int `json:"clients"`
	// Rate is the messages the server publishes per second; each reaches
	// Fanout users.
	Rate Rate `json:"rate"`
	// Fanout is how many users each message reaches; 0: all of them.
	Fanout int `json:"fanout,omitempty"`
	// Payload is each message's payload in bytes.
	Payload int `json:"payload"`
	// Tabs are browser tabs per user, each holding one stream; 0: the
	// clients are not browsers (apps, services).
	Tabs int `json:"tabs,omitempty"`
	// TLS: clients connect over TLS.
	TLS bool `json:"tls,omitempty"`
	// Proxy is the reverse proxy in front ("", "nginx", "haproxy"),
	// ProxyTuned whether its configuration is tuned for streaming.
	Proxy      string `json:"proxy,omitempty"`
	ProxyTuned bool   `json:"proxy_tuned,omitempty"`
	// ClientMsgs is what each user sends per second; each is broadcast
	// to Fanout users like a published message.
	ClientMsgs Rate `json:"client_msgs,omitempty"`
	// SLOP99 is the p99 latency the workload needs.
	SLOP99 Duration `json:"slo_p99"`
	// Resume: clients must resume after a disconnect without loss.
	Resume bool `json:"resume,omitempty"`
	// CoresPerServer is the cores of one server; CPUTarget the share of
	// them a plan may use (0.7 by default: headroom for bursts).
	CoresPerServer float64 `json:"cores_per_server"`
	CPUTarget      float64 `json:"cpu_target,omitempty"`
	Prices         Prices  `json:"prices,omitempty"`
}

// Prices are what resources cost; 0 is "not given".
type Prices struct {
	CoreHour float64 `json:"core_hour,omitempty"`
	GiBHour  float64 `json:"gib_hour,omitempty"`
	GBEgress float64 `json:"gb_egress,omitempty"`
	// A managed WebSocket service priced per million connection-minutes
	// and per million messages (as API Gateway's WebSocket APIs are).
	ManagedConnMinuteMillion float64 `json:"managed_conn_minute_million,omitempty"`
	ManagedMessageMillion    float64 `json:"managed_message_million,omitempty"`
}

// Given says whether any self-hosted price is set.
func (p Prices) Given() bool { return p.CoreHour > 0 || p.GiBHour > 0 || p.GBEgress > 0 }

// DefaultWorkload is a Workload's defaults: what flags start from.
func DefaultWorkload() Workload {
	return Workload{Payload: 256, SLOP99: Duration(500 * time.Millisecond), CoresPerServer: 4, CPUTarget: 0.7}
}

// ParseWorkload reads a workload file (YAML or JSON) over w's values;
// unknown keys are errors.
func ParseWorkload(data []byte, w *Workload) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(w)
}

// Connections are the streams the clients hold: users times tabs.
func (w Workload) Connections() float64 {
	return float64(w.Clients) * float64(max(1, w.Tabs))
}

// FanoutConns are the streams each message reaches.
func (w Workload) FanoutConns() float64 {
	f := w.Fanout
	if f == 0 || f > w.Clients {
		f = w.Clients
	}
	return float64(f) * float64(max(1, w.Tabs))
}

// Published is the messages per second the server sends out: its own
// plus those the clients send.
func (w Workload) Published() float64 {
	return float64(w.Rate) + float64(w.ClientMsgs)*float64(w.Clients)
}

// Delivered is the messages delivered per second, over all streams.
func (w Workload) Delivered() float64 { return w.Published() * w.FanoutConns() }

// Network is the network profile whose records match the workload's
// path: loopback, or the proxy and its form (nginx-stock, haproxy-tuned).
func (w Workload) Network() string {
	if w.Proxy == "" {
		return "loopback"
	}
	if w.ProxyTuned {
		return w.Proxy + "-tuned"
	}
	return w.Proxy + "-stock"
}

// Check says what makes the workload meaningless, nil when nothing does.
// floorP99 is the raw-TCP floor's lowest measured p99 in microseconds (0
// when the evidence has none): an SLO below it cannot be met by any
// transport on the machine the records came from.
func (w Workload) Check(floorP99 float64) error {
	var bad []string
	switch {
	case w.Clients <= 0:
		bad = append(bad, fmt.Sprintf("clients %d: want at least 1", w.Clients))
	case w.Fanout < 0:
		bad = append(bad, fmt.Sprintf("fanout %d: want 0 (all users) or more", w.Fanout))
	}
	if w.Rate < 0 || math.IsNaN(float64(w.Rate)) || math.IsInf(float64(w.Rate), 0) {
		bad = append(bad, fmt.Sprintf("rate %s: a negative or infinite rate means nothing", w.Rate))
	}
	if w.ClientMsgs < 0 || math.IsNaN(float64(w.ClientMsgs)) || math.IsInf(float64(w.ClientMsgs), 0) {
		bad = append(bad, fmt.Sprintf("client messages %s: a negative or infinite rate means nothing", w.ClientMsgs))
	}
	if w.Rate == 0 && w.ClientMsgs == 0 {
		bad = append(bad, "rate 0 and no client messages: nothing is pushed (give --rate)")
	}
	if w.Payload < 0 {
		bad = append(bad, fmt.Sprintf("payload %d bytes: want 0 or more", w.Payload))
	}
	if w.Tabs < 0 {
		bad = append(bad, fmt.Sprintf("tabs %d: want 0 (not browsers) or more", w.Tabs))
	}
	if w.SLOP99 <= 0 {
		bad = append(bad, fmt.Sprintf("SLO p99 %s: want a positive duration", time.Duration(w.SLOP99)))
	} else if floorP99 > 0 && float64(time.Duration(w.SLOP99).Microseconds()) < floorP99 {
		bad = append(bad, fmt.Sprintf("SLO p99 %s is below the raw-TCP floor's lowest measured p99 (%s): no transport can meet it on the machine measured", time.Duration(w.SLOP99), usString(floorP99)))
	}
	if w.Proxy != "" && w.Proxy != "nginx" && w.Proxy != "haproxy" {
		bad = append(bad, fmt.Sprintf("proxy %q: want nginx or haproxy", w.Proxy))
	}
	if w.ProxyTuned && w.Proxy == "" {
		bad = append(bad, "proxy tuned without a proxy: give --proxy too")
	}
	if !(w.CoresPerServer > 0) {
		bad = append(bad, fmt.Sprintf("cores per server %g: want more than 0", w.CoresPerServer))
	}
	if !(w.CPUTarget > 0 && w.CPUTarget <= 1) {
		bad = append(bad, fmt.Sprintf("CPU target %g: want more than 0, at most 1", w.CPUTarget))
	}
	p := w.Prices
	for _, v := range []float64{p.CoreHour, p.GiBHour, p.GBEgress, p.ManagedConnMinuteMillion, p.ManagedMessageMillion} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			bad = append(bad, fmt.Sprintf("price %g: want 0 or more", v))
			break
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}

// Rate is events per second, written as "10/s", "1/min", "2/h" or a bare
// number (per second).
type Rate float64

// ParseRate reads a Rate.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(s, "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q: want a number per unit, like 10/s, 1/min or 2/h", s)
	}
	if !hasUnit {
		return Rate(v), nil
	}
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		return Rate(v), nil
	case "m", "min", "minute":
		return Rate(v / 60), nil
	case "h", "hour":
		return Rate(v / 3600), nil
	case "d", "day":
		return Rate(v / 86400), nil
	}
	return 0, fmt.Errorf("rate %q: unit %q; want s, min, h or d", s, unit)
}

// String writes the rate per second, or per minute or hour when smaller.
func (r Rate) String() string {
	v := float64(r)
	switch {
	case v == 0 || math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'g', 4, 64) + "/s"
	case math.Abs(v*60) >= 1:
		return strconv.FormatFloat(v*60, 'g', 4, 64) + "/min"
	}
	return strconv.FormatFloat(v*3600, 'g', 4, 64) + "/h"
}

// UnmarshalText reads "1/min".
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	*r = v
	return err
}

// MarshalText writes the rate as String does.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalJSON takes a string ("1/min") or a number (per second).
func (r *Rate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*r = Rate(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("rate: want a number or a string like \"1/min\"")
	}
	return r.UnmarshalText([]byte(s))
}

// Duration is a time.Duration written as "500ms".
type Duration time.Duration

// MarshalText writes the duration as time.Duration does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "500ms".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, like 500ms or 1s", b)
	}
	*d = Duration(v)
	return nil
}

// usString writes microseconds as a duration.
func usString(us float64) string {
	d := time.Duration(us * 1e3)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fµs", us)
}
