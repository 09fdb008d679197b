package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pushbench/pushbench/results"
)

// DefaultThresholdPercent is the threshold of metrics not listed in
// defaultThresholds: latency percentiles, rates and bytes.
const DefaultThresholdPercent = 5

// defaultThresholds are the metrics whose threshold is not 5%: the counts
// that must stay at 0 (any increase counts), and the single-sample or
// resource metrics that move more between runs.
var defaultThresholds = map[string]float64{
	"lost": 0, "duplicates": 0, "reorders": 0, "unexpected": 0,
	"max": 10, "connect-p99": 10,
	"server-cpu-per-msg": 10, "server-cpu-per-conn-s": 10,
	"server-rss-per-conn": 10, "server-heap-per-conn": 10, "loadgen-heap-per-conn": 10,
}

// DefaultThreshold is metric's threshold in percent when Options do not
// set one: 0 for lost, duplicates and reorders, 10 for max, connect-p99 and
// the CPU and memory metrics, 5 for the rest.
func DefaultThreshold(metric string) float64 {
	if t, ok := defaultThresholds[metric]; ok {
		return t
	}
	return DefaultThresholdPercent
}

func threshold(set map[string]float64, metric string) float64 {
	if t, ok := set[metric]; ok {
		return t
	}
	return DefaultThreshold(metric)
}

// ParseThresholds parses a comma-separated list of METRIC=PERCENT, such as
// "p99=10,lost=0", into into (created when nil), which it returns.
func ParseThresholds(list string, into map[string]float64) (map[string]float64, error) {
	if into == nil {
		into = map[string]float64{}
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, pct, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("threshold %q: want METRIC=PERCENT, e.g. p99=10", item)
		}
		name = strings.TrimSpace(name)
		if _, ok := results.MetricByName(name); !ok {
			return nil, fmt.Errorf("threshold %q: unknown metric %q (known: %s)", item, name, metricNames())
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(pct), "%"), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("threshold %q: %q is not a percentage >= 0", item, pct)
		}
		into[name] = v
	}
	return into, nil
}

func metricNames() string {
	names := make([]string, len(results.Metrics))
	for i, m := range results.Metrics {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}
