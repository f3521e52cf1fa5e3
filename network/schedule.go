package network

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// Schedule is a fault script: events in order of time. It prints as text,
// one event per line, and ParseSchedule reads that text back, so a schedule
// that broke a protocol can be saved, read, edited and replayed:
//
//	# dsim fault schedule
//	1s partition n1 n2 | n3 n4 n5
//	1.5s cut n1 -> n2
//	3s heal
//	4s crash n2
type Schedule []Event

// Event is one step of a Schedule: Action happens at virtual time At.
type Event struct {
	At     time.Duration
	Action Action
}

// Action is one fault change. The actions are the types below, from
// Partition to DropNext; each prints as the text after the time in a
// schedule line.
type Action interface {
	String() string
	check() error
	// nodes lists the node names the action refers to.
	nodes() []sim.NodeID
	// apply performs the action. Play has checked it, so an error here
	// means a broken invariant.
	apply(w *sim.World, m *Model) error
}

// Partition splits the network into groups (see Model.Partition).
// Text: partition n1 n2 | n3 n4 n5
type Partition struct{ Groups [][]sim.NodeID }

// Cut stops messages From→To, one way. Text: cut n1 -> n2
type Cut struct{ From, To sim.NodeID }

// Isolate cuts Node off from everyone. Text: isolate n3
type Isolate struct{ Node sim.NodeID }

// Heal ends partitions, cuts and isolations. Text: heal
type Heal struct{}

// Reset heals and returns every link to its configured behaviour (see
// Model.Reset). Text: reset
type Reset struct{}

// Loss sets the loss probability of Link (or all links).
// Text: loss 0.1, or loss n1 -> n2 0.1
type Loss struct {
	Link Link
	P    float64
}

// Duplicate sets the duplication probability of Link (or all links).
// Text: duplicate 0.05, or duplicate n1 -> n2 0.05
type Duplicate struct {
	Link Link
	P    float64
}

// Delay sets the latency distribution of Link (or all links).
// Text: delay uniform(1ms,5ms), or delay n1 -> n2 20ms
type Delay struct {
	Link    Link
	Latency Latency
}

// Reorder makes Link (or all links) reordering, or FIFO with On false.
// Text: reorder on, or reorder n1 -> n2 off
type Reorder struct {
	Link Link
	On   bool
}

// Bandwidth limits Link (or all links) to BytesPerSecond; 0 is unlimited.
// Text: bandwidth 125000, or bandwidth n1 -> n2 125000
type Bandwidth struct {
	Link           Link
	BytesPerSecond int64
}

// Slow adds Extra to every message to or from Node; a nil Extra ends it.
// Text: slow n4 20ms, slow n4 uniform(5ms,50ms), slow n4 off
type Slow struct {
	Node  sim.NodeID
	Extra Latency
}

// Skew sets Node's clock to true time plus Offset. Text: skew n1 +50ms
type Skew struct {
	Node   sim.NodeID
	Offset time.Duration
}

// Drift makes Node's clock run fast or slow by PPM parts per million.
// Text: drift n1 +200ppm
type Drift struct {
	Node sim.NodeID
	PPM  int64
}

// Crash crashes Node (sim.World.Crash). Text: crash n2
type Crash struct{ Node sim.NodeID }

// Restart restarts Node (sim.World.Restart). Text: restart n2
type Restart struct{ Node sim.NodeID }

// DropNext loses the next message sent on Link (or on any link) after it
// happens (see Model.DropNext). Text: drop-next, or drop-next n1 -> n2
type DropNext struct{ Link Link }

// Equivocate makes Node Byzantine, or honest again with On false: its
// messages are rewritten per destination (see Model.Equivocate).
// Text: equivocate n3, or equivocate n3 off
type Equivocate struct {
	Node sim.NodeID
	On   bool
}

