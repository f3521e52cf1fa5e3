//go:build unix

package tcp

import (
	"os"
	"syscall"
)

// flock takes an exclusive lock on f, failing at once if it is held.
func flock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
