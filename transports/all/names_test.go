package all_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pushbench/pushbench/transports"
)

// TestNoTransportNameSwitchedOnOutsideTransports reads every non-test Go
// file of the module outside transports/ and fails on a switch case, an
// == or != comparison, or a map literal key that is a registered
// transport's name (a base or a variant): only a transport knows itself;
// everyone else asks its descriptor (transports.Transport and its facts).
func TestNoTransportNameSwitchedOnOutsideTransports(t *testing.T) {
	root := moduleRoot(t)
	names := map[string]bool{}
	for _, tr := range transports.All() {
		names[tr.Name] = true
	}
	if len(names) < 6 {
		t.Fatalf("only %d transports registered", len(names))
	}
	var found []string
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "transports" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		found = append(found, nameUses(t, path, rel, names)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("read only %d Go files under %s", files, root)
	}
	for _, f := range found {
		t.Error(f)
	}
}

// nameUses lists the places in one file where a transport's name is
// switched on, compared or used as a map literal's key.
func nameUses(t *testing.T, path, rel string, names map[string]bool) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	name := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil && names[s]
	}
	report := func(at token.Pos, how, n string) {
		out = append(out, rel+":"+strconv.Itoa(fset.Position(at).Line)+": "+how+" on the transport name "+strconv.Quote(n))
	}
	ast.Inspect(f, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.CaseClause:
			for _, e := range x.List {
				if n, ok := name(e); ok {
					report(e.Pos(), "a switch case", n)
				}
			}
		case *ast.BinaryExpr:
			if x.Op == token.EQL || x.Op == token.NEQ {
				for _, e := range []ast.Expr{x.X, x.Y} {
					if n, ok := name(e); ok {
						report(e.Pos(), "a comparison", n)
					}
				}
			}
		case *ast.KeyValueExpr:
			if n, ok := name(x.Key); ok {
				report(x.Key.Pos(), "a map key", n)
			}
		}
		return true
	})
	return out
}

// moduleRoot is the directory of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
