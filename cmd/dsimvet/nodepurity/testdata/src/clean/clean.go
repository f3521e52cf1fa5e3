// Package clean has no sim.Node: nothing here is node code.
package clean

import "time"

func Stamp() time.Time { return time.Now() }

func Spawn(f func()) { go f() }
