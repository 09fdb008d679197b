package advise

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/pushbench/pushbench/results"
)

// Load reads the records of each output folder with results.Load and
// names each by its file under the folder's records/ (as
// results.RecordFileName names it), or, when that file is missing, by its
// place in the folder's results.json.
func Load(dirs ...string) ([]Evidence, error) {
	var out []Evidence
	for _, d := range dirs {
		recs, err := results.Load(d)
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			f := filepath.Join(d, "records", results.RecordFileName(i+1, r))
			if _, err := os.Stat(f); err != nil {
				f = filepath.Join(d, "results.json") + "#" + strconv.Itoa(i+1)
			}
			out = append(out, Evidence{Record: r, File: f})
		}
	}
	return out, nil
}
