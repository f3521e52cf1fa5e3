package tcp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ErrDataDirLocked is wrapped by LockDataDir's error when another process
// holds the directory.
var ErrDataDirLocked = errors.New("data directory in use")

// lockName is the lock file in a data directory; it holds the pid of the
// process that has the directory.
const lockName = "lock"

// LockDataDir makes dir this process's alone, before anything in it is
// opened: an exclusive flock on DIR/lock, which then holds our pid. A
// second `dsim node` on the same directory gets an error naming the first
// one's pid, instead of opening (and cutting) a log another process is
// writing. The lock goes with the process, however it ends; unlock
// releases it sooner.
func LockDataDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := flock(f); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(string(bytes.TrimSpace(b))); perr == nil {
				holder = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("%w: %s is locked by %s (%s holds its pid): is another dsim node running on it? stop it first, or give this one its own --data",
			ErrDataDirLocked, dir, holder, path)
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return func() { f.Close() }, nil
}
