// Package sim is a stand-in for dsim's sim package, enough for the analysis.
package sim

import (
	"math/rand/v2"
	"time"
)

type NodeID string
type Message any
type TimerID uint64

type Node interface {
	Start(env Env)
	Receive(env Env, from NodeID, msg Message)
}

type Env interface {
	ID() NodeID
	Peers() []NodeID
	Now() time.Time
	Send(to NodeID, msg Message)
	SetTimer(d time.Duration, msg Message) TimerID
	CancelTimer(id TimerID)
	Rand() *rand.Rand
	Logf(format string, args ...any)
}
