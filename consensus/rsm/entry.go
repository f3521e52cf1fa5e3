package rsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// entry is what the Server proposes to the Replica: a client's operation
// tagged with who sent it, so that duplicates can be recognised when they
// apply.
type entry struct {
	ClientID string
	Seq      uint64
	Op       []byte
}

// encodeEntry writes an entry as text, `"c1.1" 3 put "x" "1"`, so a
// replica's log reads well in a trace: the quoted client id, the sequence
// number, then the operation's bytes as they are.
func encodeEntry(e entry) []byte {
	b := strconv.AppendQuote(nil, e.ClientID)
	b = append(b, ' ')
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, ' ')
	return append(b, e.Op...)
}

var errBadEntry = errors.New("rsm: not a client entry")

func decodeEntry(cmd []byte) (entry, error) {
	s := string(cmd)
	quoted, err := strconv.QuotedPrefix(s)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %q: client id: %v", errBadEntry, cmd, err)
	}
	id := quoted[1 : len(quoted)-1]
	if strings.ContainsRune(id, '\\') {
		id, _ = strconv.Unquote(quoted) // QuotedPrefix accepted it
	}
	rest, ok := strings.CutPrefix(s[len(quoted):], " ")
	if !ok {
		return entry{}, fmt.Errorf("%w: %q: no space after the client id", errBadEntry, cmd)
	}
	seqText, op, ok := strings.Cut(rest, " ")
	if !ok {
		return entry{}, fmt.Errorf("%w: %q: no space after the sequence number", errBadEntry, cmd)
	}
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %q: sequence number: %v", errBadEntry, cmd, err)
	}
	// Op aliases cmd, which nobody modifies (see Applier): decoding runs for
	// every entry on every server, so it copies as little as it can.
	return entry{ClientID: id, Seq: seq, Op: cmd[len(cmd)-len(op):]}, nil
}

// session is what the replicated state remembers about one client.
type session struct {
	ClientID string
	Seq      uint64 // highest sequence number applied for this client
	Result   []byte // the result of operation Seq
}

// snapshot is the Server's part of the replicated state plus the machine's:
// the session table must travel with the state it describes, or a replica
// restored from a snapshot would apply a retried operation a second time.
type snapshot struct {
	Sessions []session // sorted by ClientID, so the bytes are deterministic
	Machine  []byte
}

func encodeSnapshot(sessions map[string]session, machine []byte) []byte {
	snap := snapshot{Machine: machine}
	for _, s := range sessions {
		snap.Sessions = append(snap.Sessions, s)
	}
	slices.SortFunc(snap.Sessions, func(a, b session) int { return strings.Compare(a.ClientID, b.ClientID) })
	b, err := json.Marshal(snap)
	if err != nil {
		panic(fmt.Sprintf("rsm: encoding a snapshot: %v", err)) // plain structs always encode
	}
	return b
}

func decodeSnapshot(b []byte) (snapshot, error) {
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return snapshot{}, fmt.Errorf("rsm: decoding a snapshot: %w", err)
	}
	return snap, nil
}
