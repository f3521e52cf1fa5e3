package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A Knob is one thing a learner may change about a scenario without
// touching its code: `dsim run quorum-kv --set W=1 --set R=1`. A scenario
// declares its knobs (Scenario.Knobs) with their defaults and ranges, so
// `dsim explain` can list them and a bad value is refused before the run
// with a message that names the valid ones.
type Knob struct {
	// Name is what --set takes, as the course writes it: "W", "nodes",
	// "prevote", "election-timeout".
	Name string
	// Doc says in one line what the knob changes.
	Doc string
	// Default is the value a run has when the knob is not set, written as
	// --set would take it.
	Default string
	// Kind says how the value is read: KnobInt, KnobBool, KnobDuration,
	// KnobFloat or KnobChoice.
	Kind KnobKind
	// Min and Max bound KnobInt, KnobFloat and KnobDuration values
	// (inclusive; a duration's in nanoseconds). Both zero: no bound.
	Min, Max float64
	// Choices are the values a KnobChoice takes.
	Choices []string
}

// KnobKind is the type of a knob's value.
type KnobKind int

// The kinds of knob.
const (
	KnobInt KnobKind = iota
	KnobBool
	KnobDuration
	KnobFloat
	KnobChoice
)

// ErrBadKnob is wrapped by every error about a --set value: an unknown
// knob, or a value out of range or of the wrong type.
var ErrBadKnob = errors.New("bad knob")

// Range describes the values the knob takes, for explain and for errors:
// "1..5", "true|false", "10ms..2s", "lww|siblings".
func (k Knob) Range() string {
	switch k.Kind {
	case KnobBool:
		return "true|false"
	case KnobChoice:
		return strings.Join(k.Choices, "|")
	}
	if k.Min == 0 && k.Max == 0 {
		switch k.Kind {
		case KnobDuration:
			return "a duration (e.g. 150ms)"
		case KnobFloat:
			return "a number"
		}
		return "a whole number"
	}
	f := func(v float64) string {
		switch k.Kind {
		case KnobDuration:
			return time.Duration(v).String()
		case KnobInt:
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return f(k.Min) + ".." + f(k.Max)
}

// Check reports whether v is a value this knob takes.
func (k Knob) Check(v string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s=%q: %s (takes %s)", ErrBadKnob, k.Name, v, why, k.Range())
	}
	inRange := func(x float64) error {
		if (k.Min != 0 || k.Max != 0) && (x < k.Min || x > k.Max) {
			return bad("out of range")
		}
		return nil
	}
	switch k.Kind {
	case KnobInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad("not a whole number")
		}
		return inRange(float64(n))
	case KnobFloat:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return bad("not a number")
		}
		return inRange(x)
	case KnobBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return bad("not true or false")
		}
		return nil
	case KnobDuration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return bad("not a duration (write units: 150ms, 2s)")
		}
		return inRange(float64(d))
	case KnobChoice:
		for _, c := range k.Choices {
			if c == v {
				return nil
			}
		}
		return bad("not one of the choices")
	}
	return bad("unknown kind of knob")
}

// Knobs are the values a run was given with --set, by knob name. The zero
// value (nil) means every knob keeps its default.
type Knobs map[string]string

// ParseKnob splits "KEY=VALUE" as --set takes it.
func ParseKnob(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return "", "", fmt.Errorf("%w: %q: write KEY=VALUE, e.g. --set W=2", ErrBadKnob, s)
	}
	return key, value, nil
}

// CheckKnobs reports the first knob in ks that the scenario does not have
// or whose value it does not take; its message lists the valid knobs.
func (s Scenario) CheckKnobs(ks Knobs) error {
	names := make([]string, 0, len(ks))
	for n := range ks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		k, ok := s.Knob(n)
		if !ok {
			return fmt.Errorf("%w: %s has no knob %q; %s", ErrBadKnob, s.Name, n, s.knobList())
		}
		if err := k.Check(ks[n]); err != nil {
			return err
		}
	}
	return nil
}

func (s Scenario) knobList() string {
	if len(s.Knobs) == 0 {
		return "it has no knobs"
	}
	parts := make([]string, 0, len(s.Knobs))
	for _, k := range s.Knobs {
		parts = append(parts, fmt.Sprintf("%s (%s, default %s)", k.Name, k.Range(), k.Default))
	}
	return "its knobs are: " + strings.Join(parts, ", ")
}

// Knob finds a knob of the scenario by name.
func (s Scenario) Knob(name string) (Knob, bool) {
	for _, k := range s.Knobs {
		if k.Name == name {
			return k, true
		}
	}
	return Knob{}, false
}

// Resolve checks ks against the scenario's knobs and returns every knob's
// value: the one given, or the default. Start calls it, so Setup finds every
// declared knob in Options.Knobs.
func (s Scenario) Resolve(ks Knobs) (Knobs, error) {
	if err := s.CheckKnobs(ks); err != nil {
		return nil, err
	}
	out := make(Knobs, len(s.Knobs))
	for _, k := range s.Knobs {
		out[k.Name] = k.Default
		if v, ok := ks[k.Name]; ok {
			out[k.Name] = v
		}
	}
	return out, nil
}

// The accessors below read a knob in Setup. Start has resolved the values
// against the scenario's declared knobs (defaults filled in, bad values
// refused), so they panic only on a programming error: a knob the scenario
// did not declare, or a default of the wrong type.

// Int reads an integer knob.
func (ks Knobs) Int(name string) int {
	n, err := strconv.Atoi(ks.get(name))
	if err != nil {
		panic(fmt.Sprintf("scenarios: knob %s: %v", name, err))
	}
	return n
}

// Bool reads a true/false knob.
func (ks Knobs) Bool(name string) bool {
	b, err := strconv.ParseBool(ks.get(name))
	if err != nil {
		panic(fmt.Sprintf("scenarios: knob %s: %v", name, err))
	}
	return b
}

// Duration reads a duration knob.
func (ks Knobs) Duration(name string) time.Duration {
	d, err := time.ParseDuration(ks.get(name))
	if err != nil {
		panic(fmt.Sprintf("scenarios: knob %s: %v", name, err))
	}
	return d
}

// Float reads a numeric knob.
func (ks Knobs) Float(name string) float64 {
	x, err := strconv.ParseFloat(ks.get(name), 64)
	if err != nil {
		panic(fmt.Sprintf("scenarios: knob %s: %v", name, err))
	}
	return x
}

// Choice reads a choice knob.
func (ks Knobs) Choice(name string) string { return ks.get(name) }

func (ks Knobs) get(name string) string {
	v, ok := ks[name]
	if !ok {
		panic(fmt.Sprintf("scenarios: knob %q is read but not declared in the scenario's Knobs", name))
	}
	return v
}

// Chapters order `dsim list` by the course: each scenario names one in
// Scenario.Chapter. The titles are English; dsim explain and list
// translate them.
var Chapters = []struct{ ID, Title string }{
	{"basics", "The simulator: messages, time and order"},
	{"consensus", "Consensus: Raft and Paxos"},
	{"storage", "Replication, quorums and partitioning"},
	{"transactions", "Transactions: 2PC, sagas and isolation"},
	{"messaging", "Messaging and data: brokers, outbox, events"},
	{"consistency", "Consistency models, CAP and PACELC"},
	{"failures", "Failures and the fallacies of distributed computing"},
	{"resilience", "Resilience: breakers, retries, rate limits"},
	{"web", "A large web system: CDN, balancer, cache, auth"},
	{"security", "Security: tokens, zero trust, Byzantine nodes"},
}
