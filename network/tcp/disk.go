package tcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

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
// value]. On open the checkpoint is loaded, then the log replayed. A crash
// in the middle of an append can leave a torn final record: a short header,
// a length running past the end of the file, or a CRC that does not match,
// with nothing whole after it. That write never returned from Sync, so
// nobody was told it was done: it is cut off, with a log line. Damage
// anywhere else (a bad record followed by whole ones, any flaw in a
// checkpoint) means synced writes, promises the node made, would be lost:
// OpenFileDisk refuses with a *DamageError naming the file and the byte,
// unless DiskOptions.Salvage says to keep a copy and cut the log there (see
// sim.LostWritesKey). A crash between writing a checkpoint and emptying
// the log is harmless: replaying the old log over the new checkpoint ends in
// the same state, since the checkpoint already holds each key's last value.
//
// What this cannot see: a log cut short at a record boundary by something
// other than a crash looks exactly like a crash's torn tail.
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
	// recordHeader is a record's length and CRC.
	recordHeader = 8
	// maxRecord bounds a record's length: a longer one is garbage.
	maxRecord = MaxFrameSize * 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrDiskDamaged is wrapped by the *DamageError OpenFileDisk returns.
var ErrDiskDamaged = errors.New("disk damaged")

// DamageError says where a disk file is damaged, and what to do about it.
type DamageError struct {
	File   string // the damaged file's path
	Offset int64  // the byte where the first bad record starts
	Reason string // what is wrong there
	// Next is the offset of a whole record after the damage, -1 if none
	// (in a checkpoint, any flaw is damage).
	Next int64
}

func (e *DamageError) Error() string {
	what := fmt.Sprintf("%s is damaged at byte %d: %s", e.File, e.Offset, e.Reason)
	if e.Next >= 0 {
		what += fmt.Sprintf(", yet whole records follow at byte %d", e.Next)
	}
	return what + ". The node refuses to start rather than forget writes it acknowledged. " +
		"Restore the data directory from a backup, or restart with --salvage: it keeps a copy of the file, " +
		"cuts it at the damage, and the node then neither votes nor campaigns until a leader has brought it up to date. " +
		"Do not just delete the directory: a node that forgot its votes and log can help elect a leader missing acknowledged writes"
}

func (e *DamageError) Unwrap() error { return ErrDiskDamaged }

// DiskOptions change how OpenFileDiskWith opens a disk.
type DiskOptions struct {
	// Salvage opens a damaged disk instead of refusing: the damaged file is
	// copied to FILE.damaged-TIME, the log is cut where the damage starts
	// (a damaged checkpoint throws away everything, log included, since
	// the log alone is only the end of the story), and sim.LostWritesKey
	// is put on the disk so the protocol knows.
	Salvage bool
	// Logger receives a line for a torn tail cut off and for a salvage.
	// Nil means slog.Default().
	Logger *slog.Logger
	// Now stamps the salvaged copy's name; nil means time.Now.
	Now func() time.Time
}

// OpenFileDisk opens (creating if needed) the disk in dir, refusing a
// damaged one.
func OpenFileDisk(dir string) (*FileDisk, error) { return OpenFileDiskWith(dir, DiskOptions{}) }

// OpenFileDiskWith opens (creating if needed) the disk in dir.
func OpenFileDiskWith(dir string, o DiskOptions) (*FileDisk, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	d := &FileDisk{dir: dir, data: map[string][]byte{}}
	ckptPath, walPath := filepath.Join(dir, ckptName), filepath.Join(dir, walName)
	var lost string // why writes were lost, when salvaging
	if err := d.loadCheckpoint(ckptPath); err != nil {
		var de *DamageError
		if !o.Salvage || !errors.As(err, &de) {
			return nil, err
		}
		// The log only makes sense on top of its checkpoint: keep copies of
		// both and start empty.
		stamp := o.Now().UTC().Format("20060102T150405Z")
		for _, p := range []string{ckptPath, walPath} {
			if err := os.Rename(p, p+".damaged-"+stamp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("tcp: disk: salvage: %w", err)
			}
		}
		if err := syncDir(dir); err != nil {
			return nil, fmt.Errorf("tcp: disk: salvage: %w", err)
		}
		d.data, d.live = map[string][]byte{}, 0
		lost = fmt.Sprintf("salvaged %s: damaged at byte %d (%s); everything dropped; copies in %s.damaged-%s and %s.damaged-%s",
			ckptPath, de.Offset, de.Reason, ckptName, stamp, walName, stamp)
		o.Logger.Warn("DISK SALVAGED: the checkpoint was damaged; starting EMPTY; this node lost writes it had acknowledged and will not vote until a leader brings it up to date",
			"file", ckptPath, "offset", de.Offset, "reason", de.Reason, "copy", ckptPath+".damaged-"+stamp)
	}
	wal, err := os.OpenFile(walPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	info, err := wal.Stat()
	if err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	res, err := scanLog(wal, info.Size(), walPath, d.apply)
	if err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: reading %s: %w", walPath, err)
	}
	switch {
	case res.damage != nil && !o.Salvage:
		wal.Close()
		return nil, res.damage
	case res.damage != nil:
		stamp := o.Now().UTC().Format("20060102T150405Z")
		cp := walPath + ".damaged-" + stamp
		if err := copyFile(walPath, cp); err != nil {
			wal.Close()
			return nil, fmt.Errorf("tcp: disk: salvage: keeping a copy of %s: %w", walPath, err)
		}
		lost = fmt.Sprintf("salvaged %s: damaged at byte %d (%s); cut there, %d bytes dropped; copy in %s",
			walPath, res.damage.Offset, res.damage.Reason, info.Size()-res.good, cp)
		o.Logger.Warn("DISK SALVAGED: the log was cut at the damage; this node lost writes it had acknowledged and will not vote until a leader brings it up to date",
			"file", walPath, "offset", res.damage.Offset, "reason", res.damage.Reason, "dropped", info.Size()-res.good, "copy", cp)
	case res.good < info.Size():
		o.Logger.Warn("disk: cut off a torn final record (a write cut short by a crash, never acknowledged)",
			"file", walPath, "offset", res.good, "bytes", info.Size()-res.good, "reason", res.torn)
	}
	// Cut a torn tail (or, salvaging, the damage and all after it), so new
	// records follow the last whole one.
	if err := wal.Truncate(res.good); err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	if _, err := wal.Seek(res.good, io.SeekStart); err != nil {
		wal.Close()
		return nil, fmt.Errorf("tcp: disk: %w", err)
	}
	d.wal, d.walSize = wal, res.good
	if lost != "" {
		d.Put(sim.LostWritesKey, []byte(lost))
		if err := d.sync(); err != nil {
			wal.Close()
			return nil, fmt.Errorf("tcp: disk: salvage: %w", err)
		}
	}
	return d, nil
}

