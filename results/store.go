package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Store writes a run's records as they are measured. Each Add writes that
// one record to records/NNN-....json atomically (temporary file, then
// rename): records/ is the source of truth, and writing N records costs
// O(N) bytes. Close writes results.json, all records in one file, once at
// the end. A run killed at any point keeps every record added so far, and
// Load reads it: from records/ when results.json is missing or holds fewer
// records. Safe for concurrent use.
type Store struct {
	Dir     string
	mu      sync.Mutex
	records []Record
	written int64 // bytes written, for the tests of the cost of Add
}

// NewStore creates dir (and dir/records).
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "records"), 0o755); err != nil {
		return nil, fmt.Errorf("failed to create output folder %s (choose another with --out): %w", dir, err)
	}
	return &Store{Dir: dir}, nil
}

// Add writes r to its own file under records/.
func (s *Store) Add(r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Schema = SchemaVersion
	n, err := writeJSON(filepath.Join(s.Dir, "records", RecordFileName(len(s.records)+1, r)), r)
	s.written += n
	if err != nil {
		return err
	}
	s.records = append(s.records, r)
	return nil
}

// Close writes results.json: every record added, in order. Call it once,
// when the run ends (also after an interruption); Add may not follow.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := writeJSON(filepath.Join(s.Dir, "results.json"), File{Schema: SchemaVersion, Records: s.records})
	s.written += n
	return err
}

// BytesWritten is how many bytes the store has written so far.
func (s *Store) BytesWritten() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Records returns a copy of what was added.
func (s *Store) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// RecordFileName is the name under records/ of the n-th record added
// (1-based): Load returns records in that order, so the i-th record Load
// returns was written as RecordFileName(i+1, r).
func RecordFileName(n int, r Record) string {
	return fmt.Sprintf("%03d-%s-step%d-%s-rep%d.json", n, safe(r.Scenario), r.Step, safe(r.Transport), r.Repetition)
}

// File is the layout of results.json.
type File struct {
	Schema  int      `json:"schema"`
	Records []Record `json:"records"`
}

// WriteJSON writes v to path atomically.
func WriteJSON(path string, v any) error {
	_, err := writeJSON(path, v)
	return err
}

func writeJSON(path string, v any) (int64, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("failed to encode %s: %w", path, err)
	}
	b = append(b, '\n')
	return int64(len(b)), WriteFileAtomic(path, b)
}

// FileMode is the mode of every file WriteFileAtomic writes: readable by
// all, so a web server in front of an output folder can serve its report
// (os.CreateTemp makes its files 0600).
const FileMode os.FileMode = 0o644

// WriteFileAtomic writes data to path via a temporary file and a rename, so
// readers see the old file or the new one, never a torn one. The file
// gets FileMode, whatever the mode of the file it replaces.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(FileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// Load reads a run's records from dir: results.json when it holds every
// record of records/, else (a run killed before Close, or during it) the
// per-record files.
func Load(dir string) ([]Record, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "records", "*.json"))
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err == nil {
		var f File
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s/results.json is not a pushbench results file: %w", dir, err)
		}
		if f.Schema != SchemaVersion {
			return nil, fmt.Errorf("%s/results.json has schema %d; this pushbench reads schema %d (re-run, or use the pushbench that wrote it)", dir, f.Schema, SchemaVersion)
		}
		if len(f.Records) >= len(files) {
			return f.Records, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to read results: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no results.json and no records/: is it a pushbench output folder?", dir)
	}
	sort.SliceStable(files, func(i, j int) bool { return addOrder(files[i]) < addOrder(files[j]) })
	var out []Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("failed to read %s: %w", f, err)
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s is not a pushbench record: %w", f, err)
		}
		if r.Schema != SchemaVersion {
			return nil, fmt.Errorf("%s has schema %d; this pushbench reads schema %d", f, r.Schema, SchemaVersion)
		}
		out = append(out, r)
	}
	return out, nil
}

// addOrder is the number a record file's name starts with (the order of
// Add), compared as a number so that 1000 follows 999.
func addOrder(path string) int {
	n, _ := strconv.Atoi(strings.SplitN(filepath.Base(path), "-", 2)[0])
	return n
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
