package tcp

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lock file names its holder, a second lock is refused naming it, and
// unlocking lets the next one in. (flock locks belong to an open file, so
// two opens in one process exclude each other as two processes do.)
func TestLockDataDirNamesItsHolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDataDir(dir)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, lockName))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(b))

	_, err = LockDataDir(dir)
	require.ErrorIs(t, err, ErrDataDirLocked)
	assert.ErrorContains(t, err, fmt.Sprintf("locked by process %d", os.Getpid()))

	unlock()
	unlock2, err := LockDataDir(dir)
	require.NoError(t, err)
	unlock2()
}
