package results

// Better says which direction of a metric is an improvement.
type Better int

// Directions.
const (
	Lower Better = iota
	Higher
)

func (b Better) String() string {
	if b == Higher {
		return "higher"
	}
	return "lower"
}

// Metric is one number taken from a Record, with its unit (in Go benchmark
// style: no spaces) and the direction that is better.
type Metric struct {
	Name   string // short name used in tables, bench.txt and compare thresholds
	Unit   string // e.g. "us", "msgs/s", "B/msg"
	Better Better
	Value  func(Record) float64
	// Applies says whether the metric means something for a record
	// (bytes per message needs deliveries; latency needs messages).
	Applies func(Record) bool
}

func delivered(r Record) bool { return r.Delivery.Delivered > 0 }
func always(Record) bool      { return true }
func connected(r Record) bool { return r.Params.Clients > 0 }

// Metrics are the numbers pushbench compares across runs and transports.
var Metrics = []Metric{
	{"p50", "us", Lower, func(r Record) float64 { return float64(r.Latency.P50) }, delivered},
	{"p90", "us", Lower, func(r Record) float64 { return float64(r.Latency.P90) }, delivered},
	{"p99", "us", Lower, func(r Record) float64 { return float64(r.Latency.P99) }, delivered},
	{"p99.9", "us", Lower, func(r Record) float64 { return float64(r.Latency.P999) }, delivered},
	{"max", "us", Lower, func(r Record) float64 { return float64(r.Latency.Max) }, delivered},
	{"delivered-rate", "msgs/s", Higher, func(r Record) float64 { return r.Delivery.DeliveredPerS }, delivered},
	{"lost", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Lost) }, always},
	{"duplicates", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Duplicates) }, always},
	{"reorders", "msgs", Lower, func(r Record) float64 { return float64(r.Delivery.Reorders) }, always},
	{"bytes-per-msg", "B/msg", Lower, func(r Record) float64 { return r.Wire.BytesPerMessage }, delivered},
	{"bytes-per-conn-min", "B/conn-min", Lower, func(r Record) float64 { return r.Wire.BytesPerConnMin }, connected},
	{"server-cpu-per-msg", "us/msg", Lower, func(r Record) float64 { return r.Server.CPUPerMessageUs }, delivered},
	{"server-cpu-per-conn-s", "us/conn-s", Lower, func(r Record) float64 { return r.Server.CPUPerConnSecUs }, connected},
	{"server-rss-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Server.RSSPerConn }, connected},
	{"server-heap-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Server.HeapPerConn }, connected},
	{"loadgen-heap-per-conn", "B/conn", Lower, func(r Record) float64 { return r.Loadgen.HeapPerConn }, connected},
	{"connect-p99", "us", Lower, func(r Record) float64 { return float64(r.Connect.P99) }, func(r Record) bool { return r.Connect.Count > 0 }},
}

// MetricByName finds a metric; ok is false for an unknown name.
func MetricByName(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Key identifies what repetitions measure alike: scenario, step and
// transport.
type Key struct {
	Scenario  string
	Step      int
	Transport string
}

// KeyOf is r's key.
func KeyOf(r Record) Key { return Key{r.Scenario, r.Step, r.Transport} }

// Floor is the transport every ratio is taken against.
const Floor = "rawtcp"
