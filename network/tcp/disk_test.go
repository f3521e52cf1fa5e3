package tcp

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crash abandons a disk the way kill -9 does: nothing more is written, the
// file descriptor just goes away.
func crash(d *FileDisk) {
	d.mu.Lock()
	d.wal.Close()
	d.wal = nil
	d.mu.Unlock()
}

func TestFileDiskKeepsSyncedWritesAcrossACrash(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenFileDisk(dir)
	require.NoError(t, err)
	d.Put("term", []byte("3"))
	d.Put("vote", []byte("n2"))
	d.Put("gone", []byte("x"))
	d.Delete("gone")
	d.Sync()
	d.Put("term", []byte("4")) // never synced
	d.Put("unsynced", []byte("y"))
	v, _ := d.Get("term")
	assert.Equal(t, "4", string(v), "Get sees a write at once")
	crash(d)

	d, err = OpenFileDisk(dir)
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, []string{"term", "vote"}, d.Keys(), "synced keys survive; the deleted and the unsynced do not")
	v, _ = d.Get("term")
	assert.Equal(t, "3", string(v), "the last synced value")
}

// A crash in the middle of an append leaves a torn record at the end of the
// log. Opening cuts it off and keeps everything before it.
func TestFileDiskCutsATornTail(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenFileDisk(dir)
	require.NoError(t, err)
	d.Put("a", []byte("1"))
	d.Sync()
	require.NoError(t, d.Close())
	whole, err := os.ReadFile(filepath.Join(dir, walName))
	require.NoError(t, err)
	torn := appendRecord(nil, opPut, "b", []byte("2"))
	f, err := os.OpenFile(filepath.Join(dir, walName), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	f.Write(torn[:len(torn)-1])
	f.Close()

	d, err = OpenFileDisk(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, d.Keys())
	d.Put("c", []byte("3"))
	d.Sync()
	require.NoError(t, d.Close())
	d, err = OpenFileDisk(dir)
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, []string{"a", "c"}, d.Keys(), "writes after the cut follow the last whole record")
	assert.Greater(t, len(whole), 0)
}

// When the log outgrows the live data, Sync writes a checkpoint and empties
// the log; reopening reads the checkpoint.
func TestFileDiskCheckpoints(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenFileDisk(dir)
	require.NoError(t, err)
	val := make([]byte, 64<<10)
	for i := range 100 { // 6.4 MB of overwrites of 10 keys
		val[0] = byte(i)
		d.Put(fmt.Sprintf("k%d", i%10), val)
		d.Sync()
	}
	crash(d)
	_, err = os.Stat(filepath.Join(dir, ckptName))
	require.NoError(t, err, "a checkpoint was written")
	info, err := os.Stat(filepath.Join(dir, walName))
	require.NoError(t, err)
	assert.Less(t, info.Size(), int64(minCompact), "the log was emptied at the checkpoint")

	d, err = OpenFileDisk(dir)
	require.NoError(t, err)
	defer d.Close()
	assert.Len(t, d.Keys(), 10)
	v, _ := d.Get("k9")
	assert.Equal(t, byte(99), v[0], "the latest value of each key")
}

func TestFileDiskRefusesADamagedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ckptName), []byte("not a checkpoint"), 0o644))
	_, err := OpenFileDisk(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is damaged")
}
