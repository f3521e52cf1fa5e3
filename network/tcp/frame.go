package tcp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/dsimlab/dsim/sim"
)

// MaxFrameSize bounds one frame's body. A reader checks the announced
// length against it before allocating anything, and even then allocates
// only as bytes arrive, so a peer that announces a gigabyte costs four
// bytes of reading, not a gigabyte of memory.
const MaxFrameSize = 16 << 20

// headerSize is the length prefix: a 4-byte big-endian body length.
const headerSize = 4

// Errors a reader reports for bad input. The runtime counts each kind,
// logs a line and closes the connection it came from.
var (
	ErrFrameTooLarge = errors.New("tcp: frame too large")
	ErrBadFrame      = errors.New("tcp: undecodable frame")
	ErrUnknownType   = errors.New("tcp: unknown message type")
)

// Registry maps message types to the names that tag them on the wire:
// "raft.AppendEntries" for raft.AppendEntries. A frame whose tag is not
// registered is refused: the runtime decodes only the types its protocol
// declared, never whatever a peer names.
//
// Register everything before the runtime starts; a Registry is not safe for
// concurrent Register, but is safe for concurrent Encode and Decode.
type Registry struct {
	byName map[string]reflect.Type
	byType map[reflect.Type]string
}

// NewRegistry returns a registry holding the runtime's own messages (the
// handshake, keep-alives and admin requests, tagged "tcp.*").
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]reflect.Type{}, byType: map[reflect.Type]string{}}
	for _, m := range controlMessages {
		if err := r.Register(m.name, m.zero); err != nil {
			panic(err) // our own table: a broken invariant
		}
	}
	return r
}

// Register declares a message type under name. zero is any value of the
// type, usually its zero value: Register("raft.AppendEntries",
// raft.AppendEntries{}). Messages are plain values, not pointers (see
// sim.Message), so a pointer type is refused, as are a name or a type
// registered twice.
func (r *Registry) Register(name string, zero sim.Message) error {
	if name == "" || strings.ContainsAny(name, " \t\n\"") {
		return fmt.Errorf("tcp: register: bad type name %q", name)
	}
	if zero == nil {
		return fmt.Errorf("tcp: register %q: nil value", name)
	}
	t := reflect.TypeOf(zero)
	if t.Kind() == reflect.Pointer {
		return fmt.Errorf("tcp: register %q: %v is a pointer; messages are plain values", name, t)
	}
	if old, ok := r.byName[name]; ok {
		return fmt.Errorf("tcp: register %q: name already taken by %v", name, old)
	}
	if old, ok := r.byType[t]; ok {
		return fmt.Errorf("tcp: register %q: %v already registered as %q", name, t, old)
	}
	r.byName[name] = t
	r.byType[t] = name
	return nil
}

// MustRegister is Register for tables written in code: it panics on error.
func (r *Registry) MustRegister(name string, zero sim.Message) {
	if err := r.Register(name, zero); err != nil {
		panic(err)
	}
}

// Names lists the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NameOf is the tag msg travels under, if its type is registered.
func (r *Registry) NameOf(msg sim.Message) (string, bool) {
	name, ok := r.byType[reflect.TypeOf(msg)]
	return name, ok
}

// envelope is a frame's body: JSON anyone can read with standard tools,
//
//	{"type":"raft.RequestVote","body":{"Term":3,"LastLogIndex":7,...}}
type envelope struct {
	Type string          `json:"type"`
	Body json.RawMessage `json:"body"`
}

// Encode returns msg as one whole frame: the 4-byte big-endian length, then
// the JSON envelope. The envelope is written around the body by hand, the
// bytes json.Marshal of an envelope would give, without a second pass over
// the body.
func (r *Registry) Encode(msg sim.Message) ([]byte, error) {
	name, ok := r.NameOf(msg)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not registered", ErrUnknownType, msg)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("tcp: encoding %s: %w", name, err)
	}
	quoted, err := json.Marshal(name)
	if err != nil {
		return nil, fmt.Errorf("tcp: encoding %s: %w", name, err)
	}
	size := len(`{"type":,"body":}`) + len(quoted) + len(body)
	if size > MaxFrameSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrFrameTooLarge, name, size, MaxFrameSize)
	}
	frame := make([]byte, headerSize, headerSize+size)
	binary.BigEndian.PutUint32(frame, uint32(size))
	frame = append(frame, `{"type":`...)
	frame = append(frame, quoted...)
	frame = append(frame, `,"body":`...)
	frame = append(frame, body...)
	frame = append(frame, '}')
	return frame, nil
}

