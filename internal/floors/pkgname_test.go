package floors

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A package is named for its directory (main and _test packages aside), so
// an import path tells what name the code uses: scenarios/paxos is package
// paxos, not paxosscenarios.
func TestPackageNamesMatchDirectories(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module (homework): its own rules
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		name, dir := f.Name.Name, filepath.Base(filepath.Dir(path))
		if name == "main" || !token.IsIdentifier(dir) {
			return nil // a command, or a directory no package can be named after
		}
		checked++
		if name != dir {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s: package %s in directory %s", rel, name, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("the walk found no packages")
	}
}
