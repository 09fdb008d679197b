package all_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers are the module's top-level folders from the bottom up: a Go file
// in one may import packages of its own folder and of those below it,
// never of one above.
var layers = []string{"scenarios", "transports", "results", "loadgen", "harness", "cmd"}

const module = "github.com/pushbench/pushbench/"

// TestImportsNeverRunBackUpTheLayers reads the imports of every Go file of
// the module, tests included, and fails on one that names a package in a
// higher layer than the file's own.
func TestImportsNeverRunBackUpTheLayers(t *testing.T) {
	root := moduleRoot(t)
	rank := map[string]int{}
	for i, l := range layers {
		rank[l] = i
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		from, ok := rank[strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]]
		if !ok {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			top := strings.SplitN(strings.TrimPrefix(p, module), "/", 2)[0]
			if to, ok := rank[top]; ok && to > from {
				t.Errorf("%s imports %s: %s is above %s", rel, p, top, layers[from])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read only %d Go files under %s", files, root)
	}
}
