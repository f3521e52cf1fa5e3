package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestKnobCheck(t *testing.T) {
	w := Knob{Name: "W", Kind: KnobInt, Default: "2", Min: 1, Max: 5}
	prevote := Knob{Name: "prevote", Kind: KnobBool, Default: "true"}
	timeout := Knob{Name: "timeout", Kind: KnobDuration, Default: "150ms", Min: float64(10 * time.Millisecond), Max: float64(2 * time.Second)}
	mode := Knob{Name: "mode", Kind: KnobChoice, Default: "lww", Choices: []string{"lww", "siblings"}}
	for _, tc := range []struct {
		knob Knob
		v    string
		ok   bool
	}{
		{w, "1", true}, {w, "5", true}, {w, "0", false}, {w, "6", false}, {w, "two", false},
		{prevote, "false", true}, {prevote, "maybe", false},
		{timeout, "300ms", true}, {timeout, "5", false}, {timeout, "1ms", false}, {timeout, "3s", false},
		{mode, "siblings", true}, {mode, "crdt", false},
	} {
		err := tc.knob.Check(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("%s=%s: err %v, want ok=%v", tc.knob.Name, tc.v, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadKnob) {
			t.Errorf("%s=%s: %v does not wrap ErrBadKnob", tc.knob.Name, tc.v, err)
		}
	}
}

func TestResolveFillsDefaultsAndRefusesStrangers(t *testing.T) {
	s := Scenario{Name: "x", Knobs: []Knob{
		{Name: "W", Kind: KnobInt, Default: "2", Min: 1, Max: 5},
		{Name: "R", Kind: KnobInt, Default: "2", Min: 1, Max: 5},
	}}
	got, err := s.Resolve(Knobs{"W": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Int("W") != 1 || got.Int("R") != 2 {
		t.Errorf("resolved %v, want W=1 R=2", got)
	}
	_, err = s.Resolve(Knobs{"Q": "1"})
	if !errors.Is(err, ErrBadKnob) {
		t.Fatalf("unknown knob: err %v", err)
	}
	if want := `x has no knob "Q"; its knobs are: W (1..5, default 2), R (1..5, default 2)`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not list the knobs (%q)", err, want)
	}
}
