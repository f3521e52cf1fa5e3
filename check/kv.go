package check

import (
	"fmt"
	"strconv"
)

// KVOpKind names a key/value operation.
type KVOpKind string

// The operations of the key/value model.
const (
	KVGet    KVOpKind = "get"    // read Key; a missing key reads as ""
	KVPut    KVOpKind = "put"    // set Key to Value
	KVAppend KVOpKind = "append" // append Value to Key's value
	KVCAS    KVOpKind = "cas"    // if Key's value is Expected, set it to Value
)

// KVInput is an invocation of a key/value store, as a history records it.
type KVInput struct {
	Op       KVOpKind
	Key      string
	Value    string // for put, append and the new value of cas
	Expected string // for cas: the value that must be there
}

// KVOutput is a key/value store's answer. A get returns the value read; a
// cas returns the value it found (before any swap) and OK says whether it
// swapped; put and append return OK.
type KVOutput struct {
	Value string
	OK    bool
}

func (in KVInput) String() string {
	switch in.Op {
	case KVGet:
		return fmt.Sprintf("get(%q)", in.Key)
	case KVPut, KVAppend:
		return fmt.Sprintf("%s(%q, %q)", in.Op, in.Key, in.Value)
	case KVCAS:
		return fmt.Sprintf("cas(%q, %q→%q)", in.Key, in.Expected, in.Value)
	}
	return fmt.Sprintf("%s(%q)?", in.Op, in.Key)
}

// kvStep is the sequential specification of one key: the state is the
// key's value ("" while missing). out is nil when the answer never came:
// then any answer is acceptable, but the operation's effect on the state is
// still what the specification says, because if it took effect at all it
// took effect like this.
func kvStep(state string, in KVInput, out *KVOutput) (bool, string) {
	switch in.Op {
	case KVGet:
		return out == nil || out.Value == state, state
	case KVPut:
		return true, in.Value
	case KVAppend:
		return true, state + in.Value
	case KVCAS:
		swapped := state == in.Expected
		next := state
		if swapped {
			next = in.Value
		}
		if out != nil && (out.OK != swapped || out.Value != state) {
			return false, state
		}
		return true, next
	}
	return false, state
}

func describeKV(in KVInput, out *KVOutput) string {
	if out == nil {
		return in.String() + " → ? (no answer)"
	}
	switch in.Op {
	case KVGet:
		return fmt.Sprintf("%s → %q", in, out.Value)
	case KVCAS:
		if out.OK {
			return fmt.Sprintf("%s → swapped", in)
		}
		return fmt.Sprintf("%s → found %q", in, out.Value)
	}
	return in.String()
}

func describeKVState(s string) string { return strconv.Quote(s) }
