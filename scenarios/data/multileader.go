package data

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/crdt"
)

func init() {
	scenarios.Register(scenarios.Scenario{
		Name:    "multi-leader",
		Summary: "two regions both accept writes and replicate asynchronously: last-writer-wins loses concurrent updates (with clock skew, the older write wins); a PN-counter and an OR-set keep them all",
		Chapter: "storage",
		Doc: `Two regions, Tokyo and Taipei, each with its own leader that accepts
writes locally and sends its state to the other every "sync" (40ms
away). Tokyo's clock runs "skew" ahead of true time.

An app in each region updates the same data for 1.5s: a like counter
(+1, sometimes -1), a shopping cart (add an item, remove one), and once
each, 10ms apart, the display name (Tokyo first, then Taipei). Each
region keeps every datum two ways:

  last writer wins   the value with the latest timestamp (the writing
                     region's clock) replaces the other;
  CRDT               a PN-counter for the likes, an OR-set for the cart
                     (storage/crdt): merging keeps every region's
                     updates.

After the apps stop, the regions sync until both hold the same state.`,
		LookFor: `The table: both regions converge to the same values either way —
convergence is not the problem, keeping the updates is. Last-writer-wins
lost likes (each region counted on top of its own view, and one view
replaced the other) and cart updates; the PN-counter holds exactly every
+1 and -1, the OR-set exactly the items added and not removed by someone
who saw them. The display name: two concurrent writes, one lost, and
with Tokyo's clock ahead, Tokyo's write — the older one — won. Try --set
skew=0s: the later write wins, and the earlier is still lost.`,
		Knobs: []scenarios.Knob{
			{Name: "skew", Kind: scenarios.KnobDuration, Default: "100ms", Min: 0, Max: float64(time.Second), Doc: "how far ahead of true time Tokyo's clock runs"},
			{Name: "sync", Kind: scenarios.KnobDuration, Default: "100ms", Min: float64(time.Millisecond), Max: float64(time.Second), Doc: "how often a region sends its state to the other"},
		},
		For:   2500 * time.Millisecond,
		Setup: setupMultiLeader,
	})
}

// Messages of the multi-leader scenario.
type (
	Like       struct{ Delta int64 }
	CartAdd    struct{ Item string }
	CartRemove struct{ Item string }
	SetName    struct{ Name string }
	// Replicate is a region's whole state, sent to the other region.
	Replicate struct {
		Name, Likes, Cart lwwValue
		LikesPN           crdt.PNCounter
		CartOR            crdt.ORSet
	}
	syncTick struct{}
	appTick  struct{}
)

// lwwValue is a last-writer-wins register: the value with the latest
// timestamp wins, the region name breaking ties.
type lwwValue struct {
	Value  string
	TS     int64 // the writing region's clock, unix ns
	Origin string
}

func (a lwwValue) newer(b lwwValue) bool {
	return a.TS > b.TS || (a.TS == b.TS && a.Origin > b.Origin)
}

// region is one leader of a multi-leader pair.
type region struct {
	name               string
	peer               sim.NodeID
	every              time.Duration
	nameV, likes, cart lwwValue
	likesPN            crdt.PNCounter
	cartOR             crdt.ORSet
	tags               int
	// What this region's app did, for counting what survived.
	likesDone int64
	adds      [][2]string // item, tag
	removed   []string    // tags removed
	names     []lwwValue
}

func (r *region) Start(env sim.Env) {
	r.likesPN, r.cartOR = crdt.NewPNCounter(), crdt.NewORSet()
	env.SetTimer(r.every, syncTick{})
}

// write sets an LWW register locally, stamped with this region's clock.
func (r *region) write(env sim.Env, v *lwwValue, value string) lwwValue {
	*v = lwwValue{Value: value, TS: env.Now().UnixNano(), Origin: r.name}
	return *v
}

func cartItems(v lwwValue) []string {
	if v.Value == "" {
		return nil
	}
	return strings.Split(v.Value, ",")
}

