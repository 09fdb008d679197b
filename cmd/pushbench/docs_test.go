package main

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// readmeMaxLines is the README's budget: a newcomer reads what pushbench is,
// the two commands, what a run prints and where to go next; the rest lives
// in docs/.
const readmeMaxLines = 150

// repoRoot is the folder holding go.mod, found upwards from the test's
// working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
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
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// markdownFiles are README.md and every docs/*.md, relative to root.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, rel)
	}
	return files
}

var (
	fence      = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```[^\\n]*$")
	codeSpan   = regexp.MustCompile("`[^`\\n]*`")
	mdLink     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	heading    = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	docMention = regexp.MustCompile(`(?:\.\./|[\w.-]+/)*[\w.-]+/[A-Z][A-Z0-9_]*\.md\b|\b[A-Z][A-Z0-9_]*\.md\b`)
)

// prose is a markdown text without its code blocks, where brackets are
// not links.
func prose(md string) string {
	return codeSpan.ReplaceAllString(fence.ReplaceAllString(md, ""), "")
}

// anchors are the fragment names GitHub gives a markdown file's headings:
// lower case, punctuation other than '-' and '_' dropped, spaces as '-'.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(md, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(strings.ReplaceAll(m[1], "`", "")) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

// Every relative link in README.md and docs/*.md names a file or folder
// in the repository, and every #fragment a heading of the file it points
// to.
func TestDocsLinksResolve(t *testing.T) {
	root := repoRoot(t)
	links := 0
	for _, file := range markdownFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(prose(string(b)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			path, frag, _ := strings.Cut(target, "#")
			full := filepath.Join(root, file)
			if path != "" {
				full = filepath.Join(root, filepath.Dir(file), filepath.FromSlash(path))
			}
			rel, err := filepath.Rel(root, full)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s: link %q leaves the repository", file, target)
				continue
			}
			if _, err := os.Stat(full); err != nil {
				t.Errorf("%s: link %q: %s is not in the repository", file, target, rel)
				continue
			}
			if frag == "" {
				continue
			}
			if !strings.HasSuffix(full, ".md") {
				t.Errorf("%s: link %q has a fragment into a file that is not markdown", file, target)
				continue
			}
			tb, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors(string(tb))[frag] {
				t.Errorf("%s: link %q: %s has no heading #%s", file, target, rel, frag)
			}
		}
	}
	if links == 0 {
		t.Fatal("no relative links found: the link pattern is broken")
	}
}

// The docs index links every page in docs/.
func TestDocsIndexListsEveryPage(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(prose(string(b)), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked[path] = true
	}
	for _, file := range markdownFiles(t, root) {
		name := filepath.Base(file)
		if !strings.HasPrefix(file, "docs"+string(filepath.Separator)) || name == "README.md" {
			continue
		}
		if !linked[name] {
			t.Errorf("docs/README.md does not link %s", name)
		}
	}
}

// The README stays short enough to read before running anything.
func TestReadmeIsShort(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		lines++
	}
	if lines == 0 || lines >= readmeMaxLines {
		t.Errorf("README.md has %d lines; keep it under %d and move the rest to docs/", lines, readmeMaxLines)
	}
}

// mentionResolves reports whether a document named in text (such as
// docs/CLAIMS.md, or CLAIMS.md alone) is in the repository: relative to
// the root, to the folder of the file naming it, or, for a bare name, in
// docs/.
func mentionResolves(root, fromDir, mention string) bool {
	candidates := []string{filepath.Join(root, mention), filepath.Join(root, fromDir, mention)}
	if !strings.Contains(mention, "/") {
		candidates = append(candidates, filepath.Join(root, "docs", mention))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return true
		}
	}
	return false
}

// Documents named in Go source (comments and strings: the generated
// report's text comes from there) and in the prose of the markdown files
// are in the repository. This is what caught shared/CLAIMS.md, a file
// outside it.
func TestCitedDocumentsExist(t *testing.T) {
	root := repoRoot(t)
	self, err := filepath.Abs("docs_test.go") // this file names missing documents on purpose
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	check := func(file, text string) {
		for _, m := range docMention.FindAllString(text, -1) {
			checked++
			if !mentionResolves(root, filepath.Dir(file), m) {
				t.Errorf("%s cites %s, which is not in the repository", file, m)
			}
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || path == self {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		check(rel, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range markdownFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		// LIBRARIES.md names other projects' documents (a library's
		// migration guide), which are not this repository's to hold.
		if filepath.Base(file) == "LIBRARIES.md" {
			continue
		}
		check(file, string(b)) // code spans too: `shared/CLAIMS.md` is a citation
	}
	if checked == 0 {
		t.Fatal("no document mentions found: the pattern is broken")
	}
}

// The checks above find what they are meant to find.
func TestDocsPatterns(t *testing.T) {
	md := "See [a](docs/A.md#x-y) and `[b](B.md)`.\n```\n[c](C.md)\n```\n## X: y\n"
	var got []string
	for _, m := range mdLink.FindAllStringSubmatch(prose(md), -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != "docs/A.md#x-y" {
		t.Errorf("links outside code = %q, want only docs/A.md#x-y", got)
	}
	if a := anchors(md); !a["x-y"] || len(a) != 1 {
		t.Errorf("anchors = %v, want x-y", a)
	}
	mentions := docMention.FindAllString("cites (shared/CLAIMS.md) and LIBRARIES.md, not report.md", -1)
	if strings.Join(mentions, ",") != "shared/CLAIMS.md,LIBRARIES.md" {
		t.Errorf("mentions = %q, want shared/CLAIMS.md and LIBRARIES.md", mentions)
	}
	root := repoRoot(t)
	if mentionResolves(root, "results/report", "shared/CLAIMS.md") {
		t.Error("shared/CLAIMS.md resolves, but it is not in the repository")
	}
	if !mentionResolves(root, "transports/sse", "LIBRARIES.md") {
		t.Error("LIBRARIES.md does not resolve to docs/LIBRARIES.md")
	}
}
