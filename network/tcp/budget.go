package tcp

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// ErrOverBudget is returned by a frame reader when reading on would take
// the connections past the runtime's memory budget (Config.MaxBuffered).
// The runtime counts it, logs it and closes the connection.
var ErrOverBudget = errors.New("tcp: over the memory budget for frames being read")

// memBudget caps the bytes held for frames read from accepted connections:
// those being read (what their buffers hold, which grows only as bytes
// arrive) and those waiting for the event loop. A stranger announcing a
// 16 MiB frame costs what it actually sent, and all strangers together at
// most the budget; past it their connections are closed.
//
// When the bytes held fall back to zero after a large peak, the memory is
// handed back to the operating system (debug.FreeOSMemory, at most one at a
// time), so a node's resident size returns after an attack instead of
// staying at its peak until the next garbage collection.
//
// Bytes given back stay counted (as garbage) until a collection has run:
// a connection closed mid-frame leaves its buffers to the garbage
// collector, and new ones must not pile up on top of them meanwhile. When
// garbage reaches half the limit, a collection is started.
type memBudget struct {
	limit      int64
	used       atomic.Int64 // bytes reserved now
	garbage    atomic.Int64 // bytes released since the last collection; used+garbage <= limit
	peak       atomic.Int64 // highest used since memory was last handed back
	collecting atomic.Bool  // a runtime.GC or FreeOSMemory is running
}

// freeAfter is the peak after which memory is handed back once unused.
const freeAfter = 8 << 20

func newMemBudget(limit int64) *memBudget { return &memBudget{limit: limit} }

// reserve takes n bytes from the budget, or reports false if there are not
// that many left. A nil budget has no limit.
func (b *memBudget) reserve(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		u := b.used.Load()
		if u+b.garbage.Load()+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			for p := b.peak.Load(); u+n > p && !b.peak.CompareAndSwap(p, u+n); p = b.peak.Load() {
			}
			return true
		}
	}
}

// release gives n reserved bytes back.
func (b *memBudget) release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	g := b.garbage.Add(n)
	u := b.used.Add(-n)
	idle := u == 0 && b.peak.Load() >= freeAfter
	if (idle || g >= b.limit/2) && b.collecting.CompareAndSwap(false, true) {
		go func() {
			if idle {
				b.peak.Store(0)
				debug.FreeOSMemory() // a collection, then memory back to the OS
			} else {
				runtime.GC()
			}
			b.garbage.Add(-g) // collected; later releases wait for the next
			b.collecting.Store(false)
		}()
	}
}

// frameBudget is the two pools frames from accepted connections draw on:
// a frame's first frameStart bytes (all of a small frame: requests, votes,
// heartbeats) come from small, the rest of a large one from large. So
// strangers announcing huge frames exhaust only large, and the node keeps
// reading ordinary requests meanwhile.
type frameBudget struct{ small, large *memBudget }

// held is what one frame holds of each pool.
type held struct{ small, large int64 }

func (f *frameBudget) release(h held) {
	if f != nil {
		f.small.release(h.small)
		f.large.release(h.large)
	}
}

func (f *frameBudget) pools() (small, large *memBudget) {
	if f == nil {
		return nil, nil
	}
	return f.small, f.large
}

// inUse is how many bytes are reserved now.
func (b *memBudget) inUse() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}
