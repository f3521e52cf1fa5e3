package livecatalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/dsimlab/dsim/network/tcp"
)

var protocols = map[string]tcp.Protocol{}

// Register adds a family's live form to the catalog. It panics on a
// duplicate name or a Protocol missing Register or New: both are
// programming errors found at init.
func Register(p tcp.Protocol) {
	switch {
	case p.Name == "" || p.Register == nil || p.New == nil:
		panic("livecatalog: protocol " + p.Name + " needs a Name, Register and New")
	case protocols[p.Name].Name != "":
		panic("livecatalog: protocol " + p.Name + " registered twice")
	}
	protocols[p.Name] = p
}

// ErrUnknownProtocol is wrapped by Lookup's error.
var ErrUnknownProtocol = errors.New("unknown protocol")

// Lookup finds a protocol by name; the error lists the known ones.
func Lookup(name string) (tcp.Protocol, error) {
	p, ok := protocols[name]
	if !ok {
		return tcp.Protocol{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownProtocol, name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Names lists the protocols, sorted.
func Names() []string {
	names := make([]string, 0, len(protocols))
	for n := range protocols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ProtocolOf is the protocol a cluster file names, raft-kv when it names
// none (cluster files written before the field existed).
func ProtocolOf(c tcp.Cluster) (tcp.Protocol, error) {
	if c.Protocol == "" {
		return Lookup("raft-kv")
	}
	return Lookup(c.Protocol)
}

// decodeOptions reads the cluster file's "options" into dst, which holds
// the defaults. An unknown field or a bad value is an error wrapping
// tcp.ErrClusterFile that names the field ("options.w").
func decodeOptions(c tcp.Cluster, dst any) error {
	o := bytes.TrimSpace(c.Options)
	if len(o) == 0 || string(o) == "null" {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(o, &fields); err != nil {
		return fmt.Errorf("%w: options: %v", tcp.ErrClusterFile, err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys { // one field at a time, so an error names it
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			var typ *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typ):
				return fmt.Errorf("%w: options.%s holds a JSON %s, want %v", tcp.ErrClusterFile, k, typ.Value, typ.Type)
			case strings.Contains(err.Error(), "unknown field"):
				who := c.Protocol
				if who == "" {
					who = "this protocol"
				}
				known := optionNames(dst)
				if len(known) == 0 {
					return fmt.Errorf("%w: options: unknown field %q: %s takes no options", tcp.ErrClusterFile, k, who)
				}
				return fmt.Errorf("%w: options: unknown field %q; %s takes %s", tcp.ErrClusterFile, k, who, strings.Join(known, ", "))
			}
			return fmt.Errorf("%w: options.%s: %v", tcp.ErrClusterFile, k, err)
		}
	}
	return nil
}

// optionError says which option is wrong.
func optionError(field string, format string, args ...any) error {
	return fmt.Errorf("%w: options.%s: %s", tcp.ErrClusterFile, field, fmt.Sprintf(format, args...))
}

// ParseOptions turns `--opt key=value` flags into an options object:
// numbers, true/false and durations in quotes stay what they look like,
// anything else becomes a string. It merges over base (the cluster file's).
func ParseOptions(base json.RawMessage, kvs []string) (json.RawMessage, error) {
	m := map[string]any{}
	if b := bytes.TrimSpace(base); len(b) > 0 && string(b) != "null" {
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%w: options: %v", tcp.ErrClusterFile, err)
		}
	}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--opt %q: want KEY=VALUE, such as w=2", kv)
		}
		var val any
		if err := json.Unmarshal([]byte(v), &val); err != nil {
			val = v
		}
		m[k] = val
	}
	return json.Marshal(m)
}

// optionNames are the JSON names of the fields of the struct dst points
// to: the options a family takes.
func optionNames(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
