package explore

import (
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Fingerprinter is an optional capability of a node: a 64-bit digest of
// its whole state, equal for equal states. A node without one is hashed by
// reflection (every field, maps in key order, pointers followed once), which
// is exact but slower, and blind to state a node keeps behind a func value.
type Fingerprinter interface {
	Fingerprint() uint64
}

// Hasher builds a Fingerprint by hand: feed it every field of a node's
// state, in a fixed order (a map's entries sorted), and take its Sum. The
// zero value is not ready; use NewHasher.
type Hasher struct{ h hasher }

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{h: hasher{sum: fnvOffset}} }

// U64 adds a number.
func (h *Hasher) U64(x uint64) { h.h.u64(x) }

// Int adds a signed number.
func (h *Hasher) Int(x int64) { h.h.u64(uint64(x)) }

// Str adds a string (its length first, so "ab","c" differs from "a","bc").
func (h *Hasher) Str(s string) { h.h.str(s) }

// Bool adds a truth value.
func (h *Hasher) Bool(b bool) {
	if b {
		h.h.u64(1)
	} else {
		h.h.u64(2)
	}
}

// Sum is the digest so far.
func (h *Hasher) Sum() uint64 { return h.h.sum }

// hasher digests the canonical encoding of a value into 64 bits.
type hasher struct {
	sum  uint64
	seen map[uintptr]uint64 // pointers already walked, by the order seen
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHasher() *hasher { return &hasher{sum: fnvOffset} }

// u64 mixes a whole word at once (FNV's step on 64 bits, then a
// xorshift so high bits reach low ones): not FNV any more, but fast, and a
// fingerprint only needs equal states to give equal sums and unequal ones,
// almost always, unequal sums.
func (h *hasher) u64(x uint64) {
	h.sum = (h.sum ^ x) * fnvPrime
	h.sum ^= h.sum >> 29
}

func (h *hasher) str(s string) {
	h.u64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h.sum ^= uint64(s[i])
		h.sum *= fnvPrime
	}
}

func (h *hasher) bytes(b []byte) {
	h.u64(uint64(len(b)))
	for _, c := range b {
		h.sum ^= uint64(c)
		h.sum *= fnvPrime
	}
}

var (
	locationType = reflect.TypeOf(time.Location{})
	timeType     = reflect.TypeOf(time.Time{})
	worldType    = reflect.TypeOf(sim.World{})
)

// value hashes v canonically: the same state gives the same sum whatever
// the addresses or the map iteration order.
func (h *hasher) value(v reflect.Value) {
	if !v.IsValid() {
		h.u64(0)
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			h.u64(1)
		} else {
			h.u64(2)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		h.u64(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		h.u64(v.Uint())
	case reflect.Float32, reflect.Float64:
		h.u64(math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		h.u64(math.Float64bits(real(c)))
		h.u64(math.Float64bits(imag(c)))
	case reflect.String:
		h.str(v.String())
	case reflect.Slice:
		if v.IsNil() {
			h.u64(0)
			return
		}
		fallthrough
	case reflect.Array:
		n := v.Len()
		h.u64(uint64(n) + 1)
		if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Slice {
			h.str(string(v.Bytes()))
			return
		}
		for i := 0; i < n; i++ {
			h.value(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			h.u64(0)
			return
		}
		// Each entry hashed on its own, the sums sorted: order-free and exact
		// up to collisions of 64-bit sums.
		entries := make([]uint64, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			e := &hasher{sum: fnvOffset, seen: h.seen}
			e.value(it.Key())
			e.value(it.Value())
			entries = append(entries, e.sum)
		}
		slices.Sort(entries)
		h.u64(uint64(len(entries)) + 1)
		for _, e := range entries {
			h.u64(e)
		}
	case reflect.Struct:
		t := v.Type()
		if t == locationType || t == worldType {
			return // a time zone is not state; a node must not keep the world
		}
		if t == timeType { // the instant (wall, ext), not its time zone
			h.value(v.Field(0))
			h.value(v.Field(1))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			h.value(v.Field(i))
		}
	case reflect.Pointer:
		if v.IsNil() {
			h.u64(0)
			return
		}
		if v.CanInterface() {
			if f, ok := v.Interface().(Fingerprinter); ok {
				h.u64(f.Fingerprint())
				return
			}
		}
		p := v.Pointer()
		if n, ok := h.seen[p]; ok {
			h.u64(n) // a pointer walked already: a back reference, not a second copy
			return
		}
		if h.seen == nil {
			h.seen = map[uintptr]uint64{}
		}
		h.seen[p] = uint64(len(h.seen)) + 1<<32
		h.u64(3)
		h.value(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			h.u64(0)
			return
		}
		e := v.Elem()
		h.str(e.Type().String())
		h.value(e)
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		// A func's captured state is invisible to reflection; a node that
		// keeps state there should implement Fingerprinter.
		if v.IsNil() {
			h.u64(0)
		} else {
			h.u64(4)
		}
	}
}

// Digest is the reflection fingerprint of any value.
func Digest(x any) uint64 {
	h := newHasher()
	h.value(reflect.ValueOf(x))
	return h.sum
}

func reflectValue(x any) reflect.Value { return reflect.ValueOf(x) }
