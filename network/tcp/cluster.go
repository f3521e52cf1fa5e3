package tcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

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
// compares it. SecretFile, if set, names the file holding the cluster's
// shared secret (relative to the cluster file's directory, or absolute):
// `dsim cluster local` writes one, so nodes and tools find the secret
// without a flag. Protocol, if set, names the protocol every member runs
// (`dsim node` and the clients read it); Options hold that protocol's own
// settings, such as {"n": 3, "r": 2, "w": 2} for quorum-kv, checked by the
// protocol when it builds its node.
type Cluster struct {
	Name       string          `json:"cluster"`
	Protocol   string          `json:"protocol,omitempty"`
	Options    json.RawMessage `json:"options,omitempty"`
	SecretFile string          `json:"secret_file,omitempty"`
	Members    []Member        `json:"members"`
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
	if c.SecretFile != "" && !filepath.IsAbs(c.SecretFile) {
		c.SecretFile = filepath.Join(filepath.Dir(path), c.SecretFile)
	}
	return c, nil
}

// ErrNoSecret is wrapped by LoadSecret's error when there is no secret and
// running without one was not asked for.
var ErrNoSecret = errors.New("no cluster secret")

// LoadSecret finds the cluster's shared secret: in file if given (a
// --secret-file flag), else in the cluster file's secret_file. With
// neither, it returns nil, and an error wrapping ErrNoSecret unless
// insecure is set.
func LoadSecret(c Cluster, file string, insecure bool) ([]byte, error) {
	if file == "" {
		file = c.SecretFile
	}
	if file == "" {
		if insecure {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: give --secret-file FILE (make one with: dsim secret new > FILE, and copy it to every node), "+
			"or name it in the cluster file as \"secret_file\"; or pass --insecure to let anyone who can reach the port join the cluster", ErrNoSecret)
	}
	return ReadSecretFile(file)
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

// Limits a cluster file must keep so that every handshake fits in
// handshakeFrameLimit (TestHandshakeFitsTheLimit checks the sum).
const (
	maxClusterName = 128
	maxMembers     = 256
)

// Validate names the first field that is wrong.
func (c Cluster) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: field \"cluster\" (the cluster's name) is missing or empty", ErrClusterFile)
	case len(c.Name) > maxClusterName:
		return fmt.Errorf("%w: field \"cluster\" is %d bytes long: at most %d (it travels in every handshake)", ErrClusterFile, len(c.Name), maxClusterName)
	case !validName(c.Name):
		return fmt.Errorf("%w: field \"cluster\" %q: use letters, digits, '-', '_' and '.'", ErrClusterFile, truncate(c.Name, 64))
	case len(c.Members) == 0:
		return fmt.Errorf("%w: field \"members\" is missing or empty", ErrClusterFile)
	case len(c.Members) > maxMembers:
		return fmt.Errorf("%w: field \"members\" lists %d members: at most %d", ErrClusterFile, len(c.Members), maxMembers)
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
			return fmt.Errorf("%w: members[%d].id %q: use letters, digits, '-', '_' and '.', at most 64 bytes", ErrClusterFile, i, truncate(string(m.ID), 64))
		case m.Addr == "":
			return fmt.Errorf("%w: members[%d].addr is missing or empty", ErrClusterFile, i)
		}
		if err := checkAddr(m.Addr, len(c.Members) > 1); err != nil {
			return fmt.Errorf("%w: members[%d].addr %q: %v", ErrClusterFile, i, truncate(m.Addr, 64), err)
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

// checkAddr accepts host:port with a host and a port from 1 to 65535, or
// 0 (any free port) for a node that has no peers to find it.
func checkAddr(addr string, peers bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %v", err)
	}
	if host == "" {
		return errors.New("no host: want host:port, such as 10.0.0.11:7001 (other members dial it)")
	}
	if len(host) > 253 {
		return fmt.Errorf("host is %d bytes long: at most 253", len(host))
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("port %q is not a number", truncate(port, 16))
	}
	switch {
	case p < 0 || p > 65535:
		return fmt.Errorf("port %d is out of range: want 1 to 65535", p)
	case p == 0 && peers:
		return errors.New("port 0 (any free port): the other members could never find it; want 1 to 65535")
	}
	return nil
}

// validID is what a member's name may be: letters, digits, '-', '_' and
// '.', at most 64 bytes.
func validID(s string) bool { return len(s) <= 64 && validName(s) }

// validName is what a cluster's name may hold (its length is checked
// apart).
func validName(s string) bool {
	for _, r := range s {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// nameFrom makes a valid cluster name out of s (a directory's name).
func nameFrom(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !validName(string(c)) {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "local"
	}
	return string(b[:min(len(b), maxClusterName)])
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
