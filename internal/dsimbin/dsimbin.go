// Package dsimbin builds the dsim command once per test binary, for the
// end-to-end tests that run it as a person would (network/tcp, the live
// catalog): one go build, shared by every test of the package.
package dsimbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	dir  string
	err  error
)

// Build builds cmd/dsim the first time it is called and returns the
// binary's path; a failed build fails t.
func Build(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "dsim-bin-"); err != nil {
			return
		}
		path = filepath.Join(dir, "dsim")
		if out, berr := exec.Command("go", "build", "-o", path, "github.com/dsimlab/dsim/cmd/dsim").CombinedOutput(); berr != nil {
			err = fmt.Errorf("go build ./cmd/dsim: %v\n%s", berr, out)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Main runs the package's tests and removes the binary afterwards: call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