func (a Partition) String() string {
	groups := make([]string, len(a.Groups))
	for i, g := range a.Groups {
		groups[i] = joinIDs(g)
	}
	return "partition " + strings.Join(groups, " | ")
}
func (a Cut) String() string     { return fmt.Sprintf("cut %s -> %s", a.From, a.To) }
func (a Isolate) String() string { return "isolate " + string(a.Node) }
func (Heal) String() string      { return "heal" }
func (Reset) String() string     { return "reset" }
func (a Loss) String() string    { return "loss " + linkPrefix(a.Link) + formatFloat(a.P) }
func (a Duplicate) String() string {
	return "duplicate " + linkPrefix(a.Link) + formatFloat(a.P)
}
func (a Delay) String() string   { return "delay " + linkPrefix(a.Link) + fmt.Sprint(a.Latency) }
func (a Reorder) String() string { return "reorder " + linkPrefix(a.Link) + onOff(a.On) }
func (a Bandwidth) String() string {
	return "bandwidth " + linkPrefix(a.Link) + strconv.FormatInt(a.BytesPerSecond, 10)
}
func (a Slow) String() string {
	if a.Extra == nil {
		return "slow " + string(a.Node) + " off"
	}
	return "slow " + string(a.Node) + " " + a.Extra.String()
}
func (a Skew) String() string    { return "skew " + string(a.Node) + " " + signedDuration(a.Offset) }
func (a Drift) String() string   { return fmt.Sprintf("drift %s %+dppm", a.Node, a.PPM) }
func (a Crash) String() string   { return "crash " + string(a.Node) }
func (a Restart) String() string { return "restart " + string(a.Node) }
func (a DropNext) String() string {
	return strings.TrimSpace("drop-next " + linkPrefix(a.Link))
}
func (a Equivocate) String() string {
	if a.On {
		return "equivocate " + string(a.Node)
	}
	return "equivocate " + string(a.Node) + " off"
}

func linkPrefix(l Link) string {
	if l == AllLinks {
		return ""
	}
	return string(l.From) + " -> " + string(l.To) + " "
}

func joinIDs(ids []sim.NodeID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, " ")
}

func (a Partition) check() error {
	if len(a.Groups) == 0 {
		return errors.New("partition needs at least one group")
	}
	seen := map[sim.NodeID]bool{}
	for _, g := range a.Groups {
		if len(g) == 0 {
			return errors.New("partition has an empty group")
		}
		for _, id := range g {
			if err := checkName(id); err != nil {
				return err
			}
			if seen[id] {
				return fmt.Errorf("partition names %s twice", id)
			}
			seen[id] = true
		}
	}
	return nil
}
func (a Cut) check() error     { return checkNames(a.From, a.To) }
func (a Isolate) check() error { return checkName(a.Node) }
func (Heal) check() error      { return nil }
func (Reset) check() error     { return nil }
func (a Loss) check() error    { return errors.Join(checkLink(a.Link), checkProbability("loss", a.P)) }
func (a Duplicate) check() error {
	return errors.Join(checkLink(a.Link), checkProbability("duplicate", a.P))
}
func (a Delay) check() error   { return errors.Join(checkLink(a.Link), validateLatency(a.Latency)) }
func (a Reorder) check() error { return checkLink(a.Link) }
func (a Bandwidth) check() error {
	if a.BytesPerSecond < 0 {
		return fmt.Errorf("bandwidth %d is negative", a.BytesPerSecond)
	}
	return checkLink(a.Link)
}
func (a Slow) check() error {
	if a.Extra == nil {
		return checkName(a.Node)
	}
	return errors.Join(checkName(a.Node), validateLatency(a.Extra))
}
func (a Skew) check() error { return checkName(a.Node) }
func (a Drift) check() error {
	if a.PPM < -MaxDrift || a.PPM > MaxDrift {
		return fmt.Errorf("drift %dppm: must lie in [-%d, %d]", a.PPM, MaxDrift, MaxDrift)
	}
	return checkName(a.Node)
}
func (a Crash) check() error      { return checkName(a.Node) }
func (a Restart) check() error    { return checkName(a.Node) }
func (a DropNext) check() error   { return checkLink(a.Link) }
func (a Equivocate) check() error { return checkName(a.Node) }

