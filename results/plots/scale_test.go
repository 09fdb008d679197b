package plots_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/results/plots"
)

// TestScaleCurves: the scale scenarios get every per-connection cost
// against the connection count, drawn around a step that failed (websocket
// at 100k), and a scenario with one count gets no curve.
func TestScaleCurves(t *testing.T) {
	var recs []results.Record
	for _, tr := range []string{"rawtcp", "websocket"} {
		for i, n := range []int{1000, 10000, 100000} {
			r := rec("scale-idle", i, "clients", float64(n), tr, 1, nil)
			r.Params.Clients = n
			r.Server.RSSPerConn, r.Loadgen.RSSPerConn = 20_000+float64(i)*100, 17_000
			r.Server.CPUPerConnSecUs, r.Loadgen.ConnectS = 3, float64(n)/5000
			if tr == "websocket" && n == 100000 {
				r.Error = "connect: 90000 of 100000 clients connected"
			}
			recs = append(recs, r)
		}
	}
	one := rec("scale-fanout", 0, "clients", 1000, "rawtcp", 1, nil) // one count: no curve
	one.Params.Clients = 1000
	recs = append(recs, one)
	dir := t.TempDir()
	ps, err := plots.Render(dir, recs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"scale-idle-server-memory", "scale-idle-loadgen-memory", "scale-idle-server-cpu", "scale-idle-connect"}
	if got := names(ps); !slices.Equal(got, want) {
		t.Fatalf("plots:\n got %v\nwant %v", got, want)
	}
	for _, p := range ps {
		checkPNG(t, filepath.Join(dir, p.PNG))
		checkSVG(t, filepath.Join(dir, p.SVG))
	}
}
