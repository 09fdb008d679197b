package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// Network is a network profile: the conditions the embedded proxy
// (toxiproxy) puts between the load generator and the server. Profiles are
// data: the built-ins live in networks/, users add their own files.
type Network struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Proxy       bool      `json:"proxy"` // false: direct connection, no proxy at all
	Down        Direction `json:"down"`  // server to client
	Up          Direction `json:"up"`    // client to server
	Source      string    `json:"-"`
}

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
		return ParseNetwork(nameOrFile, b)
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
