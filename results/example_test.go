package results_test

import (
	"fmt"
	"log"
	"os"

	"github.com/pushbench/pushbench/results"
)

// A run's output folder is read back with Load: here six repetitions of
// one transport in one scenario, written as pushbench run writes them.
// Every figure a table or compare shows is a Stat over a group's
// repetitions: the median of each repetition's own figure, with its 95%
// interval once there are six.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "pushbench-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := results.NewStore(dir)
	if err != nil {
		log.Fatal(err)
	}
	for i, p99 := range []int64{1800, 1650, 2510, 1700, 1750, 1900} { // µs
		err := store.Add(results.Record{
			Scenario: "latency", Transport: "websocket", Repetition: i + 1,
			Delivery: results.Delivery{Counts: results.Counts{Expected: 400, Delivered: 400}},
			Latency:  results.Summary{Count: 400, P99: p99},
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		log.Fatal(err)
	}

	recs, err := results.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	p99, _ := results.MetricByName("p99")
	for _, g := range results.GroupRecords(recs) {
		s := g.Stat(p99)
		fmt.Printf("%s/%s: %d repetitions\n", g.Key.Scenario, g.Key.Transport, s.N)
		fmt.Printf("p99 median %.0f %s, 95%% interval [%.0f, %.0f], %s is better\n", s.Center, p99.Unit, s.Lo, s.Hi, p99.Better)
	}
	// Output:
	// latency/websocket: 6 repetitions
	// p99 median 1775 us, 95% interval [1650, 2510], lower is better
}

// With fewer than six repetitions a median has no 95% interval, and with
// three a side no difference is significant: here every websocket
// repetition is slower than every rawtcp one, and p is still 0.10, the
// smallest three a side can reach.
func ExampleStatOf() {
	websocket := []float64{2510, 1650, 1800}
	rawtcp := []float64{1550, 1500, 1600}
	s := results.StatOf(websocket)
	fmt.Println("median:", s.Center, "interval:", s.HasInterval())
	p, significant := results.Significance(websocket, rawtcp)
	fmt.Printf("p = %.2f, significant: %v\n", p, significant)
	// Output:
	// median: 1800 interval: false
	// p = 0.10, significant: false
}
