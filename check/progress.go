package check

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Completed counts the operations that got an answer, and finds the
// longest stretch of virtual time in which none did: the clients' view of
// unavailability, say during a failover.
func (h *History) Completed() (n int, longestGap, gapStart time.Duration) {
	var times []time.Duration
	for _, op := range h.ops {
		if op.Returned {
			times = append(times, op.Return)
		}
	}
	slices.Sort(times)
	for i := 1; i < len(times); i++ {
		if g := times[i] - times[i-1]; g > longestGap {
			longestGap, gapStart = g, times[i-1]
		}
	}
	return len(times), longestGap, gapStart
}

// CompletedSince counts the operations answered at or after t.
func (h *History) CompletedSince(t time.Duration) int {
	n := 0
	for _, op := range h.ops {
		if op.Returned && op.Return >= t {
			n++
		}
	}
	return n
}

// AppendsApplied checks that every acknowledged append is in the final
// value of its key exactly once, given final, which reads a key's value at
// the end of the run (a KV store's Get). With unique appended values (as KV workloads write
// them) this catches an acknowledged write that was lost and a retried
// write that was applied twice, which linearizability alone misses when no
// read follows the write.
func AppendsApplied(h *History, final func(key string) (string, bool)) error {
	for _, op := range h.ops {
		in, ok := op.Input.(KVInput)
		if !ok || in.Op != KVAppend || !op.Returned {
			continue
		}
		value, _ := final(in.Key)
		switch n := strings.Count(value, in.Value); {
		case n == 0:
			return fmt.Errorf("acknowledged append %q to %s by %s is missing from its final value", in.Value, in.Key, op.Client)
		case n > 1:
			return fmt.Errorf("append %q to %s by %s was applied %d times", in.Value, in.Key, op.Client, n)
		}
	}
	return nil
}
