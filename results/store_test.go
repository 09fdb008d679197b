package results_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

func TestStoreRoundTripAndIncrementalFiles(t *testing.T) {
	dir := t.TempDir()
	st, err := results.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := hdrhistogram.New(1, 60_000_000, 3)
	for _, v := range []int64{100, 200, 300, 5000} {
		_ = h.RecordValue(v)
	}
	recs := []results.Record{
		{Scenario: "latency", Transport: "websocket", Latency: results.Summarize(h), LatencyHist: h.Export()},
		{Scenario: "latency", Transport: "sse", Error: "server exited: signal: killed"},
	}
	for i, r := range recs {
		if err := st.Add(r); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "records", "*.json"))
		if len(files) != i+1 {
			t.Fatalf("after %d records, %d record files", i+1, len(files))
		}
		got, err := results.Load(dir)
		if err != nil || len(got) != i+1 {
			t.Fatalf("Load after %d: %d records, %v", i+1, len(got), err)
		}
	}
	got, _ := results.Load(dir)
	if got[0].Latency.P99 != h.ValueAtQuantile(99) || got[0].Latency.Max != h.Max() {
		t.Errorf("latency summary did not survive: %+v", got[0].Latency)
	}
	back := hdrhistogram.Import(got[0].LatencyHist)
	if back.TotalCount() != 4 || back.ValueAtQuantile(50) != h.ValueAtQuantile(50) {
		t.Errorf("histogram did not survive the round trip")
	}
	if got[1].Error == "" || got[1].Schema != results.SchemaVersion {
		t.Errorf("second record: %+v", got[1])
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); !os.IsNotExist(err) {
		t.Errorf("results.json written before Close: Add must write only the record")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Errorf("Close did not write results.json: %v", err)
	}
	// A run killed before results.json was written still loads from records/.
	os.Remove(filepath.Join(dir, "results.json"))
	if again, err := results.Load(dir); err != nil || len(again) != 2 {
		t.Errorf("Load from records/: %d, %v", len(again), err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "output folder") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"schema":99,"records":[]}`), 0o644)
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("wrong schema: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "results.json"), []byte(`not json`), 0o644)
	if _, err := results.Load(dir); err == nil || !strings.Contains(err.Error(), "not a pushbench results file") {
		t.Errorf("garbage: %v", err)
	}
}

func sizedRecord(i int) results.Record {
	h := hdrhistogram.New(1, 60_000_000, 3)
	for v := int64(1); v <= 300; v++ {
		_ = h.RecordValue(v * int64(i+1))
	}
	return results.Record{Scenario: "latency", Transport: "websocket", Repetition: i + 1, Latency: results.Summarize(h), LatencyHist: h.Export()}
}

// Add writes only its own record: N records cost O(N) bytes, where
// rewriting results.json per record cost O(N²).
func TestStoreWritesLinearBytes(t *testing.T) {
	written := func(n int) (int64, int64) {
		st, err := results.NewStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := st.Add(sizedRecord(i)); err != nil {
				t.Fatal(err)
			}
		}
		adds := st.BytesWritten()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		return adds, st.BytesWritten()
	}
	a50, t50 := written(20)
	a200, t200 := written(80)
	// Four times the records: four times the bytes (records differ a
	// little in size), where quadratic writing would be sixteen times.
	if r := float64(a200) / float64(a50); r < 3.5 || r > 4.5 {
		t.Errorf("Add: 20 records wrote %d bytes, 80 wrote %d: ratio %.2f, want about 4 (linear)", a50, a200, r)
	}
	if r := float64(t200) / float64(t50); r < 3.5 || r > 4.5 {
		t.Errorf("Add and Close: 20 records wrote %d bytes, 80 wrote %d: ratio %.2f, want about 4 (linear)", t50, t200, r)
	}
	// Close writes every record once more (indented one level deeper):
	// well under twice Add's bytes again.
	if t200-a200 > 2*a200 {
		t.Errorf("Close wrote %d bytes after %d by Add: more than one more copy", t200-a200, a200)
	}
}

func TestLoadPrefersCompleteSource(t *testing.T) {
	dir := t.TempDir()
	st, _ := results.NewStore(dir)
	for i := 0; i < 3; i++ {
		st.Add(sizedRecord(i))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// A results.json older than records/ (say, left by a first Close):
	// records/ has more, so it wins.
	st.Add(sizedRecord(3))
	got, err := results.Load(dir)
	if err != nil || len(got) != 4 || got[3].Repetition != 4 {
		t.Fatalf("Load with a stale results.json: %d records, %v", len(got), err)
	}
	// Order of Add survives past 999 (names sort as numbers).
	for i := 4; i < 1002; i++ {
		os.WriteFile(filepath.Join(dir, "records", fmt.Sprintf("%03d-x.json", i+1)), []byte(fmt.Sprintf(`{"schema":%d,"repetition":%d}`, results.SchemaVersion, i+1)), 0o644)
	}
	got, err = results.Load(dir)
	if err != nil || len(got) != 1002 {
		t.Fatalf("Load of 1002 records: %d, %v", len(got), err)
	}
	for i, r := range got {
		if r.Repetition != i+1 {
			t.Fatalf("record %d has repetition %d: order of Add lost", i, r.Repetition)
		}
	}
}

// A run killed (SIGKILL) at an arbitrary point of writing still loads,
// every record whole.
func TestKilledRunLoads(t *testing.T) {
	if dir := os.Getenv("PUSHBENCH_STORE_CHILD"); dir != "" {
		st, err := results.NewStore(dir)
		if err != nil {
			os.Exit(2)
		}
		for i := 0; i < 100000; i++ { // bounded; the parent kills it long before
			if err := st.Add(sizedRecord(i % 50)); err != nil {
				os.Exit(3)
			}
		}
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRunLoads$")
	cmd.Env = append(os.Environ(), "PUSHBENCH_STORE_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "records", "*.json"))
		if len(files) >= 20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child wrote %d records in 30 s", len(files))
		}
		time.Sleep(5 * time.Millisecond) // polling the child's progress, not standing in for synchronisation
	}
	cmd.Process.Kill()
	cmd.Wait()
	got, err := results.Load(dir)
	if err != nil {
		t.Fatalf("a killed run does not load: %v", err)
	}
	if len(got) < 20 {
		t.Fatalf("loaded %d records, the child had written at least 20", len(got))
	}
	for i, r := range got {
		if r.Scenario != "latency" || r.LatencyHist == nil || r.Repetition != i%50+1 {
			t.Fatalf("record %d is not whole or out of order: %+v", i, r.Latency)
		}
	}
}

// Files written atomically are readable by all (0644), whether new or
// replacing a private file: a web server in front of an output folder
// must be able to read its report.
func TestWriteFileAtomicMode(t *testing.T) {
	dir := t.TempDir()
	fresh, private := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.md")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fresh, private} {
		if err := results.WriteFileAtomic(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", filepath.Base(p), st.Mode().Perm())
		}
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Errorf("%s holds %q", filepath.Base(p), b)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
