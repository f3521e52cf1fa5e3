package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/dsimlab/dsim/i18n"
	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// Options choose what the TUI opens on.
type Options struct {
	// Scenario is the name of a registered scenario; empty means
	// raft-election.
	Scenario string
	Seed     uint64
	// SaveDir is where w writes the session's schedule; empty means the
	// current directory.
	SaveDir string
	// NoColor draws without colour (set it when NO_COLOR is set).
	NoColor bool
	// Width and Height are the screen size until the terminal reports its
	// own; zero means 80×24.
	Width, Height int
	// Schedule, Broken and Knobs set up the run as `dsim run --schedule
	// --broken --set` would: a counterexample from dsim explore, say.
	Schedule network.Schedule
	Broken   string
	Knobs    scenarios.Knobs
	// Printer is the language of the explanation ? shows; nil is English.
	Printer *i18n.Printer
}

// DefaultScenario is what the TUI opens on when no scenario is named.
const DefaultScenario = "raft-election"

// speeds are the run speeds, in events per second of wall time.
var speeds = []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}

const defaultSpeed = 3 // 10 events a second

// maxJump bounds how many events l runs looking for a leader change.
const maxJump = 1_000_000

// Model is the bubbletea model of the TUI. Drive it with Update and read it
// with View; it needs no terminal, which is how its tests run.
type Model struct {
	s        *Session
	opts     Options
	st       styles
	width    int
	height   int
	selected int  // index into World().Nodes()
	running  bool // r: stepping on a timer
	speed    int  // index into speeds
	tick     int  // generation of the running timer, so stale ticks are ignored
	help     bool
	// prompt, while non-nil, is the time being typed after g.
	prompt  *string
	helpTop int // the first line the help screen shows
	// msg is the answer to the last key, shown in the footer until the
	// next step, so stepping back returns the earlier screen exactly.
	msg string
}

// New opens the TUI model on a scenario, at event 0.
func New(opts Options) (*Model, error) {
	if opts.Scenario == "" {
		opts.Scenario = DefaultScenario
	}
	if opts.SaveDir == "" {
		opts.SaveDir = "."
	}
	if opts.Width <= 0 || opts.Height <= 0 {
		opts.Width, opts.Height = 80, 24
	}
	sc, err := scenarios.Lookup(opts.Scenario)
	if err != nil {
		return nil, err
	}
	s, err := NewSessionWith(sc, scenarios.Options{Seed: opts.Seed, Schedule: opts.Schedule, Broken: opts.Broken, Knobs: opts.Knobs})
	if err != nil {
		return nil, err
	}
	return &Model{s: s, opts: opts, st: newStyles(!opts.NoColor), width: opts.Width, height: opts.Height, speed: defaultSpeed}, nil
}

// Session is the session the model shows.
func (m *Model) Session() *Session { return m.s }

// keys: one table drives both Update and the help screen.
var keys = struct {
	step, back, run, faster, slower, leader, prev, next         key.Binding
	crash, restart, isolate, heal, drop, seed, save, help, quit key.Binding
	goTo, nextFault, end                                        key.Binding
}{
	step:      key.NewBinding(key.WithKeys("space", "n"), key.WithHelp("space n", "step one event")),
	back:      key.NewBinding(key.WithKeys("b", "p"), key.WithHelp("b p", "step back one event (instant for the last 512)")),
	run:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run / pause")),
	faster:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+ -", "run faster / slower")),
	slower:    key.NewBinding(key.WithKeys("-", "_")),
	leader:    key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "run to the next leader change")),
	goTo:      key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "go to a time (type it, e.g. 1.5s, then enter)")),
	nextFault: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "run to the next fault, crash or restart")),
	end:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "run to the end")),
	prev:      key.NewBinding(key.WithKeys("left", "up", "k")),
	next:      key.NewBinding(key.WithKeys("right", "down", "j", "tab"), key.WithHelp("←→ 1-9", "select a node")),
	crash:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c x", "crash / restart the selected node")),
	restart:   key.NewBinding(key.WithKeys("x")),
	isolate:   key.NewBinding(key.WithKeys("i"), key.WithHelp("i h", "isolate the selected node / heal the network")),
	heal:      key.NewBinding(key.WithKeys("h")),
	drop:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "lose the next message any node sends")),
	seed:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "new seed (starts over, faults forgotten)")),
	save:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write the faults as a schedule file")),
	help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help and the scenario's explanation on / off (↑↓ scroll)")),
	quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
}

