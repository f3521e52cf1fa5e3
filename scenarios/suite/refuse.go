package suite

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ErrReference is wrapped by Refuse's error: the homework hands in one of
// dsim's own implementations instead of the student's.
var ErrReference = errors.New("the constructor returns dsim's own implementation")

// Refuse reports an error if v is, holds, or wraps a value whose type is
// one of reference (named as "path/to/pkg.Type", or as a package path
// "path/to/pkg." to refuse every type of that package). It walks what is
// reachable from v: pointers, interfaces (their dynamic values), struct
// fields (unexported too), slices, arrays and maps (their first elements),
// and the static types of fields, so a nil *raft.Node field is refused as
// well. Functions are opaque: a closure that calls raft.New is not seen
// until it has built something the walk reaches.
func Refuse(v any, reference ...string) error {
	if len(reference) == 0 || v == nil {
		return nil
	}
	w := &walker{ref: reference, seenPtr: map[uintptr]bool{}, seenType: map[reflect.Type]bool{}}
	root := reflect.ValueOf(v)
	w.value(root, "the node", 0)
	if w.found == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is %s. Grading refuses dsim's reference solution: write your own node (it may use dsim's sim, check and message types, not its protocol implementations)",
		ErrReference, w.where, w.found)
}

type walker struct {
	ref      []string
	seenPtr  map[uintptr]bool
	seenType map[reflect.Type]bool
	found    string // the refused type, once found
	where    string // the path to it, as in "the node.inner.r"
}

const (
	walkDepth = 12
	walkElems = 32
)

func (w *walker) refused(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == "" || t.Name() == "" {
		return false
	}
	full := t.PkgPath() + "." + t.Name()
	for _, r := range w.ref {
		if full == r || (strings.HasSuffix(r, ".") && t.PkgPath()+"." == r) {
			return true
		}
	}
	return false
}

// typ walks a static type graph: struct fields, elements, pointers.
func (w *walker) typ(t reflect.Type, where string, depth int) {
	if w.found != "" || depth > walkDepth || w.seenType[t] {
		return
	}
	w.seenType[t] = true
	if w.refused(t) {
		w.found, w.where = t.String(), where
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		w.typ(t.Elem(), where, depth+1)
	case reflect.Map:
		w.typ(t.Key(), where, depth+1)
		w.typ(t.Elem(), where, depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			w.typ(t.Field(i).Type, where+"."+t.Field(i).Name, depth+1)
		}
	}
}

func (w *walker) value(v reflect.Value, where string, depth int) {
	if w.found != "" || depth > walkDepth || !v.IsValid() {
		return
	}
	if w.refused(v.Type()) {
		w.found, w.where = v.Type().String(), where
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			w.typ(v.Type().Elem(), where, depth+1)
			return
		}
		if w.seenPtr[v.Pointer()] {
			return
		}
		w.seenPtr[v.Pointer()] = true
		w.value(v.Elem(), where, depth+1)
	case reflect.Interface:
		if !v.IsNil() {
			w.value(v.Elem(), where, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			w.value(v.Field(i), where+"."+v.Type().Field(i).Name, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			w.typ(v.Type().Elem(), where, depth+1)
			return
		}
		for i := range min(v.Len(), walkElems) {
			w.value(v.Index(i), fmt.Sprintf("%s[%d]", where, i), depth+1)
		}
		if v.Len() == 0 {
			w.typ(v.Type().Elem(), where, depth+1)
		}
	case reflect.Map:
		if v.Len() == 0 {
			w.typ(v.Type(), where, depth+1)
			return
		}
		it := v.MapRange()
		for k := 0; k < walkElems && it.Next(); k++ {
			w.value(it.Key(), where+"[key]", depth+1)
			w.value(it.Value(), where+"[value]", depth+1)
		}
	}
}
