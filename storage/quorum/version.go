package quorum

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/dsimlab/dsim/clock"
)

// Version is one written value and what identifies it: the vector clock
// its writer gave it, and, for last-writer-wins, the timestamp the
// coordinator stamped it with.
type Version struct {
	Value string
	// Clock orders versions causally: a version whose clock is Before
	// another's was seen by that one's writer, and is superseded by it.
	Clock clock.Vector
	// Stamp is the coordinator's clock (env.Now, Unix nanoseconds) when the
	// write arrived. Only last-writer-wins looks at it; a skewed clock makes
	// it lie.
	Stamp int64
	// Writer is the client that wrote it: the tie-breaker for equal stamps.
	Writer string
}

func (v Version) String() string {
	var b strings.Builder
	b.WriteString(strconv.Quote(v.Value))
	b.WriteString(v.Clock.String())
	if v.Stamp != 0 {
		b.WriteString("@")
		b.WriteString(strconv.FormatInt(v.Stamp, 10))
	}
	return b.String()
}

// Siblings is what a replica stores for a key: the versions none of which
// supersedes another. Invariant (kept by Add): every two of them are
// Concurrent, and they are sorted by clock (then value), so that equal sets
// compare and print equal.
//
// One version is the normal case. Two or more mean that writers wrote
// without having seen each other's writes, and the store cannot know which
// value is right: it keeps all of them, and the next writer who has read
// them all (and passes their merged Context) replaces them with one value.
type Siblings []Version

// Add returns s with v taken in, by vector clock: v is dropped if a version
// of s has the same clock or a later one (v was already seen and
// superseded); otherwise every version v supersedes is dropped and v joins
// the rest as a sibling. Add never changes s.
func (s Siblings) Add(v Version) Siblings {
	out := make(Siblings, 0, len(s)+1)
	for _, have := range s {
		switch v.Clock.Compare(have.Clock) {
		case clock.Before, clock.Equal:
			return s // already here, or superseded
		case clock.Concurrent:
			out = append(out, have)
		}
		// After: v supersedes have, which is dropped.
	}
	out = append(out, v)
	slices.SortFunc(out, compareVersions)
	return out
}

// AddLWW returns s with v taken in by last-writer-wins: only one version is
// kept, the one with the highest Stamp (then Writer, then Value, so every
// replica picks the same). Causality is ignored: a write stamped by a clock
// running behind loses to an older write, and is silently gone.
func (s Siblings) AddLWW(v Version) Siblings {
	if len(s) == 0 || newerLWW(v, s[0]) {
		return Siblings{v}
	}
	return s
}

func newerLWW(a, b Version) bool {
	if a.Stamp != b.Stamp {
		return a.Stamp > b.Stamp
	}
	if a.Writer != b.Writer {
		return a.Writer > b.Writer
	}
	return a.Value > b.Value
}

// Merge takes in every version of t, by vector clock or, with lww, by
// last-writer-wins.
func (s Siblings) Merge(t Siblings, lww bool) Siblings {
	for _, v := range t {
		if lww {
			s = s.AddLWW(v)
		} else {
			s = s.Add(v)
		}
	}
	return s
}

// Context is the merge of the siblings' clocks: what a client read. A write
// whose clock is built on it supersedes every one of them.
func (s Siblings) Context() clock.Vector {
	var ctx clock.Vector
	for _, v := range s {
		ctx = ctx.Merge(v.Clock)
	}
	return ctx
}

// Values lists the siblings' values, in the siblings' order.
func (s Siblings) Values() []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = v.Value
	}
	return out
}

// Equal reports whether two sibling sets hold the same versions.
func (s Siblings) Equal(t Siblings) bool {
	return slices.EqualFunc(s, t, func(a, b Version) bool {
		return a.Value == b.Value && a.Stamp == b.Stamp && a.Writer == b.Writer && a.Clock.Compare(b.Clock) == clock.Equal
	})
}

// Covers reports whether s holds the version with clock c or one that
// supersedes it: a read that returned s has seen that write.
func (s Siblings) Covers(c clock.Vector) bool {
	for _, have := range s {
		if o := c.Compare(have.Clock); o == clock.Before || o == clock.Equal {
			return true
		}
	}
	return false
}

func compareVersions(a, b Version) int {
	return cmp.Or(strings.Compare(a.Clock.String(), b.Clock.String()), strings.Compare(a.Value, b.Value),
		cmp.Compare(a.Stamp, b.Stamp), strings.Compare(a.Writer, b.Writer))
}

// NextClock is the clock of a new write by writer, who has read context
// and whose previous write had counter last in its own entry: context with
// writer's entry moved past both. The writer's own entry makes the new
// version differ from every other, and the context makes it supersede
// everything the writer read.
//
// Versions are minted by the writer (the client), not by the coordinator
// as in the Dynamo paper: with coordinator entries, two clients writing
// blind through the same coordinator would get ordered clocks, and one
// write would silently supersede the other although neither writer saw the
// other's value (the problem Riak later solved with dotted version
// vectors). With writer entries, concurrent writes are exactly the
// writes with concurrent clocks.
func NextClock(context clock.Vector, writer string, last uint64) clock.Vector {
	n := max(context[writer], last) + 1
	return context.Merge(clock.Vector{writer: n})
}