// p is the printer of the TUI's language (nil: English).
func (m *Model) p() *i18n.Printer { return m.opts.Printer }

func init() {
	for _, k := range keyHelp {
		i18n.Elsewhere(k[1]) // translated with p.S on the help screen
	}
}

// keyHelp lists the keys for the help screen and the README.
var keyHelp = func() [][2]string {
	var out [][2]string
	for _, b := range []key.Binding{keys.step, keys.back, keys.run, keys.faster, keys.leader, keys.goTo, keys.nextFault, keys.end, keys.next,
		keys.crash, keys.isolate, keys.drop, keys.seed, keys.save, keys.help, keys.quit} {
		out = append(out, [2]string{b.Help().Key, b.Help().Desc})
	}
	return out
}()

type tickMsg struct{ gen int }

// Init starts nothing: the TUI waits for keys.
func (m *Model) Init() tea.Cmd { return nil }

// Update handles a key, a tick of the run timer or a resize.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		if msg.gen != m.tick || !m.running {
			return m, nil
		}
		n := max(1, speeds[m.speed]/50)
		for range n {
			if !m.s.Step() {
				m.running = false
				m.msg = m.p().T("the run is over: b steps back, s starts a new seed")
				return m, nil
			}
		}
		return m, m.nextTick()
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) nextTick() tea.Cmd {
	eps := speeds[m.speed]
	every := time.Second / time.Duration(min(eps, 50))
	gen := m.tick
	return tea.Tick(every, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func (m *Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	nodes := m.s.Nodes()
	if len(nodes) == 0 {
		nodes = []sim.NodeID{""} // a world without nodes: node keys find nothing to act on
	}
	m.selected = min(m.selected, len(nodes)-1)
	sel := nodes[m.selected]
	if m.prompt != nil {
		return m.promptKey(k)
	}
	if r := k.String(); len(r) == 1 && r[0] >= '1' && r[0] <= '9' {
		if i := int(r[0] - '1'); i < len(nodes) {
			m.selected = i
		}
		return m, nil
	}
	switch {
	case key.Matches(k, keys.quit):
		return m, tea.Quit
	case key.Matches(k, keys.help):
		m.help, m.helpTop = !m.help, 0
	case m.help && key.Matches(k, keys.next):
		m.helpTop++ // the help screen scrolls: the explanation is long
	case m.help && key.Matches(k, keys.prev):
		m.helpTop = max(0, m.helpTop-1)
	case key.Matches(k, keys.step):
		m.msg = ""
		if !m.s.Step() {
			m.msg = m.p().T("the run is over: b steps back, s starts a new seed")
		}
	case key.Matches(k, keys.back):
		m.running = false
		m.msg = ""
		if ok, err := m.s.Back(); err != nil {
			m.msg = err.Error()
		} else if !ok {
			m.msg = m.p().T("this is the start")
		}
	case key.Matches(k, keys.run):
		m.running = !m.running
		m.tick++
		if m.running {
			m.msg = ""
			return m, m.nextTick()
		}
	case key.Matches(k, keys.faster):
		m.speed = min(m.speed+1, len(speeds)-1)
	case key.Matches(k, keys.slower):
		m.speed = max(m.speed-1, 0)
	case key.Matches(k, keys.leader):
		m.msg = m.jumpToLeaderChange()
	case key.Matches(k, keys.goTo):
		m.running = false
		empty := ""
		m.prompt = &empty
	case key.Matches(k, keys.nextFault):
		m.running = false
		if r, ok := m.s.NextFault(); ok {
			m.msg = m.p().T("at %s: %s", sim.FormatTime(r.At), r.String())
		} else {
			m.msg = m.p().T("no fault before the end of the run")
		}
	case key.Matches(k, keys.end):
		m.running = false
		m.s.ToEnd()
		m.msg = m.p().T("the end of the run: b steps back, g goes to a time")
	case key.Matches(k, keys.prev):
		m.selected = (m.selected + len(nodes) - 1) % len(nodes)
	case key.Matches(k, keys.next):
		m.selected = (m.selected + 1) % len(nodes)
	case key.Matches(k, keys.crash):
		if m.s.Crashed(sel) {
			m.msg = fmt.Sprintf("%s is down already: x restarts it", sel)
			break
		}
		m.inject(network.Crash{Node: sel}, m.p().T("%s crashes", sel))
	case key.Matches(k, keys.restart):
		if !m.s.Crashed(sel) {
			m.msg = m.p().T("%s is running: c crashes it", sel)
			break
		}
		m.inject(network.Restart{Node: sel}, m.p().T("%s restarts", sel))
	case key.Matches(k, keys.isolate):
		m.inject(network.Isolate{Node: sel}, m.p().T("%s is cut off from everyone", sel))
	case key.Matches(k, keys.heal):
		m.inject(network.Heal{}, m.p().T("the network heals"))
	case key.Matches(k, keys.drop):
		m.inject(network.DropNext{}, m.p().T("the next message sent is lost"))
	case key.Matches(k, keys.seed):
		m.running = false
		if err := m.s.Reseed(m.s.Seed() + 1); err != nil {
			m.msg = err.Error()
		} else {
			m.msg = m.p().T("seed %d: a new run", m.s.Seed())
		}
	case key.Matches(k, keys.save):
		path, err := m.s.Save(m.opts.SaveDir)
		if err != nil {
			m.msg = err.Error()
		} else {
			m.msg = m.p().T("saved %d faults; replay them with %s", len(m.s.schedule), m.s.ReplayCommand(path))
		}
	}
	return m, nil
}

// inject adds a fault right after the current event.
func (m *Model) inject(a network.Action, what string) {
	at, err := m.s.Inject(a)
	switch {
	case errors.Is(err, ErrNoNetwork), errors.Is(err, ErrEnd):
		m.msg = err.Error()
	case err != nil:
		m.msg = m.p().T("cannot inject: %v", err)
	default:
		m.msg = m.p().T("at %s %s (%d faults by key; w saves them)", sim.FormatTime(at), what, len(m.s.schedule))
	}
}

// promptKey edits the time typed after g: enter goes there, esc cancels.
func (m *Model) promptKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch r := k.String(); r {
	case "enter":
		text := strings.TrimSpace(*m.prompt)
		m.prompt = nil
		at, err := time.ParseDuration(text)
		if err != nil || at < 0 {
			m.msg = m.p().T("not a time: %q (write 1.5s or 300ms)", text)
			return m, nil
		}
		if err := m.s.RunTo(at); err != nil {
			m.msg = err.Error()
			return m, nil
		}
		m.msg = m.p().T("at %s (event %d)", sim.FormatTime(m.s.World().Now()), m.s.Events())
	case "esc", "ctrl+c":
		m.prompt = nil
		m.msg = ""
	case "backspace":
		if p := *m.prompt; p != "" {
			*m.prompt = p[:len(p)-1]
		}
	default:
		if len(r) == 1 && strings.Contains("0123456789.hmsun", r) || r == "µ" {
			*m.prompt += r
		}
	}
	return m, nil
}

// jumpToLeaderChange runs until the set of leaders (and their terms)
// differs from now, and says what happened.
func (m *Model) jumpToLeaderChange() string {
	w := m.s.World()
	before := leaders(w)
	for range maxJump {
		if !m.s.Step() {
			return "no leader change before the end of the run"
		}
		if now := leaders(w); now != before {
			if now == "" {
				return fmt.Sprintf("at %s: no leader", sim.FormatTime(w.Now()))
			}
			return fmt.Sprintf("at %s: leader %s", sim.FormatTime(w.Now()), describeLeaders(now))
		}
	}
	return "no leader change in a million events"
}

func faults(n int) string {
	if n == 1 {
		return "1 fault"
	}
	return fmt.Sprintf("%d faults", n)
}

// describeLeaders turns "n1@3 " into "n1 (term 3)".
func describeLeaders(sig string) string {
	out := ""
	for _, f := range strings.Fields(sig) {
		id, term, _ := strings.Cut(f, "@")
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s (term %s)", id, term)
	}
	return out
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "dsim tui " + m.s.Scenario().Name
	return v
}

// Run opens the TUI in the terminal and returns when the user quits.
func Run(opts Options) error {
	m, err := New(opts)
	if err != nil {
		return err
	}
	var popts []tea.ProgramOption
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	_, err = tea.NewProgram(m, popts...).Run()
	return err
}
