package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// This file serves tools that choose the order of events themselves, such
// as the explorer (package check/explore): instead of letting the network
// model decide when a message arrives, the world holds every message sent
// and the tool releases, drops or duplicates each one; and a replay of what
// the tool found gives the same messages the same fates through a
// FateScript, with the ordinary network model in place.

// FateScript is an optional capability of a LinkModel: the fates of some
// messages decided ahead of time, by message id (ids count every Send of
// the run from 1, so the same run gives every message the same id). A world
// asks it before Route; a message it has no fate for goes to Route.
type FateScript interface {
	ScriptedFate(id uint64, now time.Duration) (Fate, bool)
}

// Held is a message the world holds: sent, and waiting for a tool to
// release or drop it.
type Held struct {
	ID       uint64
	From, To NodeID
	SentAt   time.Duration
	Msg      Message
}

// Hold makes the world keep every message sent from now on, until Release,
// ReleaseCopy or Discard decides its fate; the network model is not asked.
// Hold(false) lets later messages go to the network model again.
func (w *World) Hold(on bool) {
	w.holding = on
}

// Held lists the held messages by id, oldest first.
func (w *World) Held() []Held {
	return slices.Clone(w.held)
}

// Release delivers held message id at virtual time at (not before now).
func (w *World) Release(id uint64, at time.Duration) error {
	h, err := w.takeHeld(id, true)
	if err != nil {
		return err
	}
	w.deliverAt(h, at)
	return nil
}

// ReleaseCopy delivers a copy of held message id at at and keeps holding
// the message: the network duplicated it.
func (w *World) ReleaseCopy(id uint64, at time.Duration) error {
	h, err := w.takeHeld(id, false)
	if err != nil {
		return err
	}
	w.stats.Duplicated++
	if w.tracer != nil {
		w.emit(KindDuplicate, h.From, h.From, h.To, h.ID, h.Msg, "")
	}
	w.deliverAt(h, at)
	return nil
}

// Discard drops held message id: the network lost it.
func (w *World) Discard(id uint64, reason string) error {
	h, err := w.takeHeld(id, true)
	if err != nil {
		return err
	}
	w.stats.Dropped++
	if w.tracer != nil {
		w.emit(KindDrop, h.From, h.From, h.To, h.ID, h.Msg, reason)
	}
	return nil
}

func (w *World) takeHeld(id uint64, remove bool) (Held, error) {
	i, ok := slices.BinarySearchFunc(w.held, id, func(h Held, id uint64) int { return cmp.Compare(h.ID, id) })
	if !ok {
		return Held{}, fmt.Errorf("sim: message %d is not held", id)
	}
	h := w.held[i]
	if remove {
		w.held = slices.Delete(w.held, i, i+1)
	}
	return h, nil
}

func (w *World) deliverAt(h Held, at time.Duration) {
	w.schedule(max(at, w.now), event{kind: evDeliver, node: w.byID[h.To], from: w.byID[h.From], id: h.ID, msg: h.Msg})
}

// hold keeps a message sent while holding; Send calls it after tracing the
// send.
func (w *World) hold(from, to NodeID, id uint64, msg Message) {
	// Ids grow with every send: appending keeps held sorted by id.
	w.held = append(w.held, Held{ID: id, From: from, To: to, SentAt: w.now, Msg: msg})
}

// NextLive is NextAt without the dead: cancelled timers, timers and starts
// of an incarnation that crashed are removed from the front of the queue
// first (Step would skip them anyway, without a trace line), so what it
// reports is an event that will do something.
func (w *World) NextLive() (time.Duration, bool) {
	for w.q.len() > 0 {
		e := w.q.peek()
		ev := &w.slots[e.slot]
		dead := false
		switch ev.kind {
		case evVoid:
			dead = true
		case evTimer:
			ns := w.nodes[ev.node]
			dead = !ns.up || ns.incarnation != ev.inc
			if dead {
				delete(w.pending, TimerID(ev.id))
			}
		case evStart:
			dead = w.nodes[ev.node].incarnation != ev.inc
		}
		if !dead {
			return e.at, true
		}
		w.q.pop()
		w.slots[e.slot] = event{}
		w.free = append(w.free, e.slot)
	}
	return 0, false
}

// AppendRandState appends to b the position of node id's random stream
// (nothing while it is down): two states whose nodes hold equal values but
// have drawn different amounts from Env.Rand will go on differently, and
// the explorer tells them apart by it.
func (w *World) AppendRandState(b []byte, id NodeID) []byte {
	i, ok := w.byID[id]
	if !ok || w.nodes[i].env == nil {
		return b
	}
	b, _ = w.nodes[i].env.src.AppendBinary(b) // a PCG always encodes
	return b
}
