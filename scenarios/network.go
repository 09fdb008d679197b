package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Network is a network profile: the conditions the embedded proxy
// (toxiproxy) puts between the load generator and the server, or a real
// reverse proxy (nginx, HAProxy) in the path. Profiles are data: the
// built-ins live in networks/, users add their own files.
type Network struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Proxy       bool       `json:"proxy"` // false: direct connection, no proxy at all
	Down        Direction  `json:"down"`  // server to client
	Up          Direction  `json:"up"`    // client to server
	Real        *RealProxy `json:"real_proxy,omitempty"`
	Source      string     `json:"-"`
}

// RealProxy puts a real nginx or HAProxy process between the load
// generator and the server, started per server from a configuration the
// harness writes (or from the user's own template, Config).
type RealProxy struct {
	Kind string `json:"kind"` // "nginx" or "haproxy"
	// Form is "stock" (the minimal config a team writes first), "tuned"
	// (what push transports need) or "custom" (Config, the user's own).
	Form string `json:"form"`
	// Config is a text/template file for the custom form, relative to the
	// profile's folder. It gets {{.Listen}} and {{.Upstream}} (HTTP
	// host:port), {{.RawListen}} and {{.RawUpstream}} (rawtcp; empty when
	// not proxied), {{.Dir}} (a folder for pid, logs and temp files) and
	// {{.Idle}} (an idle-close fault's timeout, e.g. "3s"; empty otherwise).
	Config string `json:"config,omitempty"`
	// Fix says what the form changes from stock, shown in the report;
	// Fixes, per transport, the part that transport needs.
	Fix   string            `json:"fix,omitempty"`
	Fixes map[string]string `json:"fixes,omitempty"`
}

// RealProxyKinds and RealProxyForms are the accepted values.
var (
	RealProxyKinds = []string{"nginx", "haproxy"}
	RealProxyForms = []string{"stock", "tuned", "custom"}
)

// Direction is one direction's conditions. Latency and jitter are whole
// milliseconds and bandwidth KB/s, as toxiproxy takes them.
type Direction struct {
	LatencyMs     int `json:"latency_ms,omitempty"`
	JitterMs      int `json:"jitter_ms,omitempty"`
	BandwidthKBps int `json:"bandwidth_kbps,omitempty"`
}

//go:embed networks/*.json
var networkFS embed.FS

// Networks returns the built-in profiles sorted by name.
func Networks() ([]Network, error) {
	ents, err := networkFS.ReadDir("networks")
	if err != nil {
		return nil, err
	}
	var out []Network
	for _, e := range ents {
		b, err := networkFS.ReadFile(path.Join("networks", e.Name()))
		if err != nil {
			return nil, err
		}
		n, err := ParseNetwork("built-in network "+e.Name(), b)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// FindNetwork resolves a built-in profile name or a .json file.
func FindNetwork(nameOrFile string) (Network, error) {
	if strings.HasSuffix(nameOrFile, ".json") || strings.ContainsRune(nameOrFile, os.PathSeparator) {
		b, err := os.ReadFile(nameOrFile)
		if err != nil {
			return Network{}, fmt.Errorf("failed to read network profile: %w", err)
		}
		n, err := ParseNetwork(nameOrFile, b)
		if err == nil && n.Real != nil && n.Real.Config != "" && !filepath.IsAbs(n.Real.Config) {
			n.Real.Config = filepath.Join(filepath.Dir(nameOrFile), n.Real.Config)
		}
		return n, err
	}
	all, err := Networks()
	if err != nil {
		return Network{}, err
	}
	var names []string
	for _, n := range all {
		if n.Name == nameOrFile {
			return n, nil
		}
		names = append(names, n.Name)
	}
	return Network{}, fmt.Errorf("unknown network profile %q: give a built-in (%s) or a .json file", nameOrFile, strings.Join(names, ", "))
}

// ParseNetwork decodes and validates a profile; errors name src and the
// field.
func ParseNetwork(src string, b []byte) (Network, error) {
	var n Network
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return Network{}, fmt.Errorf("%s: %w", src, explain(b, err))
	}
	n.Source = src
	if err := n.Validate(); err != nil {
		return Network{}, fmt.Errorf("%s: %w", src, err)
	}
	return n, nil
}

// Validate names the first bad field.
func (n Network) Validate() error {
	if !nameRE.MatchString(n.Name) {
		return fmt.Errorf("field %q: %q: want 1-40 characters of a-z, 0-9, _ or -", "name", n.Name)
	}
	if rp := n.Real; rp != nil {
		switch {
		case !slices.Contains(RealProxyKinds, rp.Kind):
			return fmt.Errorf("field %q: kind %q: want one of %s", "real_proxy", rp.Kind, strings.Join(RealProxyKinds, ", "))
		case !slices.Contains(RealProxyForms, rp.Form):
			return fmt.Errorf("field %q: form %q: want one of %s", "real_proxy", rp.Form, strings.Join(RealProxyForms, ", "))
		case rp.Form == "custom" && rp.Config == "":
			return fmt.Errorf("field %q: form \"custom\" needs \"config\": the path of your %s config template", "real_proxy", rp.Kind)
		case rp.Form != "custom" && rp.Config != "":
			return fmt.Errorf("field %q: \"config\" is only for form \"custom\" (form is %q)", "real_proxy", rp.Form)
		case n.Proxy || n.Down != (Direction{}) || n.Up != (Direction{}):
			return fmt.Errorf("field %q: a real proxy cannot be combined with \"proxy\": true or down/up conditions", "real_proxy")
		}
	}
	for dir, d := range map[string]Direction{"down": n.Down, "up": n.Up} {
		switch {
		case d.LatencyMs < 0 || d.LatencyMs > 10000:
			return fmt.Errorf("field %q: latency_ms %d: allowed 0 to 10000", dir, d.LatencyMs)
		case d.JitterMs < 0 || d.JitterMs > d.LatencyMs:
			return fmt.Errorf("field %q: jitter_ms %d: allowed 0 to latency_ms (%d)", dir, d.JitterMs, d.LatencyMs)
		case d.BandwidthKBps < 0:
			return fmt.Errorf("field %q: bandwidth_kbps %d: allowed 0 (unlimited) or more", dir, d.BandwidthKBps)
		}
		if !n.Proxy && d != (Direction{}) {
			return fmt.Errorf("field %q: conditions need \"proxy\": true", dir)
		}
	}
	return nil
}