// loadCheckpoint applies the checkpoint at path, if there is one. A
// checkpoint is renamed into place only once whole and synced, so any flaw
// at all is damage.
func (d *FileDisk) loadCheckpoint(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tcp: disk: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("tcp: disk: %w", err)
	}
	res, err := scanLog(f, info.Size(), path, d.apply)
	if err != nil {
		return fmt.Errorf("tcp: disk: reading %s: %w", path, err)
	}
	if res.damage != nil {
		return res.damage
	}
	if res.good < info.Size() {
		return &DamageError{File: path, Offset: res.good, Reason: res.torn + " (a checkpoint is never torn: it is renamed into place once whole)", Next: -1}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(to))
	}
	return err
}

// scanned is what scanLog found.
type scanned struct {
	good   int64        // offset after the last whole record
	torn   string       // why the bytes after good are not a record, if any are
	damage *DamageError // set when whole records follow a bad one
}

// scanLog reads the records of a log (or checkpoint) of size bytes from r
// and calls apply with each whole one, in order: its offset and its body
// (length and CRC checked, and parseRecord accepts it). It stops at the
// first bad record. If a whole record follows it anywhere after, that is
// damage; if nothing whole follows, it is a torn tail. err is only for
// I/O errors.
func scanLog(r io.ReaderAt, size int64, name string, apply func(rec []byte)) (scanned, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16)
	var res scanned
	var hdr [recordHeader]byte
	var rec []byte
	for res.good < size {
		left := size - res.good
		if left < recordHeader {
			res.torn = fmt.Sprintf("%d bytes, too short for a record header", left)
			break
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return res, err
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n > maxRecord || n > left-recordHeader {
			res.torn = fmt.Sprintf("a record of %d bytes runs past the end of the file (%d bytes left)", n, left-recordHeader)
			break
		}
		rec = slices.Grow(rec[:0], int(n))[:n]
		if _, err := io.ReadFull(br, rec); err != nil {
			return res, err
		}
		if crc32.Checksum(rec, crcTable) != binary.BigEndian.Uint32(hdr[4:]) {
			res.torn = fmt.Sprintf("a record of %d bytes whose CRC does not match", n)
			break
		}
		if _, _, _, ok := parseRecord(rec); !ok {
			res.torn = fmt.Sprintf("a record of %d bytes with a good CRC that does not parse", n)
			break
		}
		apply(rec)
		res.good += recordHeader + n
	}
	if res.good == size {
		return res, nil
	}
	// Is anything whole after the bad record? Then it was not the last
	// write before a crash: it is damage.
	rest := make([]byte, size-res.good)
	if _, err := r.ReadAt(rest, res.good); err != nil && err != io.EOF {
		return res, err
	}
	if next := nextWholeRecord(rest, 1); next >= 0 {
		res.damage = &DamageError{File: name, Offset: res.good, Reason: res.torn, Next: res.good + int64(next)}
	}
	return res, nil
}

// nextWholeRecord is the first offset at or after from in b where a whole
// record starts (good length, CRC and body), or -1.
func nextWholeRecord(b []byte, from int) int {
	for i := from; i+recordHeader <= len(b); i++ {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 2 || n > len(b)-i-recordHeader {
			continue // too short to hold an op and a key length, or past the end
		}
		rec := b[i+recordHeader : i+recordHeader+n]
		if crc32.Checksum(rec, crcTable) != binary.BigEndian.Uint32(b[i+4:]) {
			continue
		}
		if _, _, _, ok := parseRecord(rec); ok {
			return i
		}
	}
	return -1
}

// parseRecord splits a record body into its op, key and value.
func parseRecord(rec []byte) (op byte, key string, val []byte, ok bool) {
	if len(rec) < 2 || (rec[0] != opPut && rec[0] != opDelete) {
		return 0, "", nil, false
	}
	klen, n := binary.Uvarint(rec[1:])
	if n <= 0 || uint64(len(rec)-1-n) < klen {
		return 0, "", nil, false
	}
	return rec[0], string(rec[1+n : 1+n+int(klen)]), rec[1+n+int(klen):], true
}

// apply executes one record that parseRecord accepts.
func (d *FileDisk) apply(rec []byte) {
	op, key, val, _ := parseRecord(rec)
	switch op {
	case opPut:
		d.set(key, slices.Clone(val))
	case opDelete:
		d.remove(key)
	}
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
