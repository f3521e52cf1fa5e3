//go:build !unix

package tcp

import "os"

// flock is not available here: the pid is written, but nothing is locked.
func flock(f *os.File) error { return nil }
