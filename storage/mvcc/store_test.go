package mvcc_test

import (
	"errors"
	"testing"

	"github.com/dsimlab/dsim/check"
	"github.com/dsimlab/dsim/storage/mvcc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lost update: both read 100 and write 110. Read committed lets the
// second write wait and then overwrite; snapshot isolation refuses it;
// 2PL finds the deadlock.
func TestLostUpdate(t *testing.T) {
	tests := []struct {
		level     mvcc.Level
		wantFinal string
		wantErr   error // what T2's write gets
	}{
		{mvcc.ReadCommitted, "110", nil},
		{mvcc.RepeatableRead, "110", mvcc.ErrSerialization},
		{mvcc.Serializable, "110", mvcc.ErrDeadlock},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			s := mvcc.New()
			s.Load("x", "100")
			t1, t2 := s.Begin(tt.level), s.Begin(tt.level)
			for _, id := range []string{t1, t2} {
				v, _, err := s.Read(id, "x")
				require.NoError(t, err)
				assert.Equal(t, "100", v)
			}
			err := s.Write(t1, "x", "110")
			if tt.level == mvcc.Serializable {
				var b *mvcc.Blocked
				require.ErrorAs(t, err, &b, "T1 waits for T2's shared lock")
				assert.ErrorIs(t, s.Write(t2, "x", "110"), mvcc.ErrDeadlock, "T2 would wait for T1: a cycle")
				require.NoError(t, s.Write(t1, "x", "110"), "T2 aborted: T1 goes on")
				require.NoError(t, s.Commit(t1))
			} else {
				require.NoError(t, err)
				var b *mvcc.Blocked
				require.ErrorAs(t, s.Write(t2, "x", "110"), &b, "T1 holds the write lock")
				require.NoError(t, s.Commit(t1))
				err = s.Write(t2, "x", "110")
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				} else {
					require.NoError(t, err)
					require.NoError(t, s.Commit(t2))
				}
			}
			v, _ := s.Committed("x")
			assert.Equal(t, tt.wantFinal, v)
			found := check.CheckTxns(s.History())
			if tt.wantErr == nil {
				require.Len(t, found, 1)
				assert.Equal(t, "G-single", found[0].Kind)
			} else {
				assert.Empty(t, found)
			}
		})
	}
}

// A snapshot does not move; read committed sees each new commit; read
// uncommitted sees uncommitted writes.
func TestVisibility(t *testing.T) {
	s := mvcc.New()
	s.Load("x", "1")
	ru, rc, rr := s.Begin(mvcc.ReadUncommitted), s.Begin(mvcc.ReadCommitted), s.Begin(mvcc.RepeatableRead)
	w := s.Begin(mvcc.ReadCommitted)
	require.NoError(t, s.Write(w, "x", "2"))
	read := func(id string) string { v, _, err := s.Read(id, "x"); require.NoError(t, err); return v }
	assert.Equal(t, "2", read(ru), "dirty read")
	assert.Equal(t, "1", read(rc))
	require.NoError(t, s.Commit(w))
	assert.Equal(t, "2", read(rc), "non-repeatable read")
	assert.Equal(t, "1", read(rr), "the snapshot")
	rows, err := s.Scan(rr, "")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"x": "1"}, rows)
}

// 2PL's predicate lock keeps an insert out of a scanned range until the
// scanner finishes.
func TestPredicateLock(t *testing.T) {
	s := mvcc.New()
	s.Load("p/1", "a")
	t1, t2 := s.Begin(mvcc.Serializable), s.Begin(mvcc.Serializable)
	_, err := s.Scan(t1, "p/")
	require.NoError(t, err)
	var b *mvcc.Blocked
	require.ErrorAs(t, s.Write(t2, "p/2", "b"), &b)
	assert.Equal(t, t1, b.By)
	assert.Contains(t, s.Locks(), "p/*: predicate by "+t1)
	require.NoError(t, s.Commit(t1))
	require.NoError(t, s.Write(t2, "p/2", "b"))
	require.NoError(t, s.Commit(t2))
	assert.Empty(t, check.CheckTxns(s.History()))
	_, _, err = s.Read(t1, "p/1")
	assert.True(t, errors.Is(err, mvcc.ErrNotActive))
}