func (r *region) Receive(env sim.Env, from sim.NodeID, msg sim.Message) {
	switch m := msg.(type) {
	case Like:
		n, _ := strconv.ParseInt(r.likes.Value, 10, 64)
		r.write(env, &r.likes, strconv.FormatInt(n+m.Delta, 10))
		r.likesPN.Add(r.name, m.Delta)
		r.likesDone += m.Delta
	case CartAdd:
		items := cartItems(r.cart)
		if !slices.Contains(items, m.Item) {
			items = append(items, m.Item)
			slices.Sort(items)
		}
		r.write(env, &r.cart, strings.Join(items, ","))
		r.tags++
		tag := fmt.Sprintf("%s-%d", r.name, r.tags)
		r.cartOR.Add(m.Item, tag)
		r.adds = append(r.adds, [2]string{m.Item, tag})
	case CartRemove:
		items := slices.DeleteFunc(cartItems(r.cart), func(s string) bool { return s == m.Item })
		r.write(env, &r.cart, strings.Join(items, ","))
		r.removed = append(r.removed, r.cartOR.Remove(m.Item)...)
	case SetName:
		r.names = append(r.names, r.write(env, &r.nameV, m.Name))
		env.Logf("name := %q, stamped %s by %s's clock", m.Name, time.Unix(0, r.nameV.TS).UTC().Format("15:04:05.000"), r.name)
	case syncTick:
		env.Send(r.peer, Replicate{Name: r.nameV, Likes: r.likes, Cart: r.cart, LikesPN: r.likesPN.Clone(), CartOR: r.cartOR.Clone()})
		env.SetTimer(r.every, syncTick{})
	case Replicate:
		for _, p := range []struct {
			mine   *lwwValue
			theirs lwwValue
		}{{&r.nameV, m.Name}, {&r.likes, m.Likes}, {&r.cart, m.Cart}} {
			if p.theirs.newer(*p.mine) {
				*p.mine = p.theirs
			}
		}
		r.likesPN.Merge(m.LikesPN)
		r.cartOR.Merge(m.CartOR)
	}
}

// Inspect shows both versions of every datum.
func (r *region) Inspect() map[string]string {
	return map[string]string{
		"likes (LWW)": r.likes.Value, "likes (PN-counter)": strconv.FormatInt(r.likesPN.Value(), 10),
		"cart (LWW)": r.cart.Value, "cart (OR-set)": strings.Join(r.cartOR.Elements(), ","),
		"name (LWW)": r.nameV.Value,
	}
}

// regionApp sends a region random updates until stopAt.
type regionApp struct {
	region sim.NodeID
	stopAt time.Duration
}

var cartPool = []string{"tea", "mochi", "fan", "kettle", "cups", "rice", "soap", "map"}

func (a *regionApp) Start(env sim.Env) {
	env.SetTimer(time.Duration(10+env.Rand().IntN(20))*time.Millisecond, appTick{})
}

func (a *regionApp) Receive(env sim.Env, _ sim.NodeID, msg sim.Message) {
	if _, ok := msg.(appTick); !ok || env.Now().Sub(sim.Epoch) >= a.stopAt {
		return
	}
	switch x := env.Rand().IntN(10); {
	case x < 5:
		d := int64(1)
		if env.Rand().IntN(10) == 0 {
			d = -1
		}
		env.Send(a.region, Like{Delta: d})
	case x < 8:
		env.Send(a.region, CartAdd{Item: cartPool[env.Rand().IntN(len(cartPool))]})
	default:
		env.Send(a.region, CartRemove{Item: cartPool[env.Rand().IntN(len(cartPool))]})
	}
	env.SetTimer(time.Duration(15+env.Rand().IntN(20))*time.Millisecond, appTick{})
}

