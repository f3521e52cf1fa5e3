package tcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/consensus/raft"
	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/sim"
)

func raftKVRegistry(t testing.TB) *Registry {
	t.Helper()
	p, err := testProtocol("raft-kv")
	require.NoError(t, err)
	reg, err := p.NewRegistry()
	require.NoError(t, err)
	return reg
}

// Every message of the raft-kv protocol survives the wire unchanged, and
// the wire is JSON a person (or jq) can read.
func TestFrameRoundTrip(t *testing.T) {
	reg := raftKVRegistry(t)
	msgs := []sim.Message{
		raft.RequestVote{Term: 3, LastLogIndex: 7, LastLogTerm: 2, PreVote: true},
		raft.RequestVoteReply{Term: 3, VoteGranted: true},
		raft.AppendEntries{Term: 4, PrevLogIndex: 5, PrevLogTerm: 3, LeaderCommit: 5,
			Entries: []raft.Entry{{Index: 6, Term: 4, Command: []byte(`put "x" "1"`)}, {Index: 7, Term: 4}}},
		raft.AppendEntriesReply{Term: 4, Success: false, ConflictTerm: 2, ConflictIndex: 3},
		raft.InstallSnapshot{Term: 5, LastIncludedIndex: 100, LastIncludedTerm: 4, Data: []byte{0, 1, 2, 255}},
		raft.InstallSnapshotReply{Term: 5, LastIncludedIndex: 100},
		rsm.ClientRequest{ClientID: "cli-1", Seq: 9, Op: []byte(`get "x"`)},
		rsm.ClientReply{ClientID: "cli-1", Seq: 9, Err: rsm.ErrWrongLeader, Leader: "n2"},
		Hello{Cluster: "lab", From: "n1", To: "n2", Version: ProtocolVersion, Kind: KindPeer, Nonce: []byte("0123456789abcdef")},
		FaultRequest{Action: "delay", A: "n1", B: "n2", Delay: 50e6},
	}
	for _, m := range msgs {
		frame, err := reg.Encode(m)
		require.NoError(t, err)
		n := binary.BigEndian.Uint32(frame)
		require.Equal(t, len(frame)-4, int(n), "the prefix is the body's length")
		name, _ := reg.NameOf(m)
		assert.True(t, strings.HasPrefix(string(frame[4:]), `{"type":"`+name+`","body":{`), "readable JSON: %s", frame[4:])
		got, err := reg.DecodeFrame(bytes.NewReader(frame), 0)
		require.NoError(t, err)
		assert.Equal(t, m, got, "%s round trip", name)
	}
}

func TestRegisterRefusesAmbiguity(t *testing.T) {
	type ping struct{ N int }
	cases := []struct {
		name string
		zero sim.Message
		want string
	}{
		{"", ping{}, "bad type name"},
		{"has space", ping{}, "bad type name"},
		{"x.Ping", nil, "nil value"},
		{"x.Ping", &ping{}, "pointer"},
		{"tcp.Hello", ping{}, "name already taken"},
		{"x.Hello", Hello{}, "already registered"},
	}
	for _, c := range cases {
		err := NewRegistry().Register(c.name, c.zero)
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want)
	}
}

func frameOf(body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	return append(b, body...)
}

