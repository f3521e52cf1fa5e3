package broker

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// Messages of the partitioned log.
type (
	// Append asks the log to store a record under Key; the log answers
	// Appended with the partition and offset it got.
	Append struct{ ID, Key, Body string }
	// Appended says where a record went.
	Appended struct {
		ID        string
		Partition int
		Offset    int64
	}
	// Read asks for up to Max records of a partition from Offset on.
	Read struct {
		Partition int
		Offset    int64
		Max       int
	}
	// Records answers a Read: the records at Offset, Offset+1, ... (none
	// if the consumer is at the end).
	Records struct {
		Partition int
		Offset    int64
		Records   []Record
	}
	// Commit records that Group has processed Partition up to (not
	// including) Offset.
	Commit struct {
		Group     string
		Partition int
		Offset    int64
	}
	// OffsetFetch asks for Group's committed offset of Partition; the log
	// answers Committed.
	OffsetFetch struct {
		Group     string
		Partition int
	}
	Committed struct {
		Group     string
		Partition int
		Offset    int64
	}
)

// Record is one entry of a partition. Its offset never changes.
type Record struct {
	ID, Key, Body string
	Offset        int64
}

// PartitionOf is the partition a key goes to: a hash of the key modulo the
// partition count, so one key's records share a partition and keep their
// order.
func PartitionOf(key string, partitions int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(partitions))
}

// Log is a partitioned log broker. Invariant: partitions only grow, and a
// record's offset is its index in its partition.
type Log struct {
	partitions [][]Record
	committed  map[string][]int64 // group -> committed offset per partition
	ids        map[string]Appended
	served     map[sim.NodeID]int // records sent to each reader
}

// NewLog returns a log with the given number of partitions (at least 1).
func NewLog(partitions int) *Log {
	return &Log{partitions: make([][]Record, max(1, partitions)), committed: map[string][]int64{}, ids: map[string]Appended{}, served: map[sim.NodeID]int{}}
}

func (l *Log) Start(sim.Env) {}

func (l *Log) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Append:
		l.onAppend(env, from, m)
	case Read:
		l.onRead(env, from, m)
	case Commit:
		l.onCommit(m)
	case OffsetFetch:
		env.Send(from, Committed{Group: m.Group, Partition: m.Partition, Offset: l.CommittedOffset(m.Group, m.Partition)})
	}
}

func (l *Log) onAppend(env sim.Env, from sim.NodeID, m Append) {
	if a, dup := l.ids[m.ID]; dup { // a retried append is stored once
		env.Send(from, a)
		return
	}
	p := PartitionOf(m.Key, len(l.partitions))
	off := int64(len(l.partitions[p]))
	l.partitions[p] = append(l.partitions[p], Record{ID: m.ID, Key: m.Key, Body: m.Body, Offset: off})
	a := Appended{ID: m.ID, Partition: p, Offset: off}
	l.ids[m.ID] = a
	env.Send(from, a)
}

func (l *Log) onRead(env sim.Env, from sim.NodeID, m Read) {
	if m.Partition < 0 || m.Partition >= len(l.partitions) || m.Offset < 0 {
		env.Logf("read of partition %d at offset %d refused: no such place", m.Partition, m.Offset)
		return
	}
	part := l.partitions[m.Partition]
	var recs []Record
	for o := m.Offset; o < int64(len(part)) && len(recs) < max(1, m.Max); o++ {
		recs = append(recs, part[o])
	}
	l.served[from] += len(recs)
	env.Send(from, Records{Partition: m.Partition, Offset: m.Offset, Records: recs})
}

func (l *Log) onCommit(m Commit) {
	if m.Partition < 0 || m.Partition >= len(l.partitions) {
		return
	}
	c, ok := l.committed[m.Group]
	if !ok {
		c = make([]int64, len(l.partitions))
		l.committed[m.Group] = c
	}
	c[m.Partition] = m.Offset
}

// Served is how many records the log has sent to reader, re-reads
// included.
func (l *Log) Served(reader sim.NodeID) int { return l.served[reader] }

// Partitions is the number of partitions.
func (l *Log) Partitions() int { return len(l.partitions) }

// End is the offset the next record of partition p will get.
func (l *Log) End(p int) int64 { return int64(len(l.partitions[p])) }

// Partition returns a copy of partition p's records.
func (l *Log) Partition(p int) []Record { return slices.Clone(l.partitions[p]) }

// CommittedOffset is group's committed offset of partition p (0 if none).
func (l *Log) CommittedOffset(group string, p int) int64 {
	if c, ok := l.committed[group]; ok && p >= 0 && p < len(c) {
		return c[p]
	}
	return 0
}

// Inspect shows each partition's end offset and each group's committed
// offsets, and so each group's lag.
func (l *Log) Inspect() map[string]string {
	out := map[string]string{}
	var ends []string
	for p := range l.partitions {
		ends = append(ends, strconv.FormatInt(l.End(p), 10))
	}
	out["partition ends"] = strings.Join(ends, " ")
	groups := make([]string, 0, len(l.committed))
	for g := range l.committed {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		var offs []string
		for p, o := range l.committed[g] {
			offs = append(offs, fmt.Sprintf("%d (lag %d)", o, l.End(p)-o))
		}
		out["committed "+g] = strings.Join(offs, " ")
	}
	return out
}