func setupMultiLeader(o scenarios.Options) (*scenarios.Run, error) {
	skew, every := o.Knobs.Duration("skew"), o.Knobs.Duration("sync")
	w, net, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	const stopAt = 1500 * time.Millisecond
	regions := []sim.NodeID{"tokyo", "taipei"}
	for i, id := range regions {
		peer := regions[1-i]
		w.AddNode(id, func() sim.Node { return &region{name: string(id), peer: peer, every: every} })
		w.AddClient(id+"-app", func() sim.Node { return &regionApp{region: id, stopAt: stopAt} })
	}
	for i := range regions {
		if err := net.SetLatency(network.Link{From: regions[i], To: regions[1-i]}, network.Uniform{Min: 38 * time.Millisecond, Max: 42 * time.Millisecond}); err != nil {
			return nil, err
		}
	}
	if skew > 0 {
		if err := net.Skew("tokyo", skew); err != nil {
			return nil, err
		}
	}
	// The two concurrent name writes, 10ms apart: Tokyo first.
	// sentAt is when (true time) each region's app sent its name write;
	// the writes arrive 1-3ms later, so in the same order.
	sentAt := map[string]time.Duration{}
	setName := func(id sim.NodeID, name string) func() {
		return func() {
			sentAt[string(id)] = w.Now()
			_ = w.Exec(id+"-app", func(_ sim.Node, env sim.Env) { env.Send(id, SetName{Name: name}) })
		}
	}
	w.At(300*time.Millisecond, setName("tokyo", "Aiko (set in Tokyo)"))
	w.At(310*time.Millisecond, setName("taipei", "Aiko-chan (set in Taipei)"))

	reg := func(id sim.NodeID) *region { return w.Node(id).(*region) }
	converged := func() bool {
		a, b := reg("tokyo"), reg("taipei")
		return a.likes == b.likes && a.cart == b.cart && a.nameV == b.nameV &&
			a.likesPN.Value() == b.likesPN.Value() && slices.Equal(a.cartOR.Elements(), b.cartOR.Elements())
	}
	done := func() bool { return w.Now() > stopAt+2*every+100*time.Millisecond && converged() }

	finish := func() scenarios.Result {
		var r scenarios.Result
		var f firstErr
		tk, tp := reg("tokyo"), reg("taipei")
		if !converged() {
			f.failf("the regions did not converge: likes %s/%s, cart %q/%q", tk.likes.Value, tp.likes.Value, tk.cart.Value, tp.cart.Value)
		}
		// What should have survived, from what the apps did.
		wantLikes := tk.likesDone + tp.likesDone
		removed := map[string]bool{}
		for _, t := range append(slices.Clone(tk.removed), tp.removed...) {
			removed[t] = true
		}
		want := map[string]bool{}
		updates := len(tk.adds) + len(tp.adds) + len(tk.removed) + len(tp.removed)
		for _, a := range append(slices.Clone(tk.adds), tp.adds...) {
			if !removed[a[1]] {
				want[a[0]] = true
			}
		}
		wantCart := sortedKeys(want)
		diff := func(got []string) int {
			n := 0
			for _, x := range got {
				if !want[x] {
					n++
				}
			}
			for _, x := range wantCart {
				if !slices.Contains(got, x) {
					n++
				}
			}
			return n
		}
		lwwLikes, _ := strconv.ParseInt(tk.likes.Value, 10, 64)
		lostLWW := wantLikes - lwwLikes
		if lostLWW < 0 {
			lostLWW = -lostLWW
		}
		lostPN := wantLikes - tk.likesPN.Value()
		lwwCart, orCart := diff(cartItems(tk.cart)), diff(tk.cartOR.Elements())
		likeOps := 0
		for _, rg := range []*region{tk, tp} {
			likeOps += int(rg.likesPN.P[rg.name] + rg.likesPN.N[rg.name])
		}
		rows := [][]string{
			{"likes", "last writer wins", itoa(likeOps), strconv.FormatInt(lostLWW, 10), tk.likes.Value},
			{"likes", "PN-counter", itoa(likeOps), strconv.FormatInt(lostPN, 10), strconv.FormatInt(tk.likesPN.Value(), 10)},
			{"cart", "last writer wins", itoa(updates), itoa(lwwCart), "[" + tk.cart.Value + "]"},
			{"cart", "OR-set", itoa(updates), itoa(orCart), "[" + strings.Join(tk.cartOR.Elements(), ",") + "]"},
		}
		var names []lwwValue
		names = append(append(names, tk.names...), tp.names...)
		nameLost := 0
		olderWon := false
		for _, n := range names {
			if n != tk.nameV {
				nameLost++
			} else {
				for _, m := range names {
					if sentAt[m.Origin] > sentAt[n.Origin] {
						olderWon = true
					}
				}
			}
		}
		rows = append(rows, []string{"name", "last writer wins", itoa(len(names)), itoa(nameLost), strconv.Quote(tk.nameV.Value)})
		r.Summary = table([]string{"data", "strategy", "updates", "lost", "final (both regions)"}, rows)
		r.Summary = append(r.Summary, fmt.Sprintf("expected: likes %d, cart [%s]", wantLikes, strings.Join(wantCart, ",")))
		if olderWon {
			r.Summary = append(r.Summary, fmt.Sprintf("the name written first (in real time) won: Tokyo's clock is %s ahead, so its stamp was later", skew))
		} else {
			r.Summary = append(r.Summary, "the name written last (in real time) won; the other concurrent write is lost all the same")
		}
		r.Metrics = []scenarios.Metric{
			{Name: "lww_likes_lost", Value: float64(lostLWW), Unit: "likes"},
			{Name: "pn_likes_lost", Value: float64(lostPN), Unit: "likes"},
			{Name: "lww_cart_wrong", Value: float64(lwwCart), Unit: "items"},
			{Name: "orset_cart_wrong", Value: float64(orCart), Unit: "items"},
			{Name: "name_lost", Value: float64(nameLost), Unit: "writes"},
			{Name: "older_name_won", Value: map[bool]float64{true: 1}[olderWon], Unit: "bool"},
		}
		switch {
		case lostPN != 0 || orCart != 0:
			f.failf("a CRDT lost updates: PN-counter %d likes, OR-set %d items", lostPN, orCart)
		case lostLWW == 0:
			f.failf("last writer wins lost no like: the lesson did not show")
		case len(names) != 2 || nameLost != 1:
			f.failf("expected two name writes and one lost, got %d and %d", len(names), nameLost)
		case skew > 20*time.Millisecond && !olderWon:
			f.failf("with Tokyo %s ahead the older name write should have won", skew)
		case skew == 0 && olderWon:
			f.failf("without skew the older name write won")
		}
		r.Err = f.err
		return r
	}
	return &scenarios.Run{World: w, Net: net, Done: done, Finish: finish}, nil
}
