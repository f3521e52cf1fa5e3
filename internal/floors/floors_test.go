// Package floors checks the layering of ../shared/DESIGN.md: a package
// never imports one on a higher floor, so the kernel knows nothing of Raft
// and no protocol knows whether it runs in the simulator or over TCP.
package floors

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/dsimlab/dsim/"

// floorOf gives a package directory its floor (DESIGN.md, "Packages and
// their floors"). The longest matching prefix wins.
var floors = map[string]int{
	"sim":         1,
	"clock":       1,
	"resilience":  1,
	"network":     2,
	"check":       2,
	"consensus":   3,
	"storage":     3,
	"service":     3,
	"gossip":      3,
	"network/tcp": 2,
	"i18n":        4,
	"livecatalog": 4,
	"replay":      4,
	"scenarios":   4,
	"viz":         4,
	"tui":         4,
	"sweep":       4,
	"cmd":         5,
	"deploy":      5,
	"dsimcli":     5,
	"examples":    5,
	"internal":    5,
	"bench":       5, // bench/live-vs-etcd: a separate module (it needs etcd's client)
	"homework":    5, // separate modules on top (DESIGN.md)
}

func floorOf(dir string) (int, bool) {
	best, floor := "", 0
	for prefix, f := range floors {
		if (dir == prefix || strings.HasPrefix(dir, prefix+"/")) && len(prefix) > len(best) {
			best, floor = prefix, f
		}
	}
	return floor, best != ""
}

func TestNoPackageImportsAHigherFloor(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		floor, known := floorOf(dir)
		if !known {
			problems = append(problems, dir+": package has no floor; add it to DESIGN.md and this test")
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			target := strings.TrimPrefix(p, module)
			tf, ok := floorOf(target)
			if ok && tf > floor {
				problems = append(problems, dir+" (floor "+strconv.Itoa(floor)+") imports "+target+" (floor "+strconv.Itoa(tf)+")")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(problems)
	for _, p := range slices.Compact(problems) {
		t.Error(p)
	}
	if _, err := os.Stat(filepath.Join(root, "sim")); err != nil {
		t.Fatal("the walk did not find the repository")
	}
}
