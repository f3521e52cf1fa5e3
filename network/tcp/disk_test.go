package tcp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
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

// A damaged checkpoint is refused with where and what, never "(<nil>)".
func TestFileDiskRefusesADamagedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	good := appendRecord(nil, opPut, "a", []byte("1"))
	for _, c := range []struct{ name, data, want string }{
		{"garbage", "not a checkpoint", "is damaged at byte 0: a record of "},
		{"cut short", string(good) + string(good[:5]), fmt.Sprintf("is damaged at byte %d: 5 bytes, too short for a record header", len(good))},
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ckptName), []byte(c.data), 0o644))
		_, err := OpenFileDisk(dir)
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, ErrDiskDamaged, c.name)
		assert.Contains(t, err.Error(), filepath.Join(dir, ckptName)+" "+c.want, c.name)
		assert.Contains(t, err.Error(), "--salvage", c.name)
		assert.NotContains(t, err.Error(), "<nil>", c.name)
	}
}

// writeWAL writes a disk holding records k0..k(n-1), one Sync each, and
// returns the log's bytes and where each record starts.
func writeWAL(t *testing.T, dir string, n int) ([]byte, []int64) {
	t.Helper()
	d, err := OpenFileDisk(dir)
	require.NoError(t, err)
	var offs []int64
	for i := range n {
		offs = append(offs, d.walSize)
		d.Put(fmt.Sprintf("k%d", i), []byte(fmt.Sprintf("value %d", i)))
		d.Sync()
	}
	require.NoError(t, d.Close())
	b, err := os.ReadFile(filepath.Join(dir, walName))
	require.NoError(t, err)
	return b, offs
}

// Only a torn final record, a write a crash cut short, may be dropped. A bad
// record with whole records after it is damage: the disk refuses to open,
// naming the file and the byte, rather than forget the synced writes after
// it.
func TestFileDiskRefusesDamageInTheMiddleOfTheLog(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(b []byte, rec int64)
		reason string
	}{
		{"a flipped bit in a value", func(b []byte, rec int64) { b[rec+recordHeader+4] ^= 0x10 }, "CRC does not match"},
		{"a flipped bit in a CRC", func(b []byte, rec int64) { b[rec+5] ^= 0x01 }, "CRC does not match"},
		{"a length past the end", func(b []byte, rec int64) { b[rec] = 0x7f }, "runs past the end of the file"},
		{"a length one too long", func(b []byte, rec int64) { b[rec+3]++ }, "CRC does not match"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			b, offs := writeWAL(t, dir, 5)
			c.damage(b, offs[2])
			require.NoError(t, os.WriteFile(filepath.Join(dir, walName), b, 0o644))

			_, err := OpenFileDisk(dir)
			var de *DamageError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, filepath.Join(dir, walName), de.File)
			assert.Equal(t, offs[2], de.Offset)
			assert.Equal(t, offs[3], de.Next, "the next whole record")
			assert.Contains(t, err.Error(), fmt.Sprintf("%s is damaged at byte %d", filepath.Join(dir, walName), offs[2]))
			assert.Contains(t, err.Error(), c.reason)
			after, err := os.ReadFile(filepath.Join(dir, walName))
			require.NoError(t, err)
			assert.Equal(t, b, after, "a refused log is left as it was")
		})
	}
}

// A crash can cut the last append anywhere: in its header, in its body, or
// (blocks written out of order) leave it whole in length but wrong in
// content, or zeros. Each is dropped with a log line, and only it.
func TestFileDiskDropsOnlyATornFinalRecord(t *testing.T) {
	torn := appendRecord(nil, opPut, "late", []byte("never acknowledged"))
	bad := append([]byte(nil), torn...)
	bad[len(bad)-1] ^= 0xff
	for _, c := range []struct {
		name string
		tail []byte
	}{
		{"half a header", torn[:5]},
		{"half a body", torn[:len(torn)-3]},
		{"a CRC mismatch at the very end", bad},
		{"zeros", make([]byte, 4096)},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			b, _ := writeWAL(t, dir, 3)
			require.NoError(t, os.WriteFile(filepath.Join(dir, walName), append(b, c.tail...), 0o644))
			var logs syncBuffer
			d, err := OpenFileDiskWith(dir, DiskOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err)
			defer d.Close()
			assert.Equal(t, []string{"k0", "k1", "k2"}, d.Keys())
			assert.Contains(t, logs.String(), "cut off a torn final record")
			assert.Contains(t, logs.String(), fmt.Sprintf("offset=%d bytes=%d", len(b), len(c.tail)))
		})
	}
}

