package results_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pushbench/pushbench/results"
)

// FuzzLoad: any bytes as results.json either load or give an error, never
// a panic; what loads survives a write and a second load unchanged, and
// every record can say whether it is disqualified.
func FuzzLoad(f *testing.F) {
	// One real record as the seed.
	if b, err := os.ReadFile(filepath.Join("report", "testdata", "quick-results.json")); err == nil {
		var file struct {
			Schema  int               `json:"schema"`
			Records []json.RawMessage `json:"records"`
		}
		if json.Unmarshal(b, &file) == nil && len(file.Records) > 0 {
			one, _ := json.Marshal(struct {
				Schema  int               `json:"schema"`
				Records []json.RawMessage `json:"records"`
			}{file.Schema, file.Records[:1]})
			f.Add(one)
		}
	}
	f.Add([]byte(`{"schema":2,"records":[]}`))
	f.Add([]byte(`{"schema":2,"records":[{"schema":2,"transport":"x","delivery":{"lost":-1}}]}`))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":2,"records":[{"latency":{"p50_us":1e400}}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		recs, err := results.Load(dir)
		if err != nil {
			return
		}
		for _, r := range recs {
			_ = r.Disqualified()
		}
		again := t.TempDir()
		// WriteJSON's encoding without its fsync, which would make each
		// input cost a disk flush.
		out, err := json.MarshalIndent(results.File{Schema: results.SchemaVersion, Records: recs}, "", "  ")
		if err != nil {
			t.Fatalf("loaded records do not encode: %v", err)
		}
		if err := os.WriteFile(filepath.Join(again, "results.json"), out, 0o644); err != nil {
			t.Fatal(err)
		}
		recs2, err := results.Load(again)
		if err != nil {
			t.Fatalf("written records do not load back: %v", err)
		}
		if !reflect.DeepEqual(normalise(t, recs), normalise(t, recs2)) {
			t.Fatalf("records changed on a write and load")
		}
	})
}

// normalise compares records by their JSON form (nil and empty slices
// and maps write the same).
func normalise(t *testing.T, recs []results.Record) string {
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
