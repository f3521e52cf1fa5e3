// Package web holds the scenarios of a large web system and the patterns
// that keep it standing: a CDN of caching edges, a horizontally scaled tier
// of app servers behind a load balancer, authentication with sessions and
// signed tokens, and the failure stories every operator meets — a slow
// dependency cascading through its callers, a retry storm keeping a
// recovering service down, a thundering herd when a hot cache entry
// expires, and bursts that rate limiters and load shedding must absorb.
//
// The servers are package service's: workers, a queue and a service time, so
// queueing, saturation and overload happen in the simulator as in life.
// Each scenario builds its variants side by side in one world (with and
// without a breaker, say), sends them the same kind of load, prints a table
// of the numbers to compare, and checks in Finish that the lesson showed.
//
// Importing the package registers the scenarios (scenarios.Register):
//
//	dsim run breaker-cascade --seed 3
package web