func TestDecodeFrameRefusesBadInput(t *testing.T) {
	reg := raftKVRegistry(t)
	cases := []struct {
		name  string
		input []byte
		want  error
	}{
		{"oversized", binary.BigEndian.AppendUint32(nil, MaxFrameSize+1), ErrFrameTooLarge},
		{"not JSON", frameOf("\x00\x01garbage"), ErrBadFrame},
		{"no type", frameOf(`{"body":{}}`), ErrBadFrame},
		{"unknown type", frameOf(`{"type":"evil.Exec","body":{}}`), ErrUnknownType},
		{"wrong body", frameOf(`{"type":"raft.RequestVote","body":{"Term":"three"}}`), ErrBadFrame},
		{"truncated body", frameOf(`{"type":"raft.RequestVote"}`)[:10], io.ErrUnexpectedEOF},
		{"truncated header", []byte{0, 0}, io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		_, err := reg.DecodeFrame(bytes.NewReader(c.input), 0)
		assert.ErrorIs(t, err, c.want, c.name)
	}
}

// A frame announcing 1 GiB costs the reader its 4-byte header, not a
// gigabyte: the length is checked before anything is allocated.
func TestOneGiBAnnouncementAllocatesNothingBig(t *testing.T) {
	reg := raftKVRegistry(t)
	hdr := binary.BigEndian.AppendUint32(nil, 1<<30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := reg.DecodeFrame(bytes.NewReader(hdr), 0)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated while refusing a 1 GiB frame")
	rd := bytes.NewReader(hdr)
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(hdr)
		reg.DecodeFrame(rd, 0)
	})
	// A few small ones build the error message; the body is never allocated.
	assert.LessOrEqual(t, allocs, 8.0, "allocations per refused frame")
}

// A frame within the limit is not allocated on the sender's word either:
// announcing 16 MiB and sending 1 KiB costs about 1 KiB, and the frames
// being read together never pass their budget.
func TestFrameBufferGrowsOnlyAsBytesArrive(t *testing.T) {
	input := append(binary.BigEndian.AppendUint32(nil, MaxFrameSize), make([]byte, 1024)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(bytes.NewReader(input), 0)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10), "bytes allocated for a 16 MiB frame cut off after 1 KiB")

	// Two pools: the first 64 KiB of each frame from small, the rest from large.
	fb := &frameBudget{small: newMemBudget(1 << 20), large: newMemBudget(4 << 20)}
	whole := append(binary.BigEndian.AppendUint32(nil, 3<<20), make([]byte, 3<<20)...)
	body, h, err := readFrame(bytes.NewReader(whole), 0, fb)
	require.NoError(t, err)
	assert.Len(t, body, 3<<20)
	assert.Equal(t, held{small: 64 << 10, large: 3<<20 - 64<<10}, h, "a whole frame holds its size until handled")
	_, _, err = readFrame(bytes.NewReader(whole), 0, fb)
	require.ErrorIs(t, err, ErrOverBudget, "a second 3 MiB frame does not fit in 4 MiB")
	small := append(binary.BigEndian.AppendUint32(nil, 100), make([]byte, 100)...)
	_, hs, err := readFrame(bytes.NewReader(small), 0, fb)
	require.NoError(t, err, "small frames are still read while the large pool is full")
	fb.release(hs)
	fb.release(h)
	assert.Zero(t, fb.large.inUse())
	assert.Zero(t, fb.small.inUse())
}

// FuzzDecodeFrame feeds arbitrary bytes to the decoder every connection
// runs. It must never panic, never accept a frame over the limit, and
// whatever it accepts must encode and decode back to the same message.
func FuzzDecodeFrame(f *testing.F) {
	reg := raftKVRegistry(f)
	for _, m := range []sim.Message{
		raft.AppendEntries{Term: 2, Entries: []raft.Entry{{Index: 1, Term: 2, Command: []byte("put")}}},
		raft.RequestVote{Term: 1}, rsm.ClientRequest{ClientID: "c", Seq: 1, Op: []byte(`get "x"`)},
		Hello{Cluster: "c", From: "n1", To: "n2", Kind: KindPeer}, Ping{},
	} {
		b, err := reg.Encode(m)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add(frameOf(`{"type":"evil.Exec","body":{}}`))
	f.Add(frameOf(`{"type":"raft.RequestVote","body":null}`))
	f.Add(frameOf(`[]`))
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<30))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		msg, err := reg.DecodeFrame(bytes.NewReader(data), limit)
		if err != nil {
			if len(data) >= 4 && binary.BigEndian.Uint32(data) > limit && !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("oversized frame not refused as such: %v", err)
			}
			return
		}
		again, err := reg.Encode(msg)
		if err != nil {
			t.Fatalf("decoded %#v but cannot encode it: %v", msg, err)
		}
		back, err := reg.DecodeFrame(bytes.NewReader(again), 0)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		assert.Equal(t, msg, back)
	})
}