// checkName rejects names that would not survive the text form.
func checkName(id sim.NodeID) error {
	s := string(id)
	if s == "" {
		return errors.New("empty node name")
	}
	if strings.ContainsAny(s, " \t\r\n|#") || strings.Contains(s, "->") {
		return fmt.Errorf("node name %q: no spaces, '|', '#' or '->' allowed", s)
	}
	return nil
}

func checkNames(ids ...sim.NodeID) error {
	for _, id := range ids {
		if err := checkName(id); err != nil {
			return err
		}
	}
	return nil
}

func checkLink(l Link) error {
	if l == AllLinks {
		return nil
	}
	return errors.Join(l.check(), checkNames(l.From, l.To))
}

func (a Partition) nodes() []sim.NodeID {
	var ids []sim.NodeID
	for _, g := range a.Groups {
		ids = append(ids, g...)
	}
	return ids
}
func (a Cut) nodes() []sim.NodeID        { return []sim.NodeID{a.From, a.To} }
func (a Isolate) nodes() []sim.NodeID    { return []sim.NodeID{a.Node} }
func (Heal) nodes() []sim.NodeID         { return nil }
func (Reset) nodes() []sim.NodeID        { return nil }
func (a Loss) nodes() []sim.NodeID       { return linkNodes(a.Link) }
func (a Duplicate) nodes() []sim.NodeID  { return linkNodes(a.Link) }
func (a Delay) nodes() []sim.NodeID      { return linkNodes(a.Link) }
func (a Reorder) nodes() []sim.NodeID    { return linkNodes(a.Link) }
func (a Bandwidth) nodes() []sim.NodeID  { return linkNodes(a.Link) }
func (a Slow) nodes() []sim.NodeID       { return []sim.NodeID{a.Node} }
func (a Skew) nodes() []sim.NodeID       { return []sim.NodeID{a.Node} }
func (a Drift) nodes() []sim.NodeID      { return []sim.NodeID{a.Node} }
func (a Crash) nodes() []sim.NodeID      { return []sim.NodeID{a.Node} }
func (a Restart) nodes() []sim.NodeID    { return []sim.NodeID{a.Node} }
func (a DropNext) nodes() []sim.NodeID   { return linkNodes(a.Link) }
func (a Equivocate) nodes() []sim.NodeID { return []sim.NodeID{a.Node} }

func linkNodes(l Link) []sim.NodeID {
	if l == AllLinks {
		return nil
	}
	return []sim.NodeID{l.From, l.To}
}

func (a Partition) apply(_ *sim.World, m *Model) error { return m.Partition(a.Groups...) }
func (a Cut) apply(_ *sim.World, m *Model) error       { return m.Cut(a.From, a.To) }
func (a Isolate) apply(_ *sim.World, m *Model) error   { return m.Isolate(a.Node) }
func (Heal) apply(_ *sim.World, m *Model) error        { m.Heal(); return nil }
func (Reset) apply(_ *sim.World, m *Model) error       { m.Reset(); return nil }
func (a Loss) apply(_ *sim.World, m *Model) error      { return m.SetLoss(a.Link, a.P) }
func (a Duplicate) apply(_ *sim.World, m *Model) error { return m.SetDuplicate(a.Link, a.P) }
func (a Delay) apply(_ *sim.World, m *Model) error     { return m.SetLatency(a.Link, a.Latency) }
func (a Reorder) apply(_ *sim.World, m *Model) error   { return m.SetReorder(a.Link, a.On) }
func (a Bandwidth) apply(_ *sim.World, m *Model) error {
	return m.SetBandwidth(a.Link, a.BytesPerSecond)
}
func (a Slow) apply(_ *sim.World, m *Model) error  { return m.Slow(a.Node, a.Extra) }
func (a Skew) apply(_ *sim.World, m *Model) error  { return m.Skew(a.Node, a.Offset) }
func (a Drift) apply(_ *sim.World, m *Model) error { return m.Drift(a.Node, a.PPM) }
func (a Crash) apply(w *sim.World, _ *Model) error { w.Crash(a.Node); return nil }
func (a Restart) apply(w *sim.World, _ *Model) error {
	w.Restart(a.Node)
	return nil
}
func (a DropNext) apply(_ *sim.World, m *Model) error { return m.DropNext(a.Link) }
func (a Equivocate) apply(_ *sim.World, m *Model) error {
	return m.Equivocate(a.Node, a.On)
}

