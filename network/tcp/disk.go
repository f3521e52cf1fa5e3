package tcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/dsimlab/dsim/sim"
)

// FileDisk is a sim.Disk kept in a directory, that survives kill -9 and a
// power cut for everything synced.
//
// It is a write-ahead log plus a checkpoint:
//
//	DIR/disk.wal   records appended by Sync, then fsynced
//	DIR/disk.ckpt  every key and value, written to a temporary file,
//	               fsynced, renamed into place, and the directory fsynced
//
// Put and Delete change the in-memory map at once (so Get sees them) and
// queue a record; Sync appends the queued records to the log and fsyncs it,
// and only then returns. A crash loses the records not yet synced, exactly
// the promise of sim.Disk. When the log grows well past the live data, Sync
// writes a fresh checkpoint and empties the log.
//
// Each record is [4-byte length][4-byte CRC-32C][op, key length, key,
// value]. On open the checkpoint is loaded, then the log replayed up to the
// first torn or damaged record (a crash in the middle of an append), which is
// cut off. A crash between writing a checkpoint and emptying the log is
// harmless: replaying the old log over the new checkpoint ends in the same
// state, since the checkpoint already holds each key's last value.
//
// Sync panics if the operating system cannot make the data durable: the
// node has promised things it can no longer keep, and must stop.
type FileDisk struct {
	mu      sync.Mutex
	dir     string
	data    map[string][]byte
	live    int64  // bytes of keys and values in data
	pending []byte // encoded records not yet in the log
	wal     *os.File
	walSize int64
	syncs   int
}

const (
	walName  = "disk.wal"
	ckptName = "disk.ckpt"
	opPut    = 1
	opDelete = 2
	// minCompact is the log size below which Sync never checkpoints.
	minCompact = 4 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenFileDisk opens (creating if needed) the disk in dir.
func OpenFileDisk(dir string) (*FileDisk, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	d := &FileDisk{dir: dir, data: map[string][]byte{}}
	if f, err := os.Open(filepath.Join(dir, ckptName)); err == nil {
		_, complete, err := d.replay(f)
		f.Close()
		if err != nil || !complete {
			// A checkpoint is renamed into place only once whole and synced.
			return nil, fmt.Errorf("tcp: disk: checkpoint %s is damaged (%v): the data directory was not written by dsim, or was changed", filepath.Join(dir, ckptName), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	walPath := filepath.Join(dir, walName)
	wal, err := os.OpenFile(walPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	good, _, err := d.replay(wal)
	if err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: reading %s: %w", walPath, err)
	}
	// Cut a torn tail, so new records follow the last whole one.
	if err := wal.Truncate(good); err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	if _, err := wal.Seek(good, io.SeekStart); err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	d.wal, d.walSize = wal, good
	return d, nil
}

// replay applies the records of r to d.data. It returns the offset after
// the last whole record and whether the input ended exactly there; err is
// only for I/O errors, not for a torn or damaged tail.
func (d *FileDisk) replay(r io.Reader) (good int64, complete bool, err error) {
	br := bufio.NewReader(r)
	for {
		var hdr [8]byte
		n, err := io.ReadFull(br, hdr[:])
		if err == io.EOF {
			return good, true, nil
		}
		if err == io.ErrUnexpectedEOF {
			return good, false, nil
		}
		if err != nil {
			return good, false, err
		}
		size := binary.BigEndian.Uint32(hdr[:4])
		sum := binary.BigEndian.Uint32(hdr[4:])
		if size > MaxFrameSize*4 {
			return good, false, nil // garbage length: a torn header
		}
		rec := make([]byte, size)
		if _, err := io.ReadFull(br, rec); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return good, false, nil
			}
			return good, false, err
		}
		if crc32.Checksum(rec, crcTable) != sum || !d.apply(rec) {
			return good, false, nil
		}
		good += int64(n) + int64(size)
	}
}

// apply executes one record; false if it does not parse.
func (d *FileDisk) apply(rec []byte) bool {
	if len(rec) < 1 {
		return false
	}
	klen, n := binary.Uvarint(rec[1:])
	if n <= 0 || uint64(len(rec)-1-n) < klen {
		return false
	}
	key := string(rec[1+n : 1+n+int(klen)])
	val := rec[1+n+int(klen):]
	switch rec[0] {
	case opPut:
		d.set(key, slices.Clone(val))
	case opDelete:
		d.remove(key)
	default:
		return false
	}
	return true
}

func (d *FileDisk) set(key string, v []byte) {
	if old, ok := d.data[key]; ok {
		d.live -= int64(len(key) + len(old))
	}
	d.data[key] = v
	d.live += int64(len(key) + len(v))
}

func (d *FileDisk) remove(key string) {
	if old, ok := d.data[key]; ok {
		d.live -= int64(len(key) + len(old))
		delete(d.data, key)
	}
}

func appendRecord(b []byte, op byte, key string, value []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, op)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = append(b, value...)
	rec := b[start+8:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(rec)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(rec, crcTable))
	return b
}

func (d *FileDisk) Get(key string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.data[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

func (d *FileDisk) Put(key string, value []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set(key, slices.Clone(value))
	d.pending = appendRecord(d.pending, opPut, key, value)
}

func (d *FileDisk) Delete(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.data[key]; !ok {
		return
	}
	d.remove(key)
	d.pending = appendRecord(d.pending, opDelete, key, nil)
}

func (d *FileDisk) Keys() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.data))
	for k := range d.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Sync makes every earlier Put and Delete durable before it returns.
func (d *FileDisk) Sync() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.sync(); err != nil {
		panic(fmt.Sprintf("tcp: disk %s: cannot make writes durable: %v", d.dir, err))
	}
}

func (d *FileDisk) sync() error {
	d.syncs++
	if len(d.pending) == 0 {
		return nil
	}
	if d.wal == nil {
		return errors.New("disk is closed")
	}
	if _, err := d.wal.Write(d.pending); err != nil {
		return err
	}
	if err := d.wal.Sync(); err != nil {
		return err
	}
	d.walSize += int64(len(d.pending))
	d.pending = d.pending[:0]
	if d.walSize > max(minCompact, 4*d.live) {
		return d.checkpoint()
	}
	return nil
}

// checkpoint writes every key to a new checkpoint and empties the log.
func (d *FileDisk) checkpoint() error {
	tmp := filepath.Join(d.dir, ckptName+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(d.data))
	for k := range d.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w := bufio.NewWriter(f)
	var buf []byte
	for _, k := range keys {
		buf = appendRecord(buf[:0], opPut, k, d.data[k])
		w.Write(buf)
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, ckptName)); err != nil {
		return err
	}
	if err := syncDir(d.dir); err != nil {
		return err
	}
	if err := d.wal.Truncate(0); err != nil {
		return err
	}
	if _, err := d.wal.Seek(0, io.SeekStart); err != nil {
		return err
	}
	d.walSize = 0
	return d.wal.Sync()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Syncs is how many times Sync was called.
func (d *FileDisk) Syncs() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.syncs
}

// Close syncs what is pending and closes the log.
func (d *FileDisk) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wal == nil {
		return nil
	}
	err := d.sync()
	if cerr := d.wal.Close(); err == nil {
		err = cerr
	}
	d.wal = nil
	return err
}

var _ sim.Disk = (*FileDisk)(nil)