// --salvage keeps a copy of the damaged log, cuts it at the damage, and
// marks the disk (sim.LostWritesKey) so the protocol knows it forgot
// things it had promised.
func TestFileDiskSalvageKeepsACopyAndMarksTheDisk(t *testing.T) {
	dir := t.TempDir()
	b, offs := writeWAL(t, dir, 5)
	b[offs[2]+recordHeader+3] ^= 0x40
	walPath := filepath.Join(dir, walName)
	require.NoError(t, os.WriteFile(walPath, b, 0o644))
	now := func() time.Time { return time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC) }
	var logs syncBuffer
	d, err := OpenFileDiskWith(dir, DiskOptions{Salvage: true, Now: now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	assert.Equal(t, []string{"k0", "k1", sim.LostWritesKey}, d.Keys())
	why, _ := d.Get(sim.LostWritesKey)
	copyPath := walPath + ".damaged-20261206T210000Z"
	assert.Contains(t, string(why), fmt.Sprintf("damaged at byte %d", offs[2]))
	assert.Contains(t, string(why), copyPath)
	assert.Contains(t, logs.String(), "DISK SALVAGED")
	kept, err := os.ReadFile(copyPath)
	require.NoError(t, err)
	assert.Equal(t, b, kept, "the copy is the damaged file as it was")
	d.Put("k5", []byte("after"))
	d.Sync()
	require.NoError(t, d.Close())

	d, err = OpenFileDisk(dir)
	require.NoError(t, err, "a salvaged log opens cleanly, mark and all")
	defer d.Close()
	assert.Equal(t, []string{"k0", "k1", "k5", sim.LostWritesKey}, d.Keys())
}

func TestFileDiskSalvageOfACheckpointStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	writeWAL(t, dir, 2)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ckptName), []byte("not a checkpoint"), 0o644))
	now := func() time.Time { return time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC) }
	d, err := OpenFileDiskWith(dir, DiskOptions{Salvage: true, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, []string{sim.LostWritesKey}, d.Keys(), "a log without its checkpoint is only the end of the story: nothing is kept")
	for _, name := range []string{ckptName, walName} {
		_, err := os.Stat(filepath.Join(dir, name+".damaged-20261206T210000Z"))
		assert.NoError(t, err, "a copy of %s is kept", name)
	}
}

// FuzzReadWAL feeds arbitrary bytes to the log reader: it never panics, and
// every record it hands on has the length and CRC its header claims.
func FuzzReadWAL(f *testing.F) {
	var seed []byte
	seed = appendRecord(seed, opPut, "meta", []byte(`{"term":3}`))
	seed = appendRecord(seed, opDelete, "log/1", nil)
	f.Add(seed)
	f.Add(seed[:len(seed)-2])
	f.Add(append(append([]byte(nil), seed...), 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var off int64
		res, err := scanLog(bytes.NewReader(data), int64(len(data)), "fuzz", func(rec []byte) {
			if off+recordHeader+int64(len(rec)) > int64(len(data)) {
				t.Fatalf("record at %d runs past the input", off)
			}
			hdr := data[off : off+recordHeader]
			if int(binary.BigEndian.Uint32(hdr)) != len(rec) || !bytes.Equal(data[off+recordHeader:off+recordHeader+int64(len(rec))], rec) {
				t.Fatalf("record at %d is not what the input holds there", off)
			}
			if crc32.Checksum(rec, crcTable) != binary.BigEndian.Uint32(hdr[4:]) {
				t.Fatalf("record at %d has a bad CRC", off)
			}
			off += recordHeader + int64(len(rec))
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.good != off || res.good > int64(len(data)) {
			t.Fatalf("good=%d after records ending at %d", res.good, off)
		}
		if res.damage != nil && (res.damage.Offset != res.good || res.damage.Next <= res.good) {
			t.Fatalf("damage %+v after good %d", res.damage, res.good)
		}
	})
}