// String prints the schedule in the text form ParseSchedule reads.
func (s Schedule) String() string {
	var b strings.Builder
	b.WriteString("# dsim fault schedule\n")
	for _, e := range s {
		fmt.Fprintf(&b, "%v %v\n", e.At, e.Action)
	}
	return b.String()
}

// Validate checks every event: times not negative and never going back,
// actions with sensible parameters and printable node names.
func (s Schedule) Validate() error {
	var prev time.Duration
	for i, e := range s {
		if err := e.check(prev); err != nil {
			return fmt.Errorf("network: schedule event %d (at %v): %w", i+1, e.At, err)
		}
		prev = e.At
	}
	return nil
}

func (e Event) check(prev time.Duration) error {
	if e.At < 0 {
		return errors.New("negative time")
	}
	if e.At < prev {
		return fmt.Errorf("time goes back: the event before is at %v", prev)
	}
	if e.Action == nil {
		return errors.New("no action")
	}
	return e.Action.check()
}

// actionKeywords lists the actions ParseSchedule knows, for its error
// messages.
var actionKeywords = []string{
	"bandwidth", "crash", "cut", "delay", "drift", "drop-next", "duplicate", "equivocate", "fate", "heal", "isolate",
	"loss", "partition", "reorder", "reset", "restart", "skew", "slow",
}

// ParseSchedule reads a schedule in the form Schedule.String prints. Each
// non-empty line is a time (a Go duration such as 1.5s or 250ms, counted from
// the start of the run) followed by an action; '#' starts a comment. The
// actions, where LINK is either "A -> B" for one directed link or nothing
// for every link, and LATENCY is as ParseLatency reads it:
//
//	partition A B ... | C D ... [| ...]
//	cut A -> B
//	isolate A
//	heal
//	reset
//	loss [LINK] P
//	duplicate [LINK] P
//	delay [LINK] LATENCY
//	reorder [LINK] on|off
//	bandwidth [LINK] BYTES_PER_SECOND
//	slow A LATENCY|off
//	skew A ±DURATION
//	drift A ±Nppm
//	crash A
//	restart A
//	drop-next [LINK]
//	equivocate A [off]
//
// Errors name the line and what is wrong with it.
func ParseSchedule(r io.Reader) (Schedule, error) {
	var s Schedule
	var prev time.Duration
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.ReplaceAll(line, "->", " -> ")
		line = strings.ReplaceAll(line, "|", " | ")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		e, err := parseEvent(f)
		if err == nil {
			err = e.check(prev)
		}
		if err != nil {
			return nil, fmt.Errorf("network: schedule line %d: %w", n, err)
		}
		prev = e.At
		s = append(s, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("network: reading schedule: %w", err)
	}
	return s, nil
}

func parseEvent(f []string) (Event, error) {
	at, err := time.ParseDuration(f[0])
	if err != nil {
		return Event{}, fmt.Errorf("time %q: want a duration such as 1.5s or 250ms", f[0])
	}
	if len(f) < 2 {
		return Event{}, errors.New("missing action after the time")
	}
	a, err := parseAction(f[1], f[2:])
	return Event{At: at, Action: a}, err
}

