package storage

import (
	"time"

	"github.com/dsimlab/dsim/clock"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/quorum"
)

// access is one finished client operation on a key/value store, as the
// staleness analysis sees it: a put of value, or a get that returned value.
// Operations on the quorum store also carry versions: the clock a put wrote,
// the siblings a get returned.
type access struct {
	client    sim.NodeID
	put       bool
	key       string
	value     string // written by a put, or returned by a get ("" for nothing)
	call, ret time.Duration
	ok        bool // answered; a put that was not has an unknown outcome

	versioned bool
	clock     clock.Vector    // put on the quorum store
	siblings  quorum.Siblings // get on the quorum store
}

// staleRead is a read that missed an acknowledged write.
type staleRead struct {
	read   access
	missed access // the acknowledged write it missed
}

// staleReads finds the reads that missed a write acknowledged before they
// were invoked: nothing they returned is that write or newer than it. For
// the quorum store "newer" is causal: a sibling whose clock is the write's
// or later. For a store without versions it is real time: the value read
// was written, and acknowledged, before the missed write began (values are
// unique, so a value names its write). A linearizable store never has a
// stale read; neither has a quorum store with R+W > N and strict quorums.
func staleReads(ops []access) (stale []staleRead, reads int) {
	writes := map[string]access{} // value -> its put
	byKey := map[string][]access{}
	for _, a := range ops {
		if a.put {
			writes[a.value] = a
			if a.ok {
				byKey[a.key] = append(byKey[a.key], a)
			}
		}
	}
	for _, r := range ops {
		if r.put || !r.ok {
			continue
		}
		reads++
		for _, w := range byKey[r.key] {
			if w.ret < r.call && missed(r, w, writes) {
				stale = append(stale, staleRead{read: r, missed: w})
				break
			}
		}
	}
	return stale, reads
}

// missed reports whether read r returned nothing as new as write w.
func missed(r, w access, writes map[string]access) bool {
	if r.versioned {
		return !r.siblings.Covers(w.clock)
	}
	if r.value == "" {
		return true
	}
	v, ok := writes[r.value]
	return ok && v.ok && v.ret < w.call
}
