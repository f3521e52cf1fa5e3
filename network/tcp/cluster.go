package tcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"

	"github.com/dsimlab/dsim/sim"
)

// Cluster is the cluster file every node and tool reads:
//
//	{"cluster": "lab", "members": [
//	  {"id": "n1", "addr": "10.0.0.11:7001"},
//	  {"id": "n2", "addr": "10.0.0.12:7001"},
//	  {"id": "n3", "addr": "10.0.0.13:7001"}]}
//
// Name guards against a node joining the wrong cluster: the handshake
// compares it. Protocol, if set, names the protocol every member runs
// (`dsim node` and the clients read it); Options hold that protocol's own
// settings, such as {"n": 3, "r": 2, "w": 2} for quorum-kv, checked by the
// protocol when it builds its node.
type Cluster struct {
	Name     string          `json:"cluster"`
	Protocol string          `json:"protocol,omitempty"`
	Options  json.RawMessage `json:"options,omitempty"`
	Members  []Member        `json:"members"`
}

// Member is one node of the cluster and the address it listens on.
type Member struct {
	ID   sim.NodeID `json:"id"`
	Addr string     `json:"addr"`
}

// ErrClusterFile is wrapped by every error about a cluster file's contents.
var ErrClusterFile = errors.New("bad cluster file")

// LoadCluster reads and checks a cluster file.
func LoadCluster(path string) (Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Cluster{}, err
	}
	c, err := ParseCluster(data)
	var pos *PositionError
	switch {
	case errors.As(err, &pos):
		return Cluster{}, fmt.Errorf("%s:%w", path, err) // cluster.json:3:14: ...
	case err != nil:
		return Cluster{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// PositionError is a cluster file error at a line and column (from 1).
type PositionError struct {
	Line, Column int
	Err          error
}

func (e *PositionError) Error() string { return fmt.Sprintf("%d:%d: %v", e.Line, e.Column, e.Err) }
func (e *PositionError) Unwrap() error { return e.Err }

func positionError(data []byte, offset int64, format string, args ...any) error {
	line, col := position(data, offset)
	return &PositionError{Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// ParseCluster decodes and checks a cluster file's contents. A syntax error
// is reported at its line and column; a bad value by its field, as in
// "members[1].addr".
func ParseCluster(data []byte) (Cluster, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Cluster
	if err := dec.Decode(&c); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			// Offset counts the offending byte itself: point at it.
			return Cluster{}, positionError(data, syn.Offset-1, "%w: %v", ErrClusterFile, syn)
		case errors.As(err, &typ):
			return Cluster{}, positionError(data, valueStart(data, typ.Offset), "%w: field %q holds a JSON %s, want %v", ErrClusterFile, typ.Field, typ.Value, typ.Type)
		case errors.Is(err, io.EOF):
			return Cluster{}, positionError(data, 0, "%w: empty file", ErrClusterFile)
		default: // an unknown field, or the input ended early
			return Cluster{}, positionError(data, dec.InputOffset(), "%w: %v", ErrClusterFile, err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Cluster{}, positionError(data, dec.InputOffset(), "%w: more after the closing brace", ErrClusterFile)
	}
	if err := c.Validate(); err != nil {
		return Cluster{}, err
	}
	return c, nil
}

// valueStart walks back from the end of a scalar JSON value (where a type
// error's Offset points) to where it starts, so the column points at it.
func valueStart(data []byte, end int64) int64 {
	end = min(max(end, 0), int64(len(data)))
	i := end
	for i > 0 && !bytes.ContainsRune([]byte(":,["), rune(data[i-1])) {
		i--
	}
	for i < end && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// Validate names the first field that is wrong.
func (c Cluster) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("%w: field \"cluster\" (the cluster's name) is missing or empty", ErrClusterFile)
	}
	if len(c.Members) == 0 {
		return fmt.Errorf("%w: field \"members\" is missing or empty", ErrClusterFile)
	}
	if o := bytes.TrimSpace(c.Options); len(o) > 0 && o[0] != '{' && string(o) != "null" {
		return fmt.Errorf("%w: field \"options\" holds %s; want an object such as {\"n\": 3}", ErrClusterFile, o)
	}
	ids := map[sim.NodeID]int{}
	addrs := map[string]int{}
	for i, m := range c.Members {
		switch {
		case m.ID == "":
			return fmt.Errorf("%w: members[%d].id is missing or empty", ErrClusterFile, i)
		case !validID(string(m.ID)):
			return fmt.Errorf("%w: members[%d].id %q: use letters, digits, '-', '_' and '.'", ErrClusterFile, i, m.ID)
		case m.Addr == "":
			return fmt.Errorf("%w: members[%d].addr is missing or empty", ErrClusterFile, i)
		}
		if _, _, err := net.SplitHostPort(m.Addr); err != nil {
			return fmt.Errorf("%w: members[%d].addr %q: want host:port: %v", ErrClusterFile, i, m.Addr, err)
		}
		if j, dup := ids[m.ID]; dup {
			return fmt.Errorf("%w: members[%d].id %q repeats members[%d].id", ErrClusterFile, i, m.ID, j)
		}
		if j, dup := addrs[m.Addr]; dup {
			return fmt.Errorf("%w: members[%d].addr %q repeats members[%d].addr", ErrClusterFile, i, m.Addr, j)
		}
		ids[m.ID], addrs[m.Addr] = i, i
	}
	return nil
}

func validID(s string) bool {
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return len(s) <= 64
}

// Member returns the member named id.
func (c Cluster) Member(id sim.NodeID) (Member, bool) {
	for _, m := range c.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// IDs lists the members' ids, sorted.
func (c Cluster) IDs() []sim.NodeID {
	ids := make([]sim.NodeID, len(c.Members))
	for i, m := range c.Members {
		ids[i] = m.ID
	}
	slices.Sort(ids)
	return ids
}

// WriteFile writes the cluster file, indented for people.
func (c Cluster) WriteFile(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