func parseAction(verb string, args []string) (Action, error) {
	usage := func(form string) error { return fmt.Errorf("%s: want %q", verb, form) }
	switch verb {
	case "partition":
		var groups [][]sim.NodeID
		var g []sim.NodeID
		for _, a := range args {
			if a == "|" {
				groups = append(groups, g)
				g = nil
				continue
			}
			g = append(g, sim.NodeID(a))
		}
		groups = append(groups, g)
		for _, g := range groups {
			if len(g) == 0 {
				return nil, usage("partition A B | C D")
			}
		}
		return Partition{Groups: groups}, nil
	case "cut":
		if len(args) != 3 || args[1] != "->" {
			return nil, usage("cut A -> B")
		}
		return Cut{From: sim.NodeID(args[0]), To: sim.NodeID(args[2])}, nil
	case "isolate", "crash", "restart":
		if len(args) != 1 {
			return nil, usage(verb + " A")
		}
		id := sim.NodeID(args[0])
		switch verb {
		case "isolate":
			return Isolate{Node: id}, nil
		case "crash":
			return Crash{Node: id}, nil
		}
		return Restart{Node: id}, nil
	case "heal", "reset":
		if len(args) != 0 {
			return nil, usage(verb)
		}
		if verb == "heal" {
			return Heal{}, nil
		}
		return Reset{}, nil
	case "loss", "duplicate":
		l, rest := parseLink(args)
		if len(rest) != 1 {
			return nil, usage(verb + " [A -> B] P")
		}
		p, err := strconv.ParseFloat(rest[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: probability %q is not a number", verb, rest[0])
		}
		if verb == "loss" {
			return Loss{Link: l, P: p}, nil
		}
		return Duplicate{Link: l, P: p}, nil
	case "delay":
		l, rest := parseLink(args)
		lat, err := ParseLatency(strings.Join(rest, ""))
		if err != nil {
			return nil, fmt.Errorf("delay: %w", err)
		}
		return Delay{Link: l, Latency: lat}, nil
	case "reorder":
		l, rest := parseLink(args)
		if len(rest) != 1 || (rest[0] != "on" && rest[0] != "off") {
			return nil, usage("reorder [A -> B] on|off")
		}
		return Reorder{Link: l, On: rest[0] == "on"}, nil
	case "bandwidth":
		l, rest := parseLink(args)
		if len(rest) != 1 {
			return nil, usage("bandwidth [A -> B] BYTES_PER_SECOND")
		}
		bw, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bandwidth: %q is not a whole number of bytes per second", rest[0])
		}
		return Bandwidth{Link: l, BytesPerSecond: bw}, nil
	case "slow":
		if len(args) < 2 {
			return nil, usage("slow A LATENCY|off")
		}
		id := sim.NodeID(args[0])
		if len(args) == 2 && args[1] == "off" {
			return Slow{Node: id}, nil
		}
		lat, err := ParseLatency(strings.Join(args[1:], ""))
		if err != nil {
			return nil, fmt.Errorf("slow: %w", err)
		}
		return Slow{Node: id, Extra: lat}, nil
	case "skew":
		if len(args) != 2 {
			return nil, usage("skew A +50ms")
		}
		d, err := time.ParseDuration(args[1])
		if err != nil {
			return nil, fmt.Errorf("skew: offset %q: want a signed duration such as +50ms", args[1])
		}
		return Skew{Node: sim.NodeID(args[0]), Offset: d}, nil
	case "equivocate":
		switch {
		case len(args) == 1:
			return Equivocate{Node: sim.NodeID(args[0]), On: true}, nil
		case len(args) == 2 && args[1] == "off":
			return Equivocate{Node: sim.NodeID(args[0])}, nil
		}
		return nil, usage("equivocate A [off]")
	case "drop-next":
		l, rest := parseLink(args)
		if len(rest) != 0 {
			return nil, usage("drop-next [A -> B]")
		}
		return DropNext{Link: l}, nil
	case "fate":
		return parseFate(args)
	case "drift":
		if len(args) != 2 || !strings.HasSuffix(args[1], "ppm") {
			return nil, usage("drift A +200ppm")
		}
		ppm, err := strconv.ParseInt(strings.TrimSuffix(args[1], "ppm"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("drift: %q: want a whole number of parts per million such as +200ppm", args[1])
		}
		return Drift{Node: sim.NodeID(args[0]), PPM: ppm}, nil
	}
	return nil, fmt.Errorf("unknown action %q; known: %s", verb, strings.Join(actionKeywords, ", "))
}

// parseLink takes an optional leading "A -> B" off args.
func parseLink(args []string) (Link, []string) {
	if len(args) >= 3 && args[1] == "->" {
		return Link{From: sim.NodeID(args[0]), To: sim.NodeID(args[2])}, args[3:]
	}
	return AllLinks, args
}
