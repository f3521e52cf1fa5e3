package kv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dsimlab/dsim/check"
)

// Kind names an operation.
type Kind string

// The operations of the store.
const (
	KindGet    Kind = "get"
	KindPut    Kind = "put"
	KindAppend Kind = "append"
	KindCAS    Kind = "cas"
)

// Op is one operation on the store.
type Op struct {
	Kind     Kind
	Key      string
	Value    string // for put and append; for cas, the new value
	Expected string // for cas: the value that must be there for the swap
}

// Get reads key.
func Get(key string) Op { return Op{Kind: KindGet, Key: key} }

// Put sets key to value.
func Put(key, value string) Op { return Op{Kind: KindPut, Key: key, Value: value} }

// Append adds value to the end of key's value.
func Append(key, value string) Op { return Op{Kind: KindAppend, Key: key, Value: value} }

// CompareAndSet sets key to value if it holds expected.
func CompareAndSet(key, expected, value string) Op {
	return Op{Kind: KindCAS, Key: key, Expected: expected, Value: value}
}

// ErrBadOp says bytes are not an operation of this store.
var ErrBadOp = errors.New("kv: bad operation")

// Encode writes the operation as text: put "x" "1".
func (o Op) Encode() []byte {
	b := append([]byte(nil), o.Kind...)
	b = append(b, ' ')
	b = appendQuote(b, o.Key)
	switch o.Kind {
	case KindPut, KindAppend:
		b = append(b, ' ')
		b = appendQuote(b, o.Value)
	case KindCAS:
		b = append(b, ' ')
		b = appendQuote(b, o.Expected)
		b = append(b, ' ')
		b = appendQuote(b, o.Value)
	}
	return b
}

func (o Op) String() string { return string(o.Encode()) }

// appendQuote is strconv.AppendQuote with a fast path for the common case,
// printable ASCII without quotes or backslashes, which it copies as is
// (the bytes are the same). Every server encodes every result, and a read
// answers a whole value.
func appendQuote(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// DecodeOp parses what Encode wrote.
func DecodeOp(b []byte) (Op, error) {
	kind, rest, _ := strings.Cut(string(b), " ")
	args, err := quotedFields(rest)
	if err != nil {
		return Op{}, fmt.Errorf("%w %q: %v", ErrBadOp, b, err)
	}
	n, known := argCount(Kind(kind))
	switch {
	case !known:
		return Op{}, fmt.Errorf("%w %q: unknown operation %q (want get, put, append or cas)", ErrBadOp, b, kind)
	case len(args) != n:
		return Op{}, fmt.Errorf("%w %q: %s takes %d quoted arguments, got %d", ErrBadOp, b, kind, n, len(args))
	}
	op := Op{Kind: Kind(kind), Key: args[0]}
	switch op.Kind {
	case KindPut, KindAppend:
		op.Value = args[1]
	case KindCAS:
		op.Expected, op.Value = args[1], args[2]
	}
	return op, nil
}

// argCount is how many quoted arguments an operation takes.
func argCount(k Kind) (int, bool) {
	switch k {
	case KindGet:
		return 1, true
	case KindPut, KindAppend:
		return 2, true
	case KindCAS:
		return 3, true
	}
	return 0, false
}

// quotedFields splits `"a" "b"` into a and b. Every server decodes every
// committed operation, so a field without escapes is sliced, not copied.
func quotedFields(s string) ([]string, error) {
	out := make([]string, 0, 3)
	for s != "" {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %v", len(out)+1, err)
		}
		v := q[1 : len(q)-1]
		if q[0] != '"' || strings.IndexByte(v, '\\') >= 0 {
			v, _ = strconv.Unquote(q) // QuotedPrefix accepted it
		}
		out = append(out, v)
		s = s[len(q):]
		if s != "" {
			var ok bool
			if s, ok = strings.CutPrefix(s, " "); !ok {
				return nil, fmt.Errorf("no space after argument %d", len(out))
			}
			if s == "" {
				return nil, fmt.Errorf("trailing space after argument %d", len(out))
			}
		}
	}
	return out, nil
}

// Input is the operation as the linearizability checker sees it.
func (o Op) Input() check.KVInput {
	kinds := map[Kind]check.KVOpKind{KindGet: check.KVGet, KindPut: check.KVPut, KindAppend: check.KVAppend, KindCAS: check.KVCAS}
	return check.KVInput{Op: kinds[o.Kind], Key: o.Key, Value: o.Value, Expected: o.Expected}
}

// Result is the store's answer. Get returns the value; CAS returns the value
// it found and OK says whether it swapped; Put and Append return OK. Err is
// set, and nothing changed, if the operation could not be understood.
type Result struct {
	Value string
	OK    bool
	Err   string
}

// Encode writes the result as text: ok "1", no "3" or err "...".
func (r Result) Encode() []byte {
	switch {
	case r.Err != "":
		return appendQuote([]byte("err "), r.Err)
	case r.OK:
		return appendQuote([]byte("ok "), r.Value)
	}
	return appendQuote([]byte("no "), r.Value)
}

func (r Result) String() string { return string(r.Encode()) }

// DecodeResult parses what Result.Encode wrote.
func DecodeResult(b []byte) (Result, error) {
	word, rest, _ := strings.Cut(string(b), " ")
	args, err := quotedFields(rest)
	if err != nil || len(args) != 1 {
		return Result{}, fmt.Errorf("kv: bad result %q: want a word and one quoted value", b)
	}
	switch word {
	case "ok":
		return Result{Value: args[0], OK: true}, nil
	case "no":
		return Result{Value: args[0]}, nil
	case "err":
		return Result{Err: args[0]}, nil
	}
	return Result{}, fmt.Errorf("kv: bad result %q: %q is not ok, no or err", b, word)
}

// Output is the result as the linearizability checker sees it.
func (r Result) Output() check.KVOutput { return check.KVOutput{Value: r.Value, OK: r.OK} }

// OutputOf decodes result bytes for a history. Bytes that do not decode
// become an output no correct store could give, with the error in its
// value, so the checker flags the operation and the visualization shows why.
func OutputOf(result []byte) any {
	r, err := DecodeResult(result)
	if err != nil {
		return check.KVOutput{Value: "<" + err.Error() + ">"}
	}
	if r.Err != "" {
		return check.KVOutput{Value: "<error: " + r.Err + ">"}
	}
	return r.Output()
}
