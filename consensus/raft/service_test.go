package raft

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/sim"
)

// labService is a 6.5840-style service: it sees every index (no-ops
// included, through rsm.NoopApplier), so it can number what it applies,
// and every few entries it hands Raft a snapshot of its own (Snapshot).
type labService struct {
	node    *Node
	every   uint64
	last    uint64   // last index applied or restored
	indexes []uint64 // every index seen, in order
	noops   int
	err     error // first error Snapshot returned
}

func (s *labService) Apply(env sim.Env, index uint64, cmd []byte) { s.see(env, index) }
func (s *labService) ApplyNoop(env sim.Env, index uint64) {
	s.noops++
	s.see(env, index)
}

func (s *labService) see(env sim.Env, index uint64) {
	if index != s.last+1 && s.err == nil {
		s.err = fmt.Errorf("index %d after %d: a gap", index, s.last)
	}
	s.last = index
	s.indexes = append(s.indexes, index)
	if s.every > 0 && index%s.every == 0 {
		if err := s.node.Snapshot(env, index, s.Snapshot()); err != nil && s.err == nil {
			s.err = err
		}
	}
}

func (s *labService) Snapshot() []byte { return binary.BigEndian.AppendUint64(nil, s.last) }
func (s *labService) Restore(index uint64, snap []byte) {
	s.last = binary.BigEndian.Uint64(snap)
	s.indexes = append(s.indexes, 0) // marks the restore
}

// TestServiceSeesEveryIndexAndSnapshots: with SnapshotThreshold 0 the
// service decides when to compact; it sees every index in order, no-ops
// included; after a crash it gets its own snapshot back.
func TestServiceSeesEveryIndexAndSnapshots(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SnapshotThreshold = 0
	net := newTestNet()
	w := sim.NewWorld(sim.Config{Seed: 3, Network: net, LoseUnsyncedWrites: true})
	svcs := map[sim.NodeID]*labService{}
	ids := []sim.NodeID{"n1", "n2", "n3"}
	for _, id := range ids {
		w.AddNode(id, func() sim.Node {
			s := &labService{every: 5}
			s.node = New(cfg, s)
			svcs[id] = s
			return s.node
		})
	}
	leader := func() sim.NodeID {
		for _, id := range ids {
			if n, ok := w.Node(id).(*Node); ok && n.Status().Role == Leader {
				return id
			}
		}
		return ""
	}
	require.True(t, w.RunUntil(func() bool { return leader() != "" }, 5*time.Second))
	for i := range 12 {
		require.NoError(t, w.Exec(leader(), func(n sim.Node, env sim.Env) { n.(*Node).Propose(env, []byte{byte(i)}) }))
		w.RunFor(20 * time.Millisecond)
	}
	w.RunFor(200 * time.Millisecond)
	for _, id := range ids {
		s := svcs[id]
		require.NoError(t, s.err, id)
		assert.Equal(t, uint64(13), s.last, "%s: 12 commands and the leader's no-op", id)
		assert.Equal(t, 1, s.noops, "%s sees the no-op's index", id)
		assert.Equal(t, uint64(10), w.Node(id).(*Node).Status().SnapshotIndex, "%s compacted where its service said", id)
	}
	w.Crash("n2")
	w.Restart("n2")
	w.RunFor(300 * time.Millisecond)
	s := svcs["n2"]
	require.NoError(t, s.err)
	assert.Equal(t, []uint64{0, 11, 12, 13}, s.indexes, "restored at 10 from its own snapshot, then re-applied the rest")

	var err error
	require.NoError(t, w.Exec("n1", func(n sim.Node, env sim.Env) { err = n.(*Node).Snapshot(env, 99, nil) }))
	require.ErrorIs(t, err, ErrSnapshotIndex, "a snapshot past the applied entries is refused")
}

// TestNoopMarkedExplicitly: an empty command stays a command through gob
// (which turns empty slices into nil) and through the disk; a no-op stays a
// no-op.
func TestNoopMarkedExplicitly(t *testing.T) {
	in := []Entry{{Index: 1, Term: 1, Noop: true}, {Index: 2, Term: 1, Command: []byte{}}, {Index: 3, Term: 1, Command: []byte("x")}}
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(in))
	var out []Entry
	require.NoError(t, gob.NewDecoder(&buf).Decode(&out))
	assert.True(t, out[0].Noop)
	assert.False(t, out[1].Noop, "an empty command is no no-op, even when gob makes it nil")
	for _, e := range in {
		got, err := decodeEntry(e.Index, encodeEntry(&e))
		require.NoError(t, err)
		assert.Equal(t, e.Noop, got.Noop)
		assert.Equal(t, len(e.Command), len(got.Command))
	}
}