// Decode turns a frame body (what ReadFrame returns) back into the message
// it carries. The result has the registered type itself, not a pointer.
func (r *Registry) Decode(body []byte) (sim.Message, error) {
	if msg, ok, err := r.decodeOwn(body); ok {
		return msg, err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	if env.Type == "" {
		return nil, fmt.Errorf("%w: no \"type\"", ErrBadFrame)
	}
	t, ok := r.byName[env.Type]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownType, truncate(env.Type, 64))
	}
	v := reflect.New(t)
	if len(env.Body) > 0 {
		if err := json.Unmarshal(env.Body, v.Interface()); err != nil {
			return nil, fmt.Errorf("%w: body of %s: %v", ErrBadFrame, env.Type, err)
		}
	}
	return v.Elem().Interface(), nil
}

// decodeOwn decodes a frame shaped exactly as Encode writes it,
// {"type":"NAME","body":BODY}, reading BODY once. ok=false means another
// shape (spaces, other key order): Decode then takes the general path,
// which reads the frame twice. Both accept and refuse the same frames.
func (r *Registry) decodeOwn(b []byte) (msg sim.Message, ok bool, err error) {
	const open, mid = `{"type":"`, `","body":`
	if !bytes.HasPrefix(b, []byte(open)) || len(b) == 0 || b[len(b)-1] != '}' {
		return nil, false, nil
	}
	rest := b[len(open):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 || !bytes.HasPrefix(rest[end:], []byte(mid)) {
		return nil, false, nil
	}
	name := rest[:end]
	t, known := r.byName[string(name)]
	if !known {
		return nil, false, nil // let the general path say what is wrong
	}
	inner := rest[end+len(mid) : len(rest)-1]
	v := reflect.New(t)
	if err := json.Unmarshal(inner, v.Interface()); err != nil {
		return nil, false, nil
	}
	return v.Elem().Interface(), true, nil
}

// ReadFrame reads one frame and returns its body. It reads the length
// first and refuses one over max (MaxFrameSize if max <= 0): the announced
// length is the peer's claim, not a fact. Nor does it allocate the claim:
// the body's buffer starts small and grows as bytes actually arrive.
func ReadFrame(rd io.Reader, max int) ([]byte, error) {
	body, _, err := readFrame(rd, max, nil)
	return body, err
}

// frameStart is the most a frame's buffer holds before its bytes arrive.
const frameStart = 64 << 10

// readFrame is ReadFrame drawing its buffer from budget fb (nil: no
// limit). h is what it holds reserved for the body when err is nil; the
// caller releases it once done with the message.
func readFrame(rd io.Reader, max int, fb *frameBudget) (body []byte, h held, err error) {
	if max <= 0 {
		max = MaxFrameSize
	}
	var hdr [headerSize]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return nil, h, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if uint64(n) > uint64(max) {
		return nil, h, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, max)
	}
	small, large := fb.pools()
	first := min(n, frameStart)
	if !small.reserve(int64(first)) {
		return nil, h, fmt.Errorf("%w: a frame of %d bytes", ErrOverBudget, n)
	}
	h.small = int64(first)
	fail := func(err error) ([]byte, held, error) {
		fb.release(h)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, held{}, err
	}
	body = make([]byte, first)
	if _, err := io.ReadFull(rd, body); err != nil {
		return fail(err)
	}
	if n == first {
		return body, h, nil
	}
	// A large frame: read it in chunks, each as large as all before it
	// together, allocated only once those have arrived. Chunks are never
	// copied while the frame is being read, so a sender that stops short
	// leaves no garbage behind, only what the budget let it have.
	chunks, got := [][]byte{body}, first
	for got < n {
		size := min(got, n-got)
		if !large.reserve(int64(size)) {
			return fail(fmt.Errorf("%w: a frame of %d bytes, %d read", ErrOverBudget, n, got))
		}
		h.large += int64(size)
		chunk := make([]byte, size)
		if _, err := io.ReadFull(rd, chunk); err != nil {
			return fail(err)
		}
		chunks, got = append(chunks, chunk), got+size
	}
	// Whole: one buffer for the decoder, which takes over what the chunks
	// held. (The chunks are garbage now: bytes a sender really sent.)
	body = make([]byte, 0, n)
	for _, c := range chunks {
		body = append(body, c...)
	}
	return body, h, nil
}

// DecodeFrame reads one frame from rd and decodes it: ReadFrame then
// Decode. It is what every connection's reader does, and what the fuzz test
// exercises.
func (r *Registry) DecodeFrame(rd io.Reader, max int) (sim.Message, error) {
	body, err := ReadFrame(rd, max)
	if err != nil {
		return nil, err
	}
	return r.Decode(body)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
