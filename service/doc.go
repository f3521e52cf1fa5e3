// Package service simulates the servers of a web system closely enough that
// queueing, saturation and overload happen in the simulator as they do in
// life.
//
// # A server is workers and a queue
//
// A Server has a fixed number of workers (threads, processes, connections to
// a database: whatever limits how much it does at once) and a queue in front
// of them. Each request holds a worker for a service time drawn from a
// distribution (any value with Sample(*rand.Rand) time.Duration: the latency
// distributions of package network serve well), and then for as long as the
// calls it makes to its own dependencies take. A request that finds every
// worker busy waits in the queue; one that finds the queue full (MaxQueue) is
// rejected at once.
//
// That is all it takes for the textbook behaviour to appear on its own. Below
// its capacity (Workers divided by the mean service time) a server answers in
// about one service time. Near it, queues form and the tail latency climbs
// (Kingman's formula). Past it the queue grows without bound and every request
// waits longer than the last: the server is overloaded, and only shedding
// load (a bounded queue, a Shedder) keeps the answers coming for somebody.
// When a dependency slows down, the workers waiting on it are not free for
// anything else: that is how one slow service takes its callers down with it.
//
// # Calling a dependency
//
// A Caller is the client side of a call: it sends a Request, waits for the
// Response or a timeout, and can put the call through a circuit breaker,
// a bulkhead and retries with backoff and a retry budget (package
// resilience). A node cannot block, so Call takes a function to run with the
// outcome, and the node hands the Caller its messages (Caller.Receive).
//
// # Load
//
// A LoadGen is a client node that sends requests open loop (arrivals at a
// given rate, whatever the server does: Poisson arrivals are exponential
// gaps, network.Exponential) or closed loop (a fixed number of users, each
// sending its next request when the last one is answered). It records every
// request's latency in virtual time and its Outcome. Summarize turns those
// records into the numbers an operator watches: throughput, error rate, p50
// and p99 (Percentile, nearest rank on integer durations).
//
// Zipf draws keys whose popularity follows Zipf's law, the shape of real web
// traffic: a few objects are asked for all the time, most almost never.
//
// Everything here runs inside the simulator's single event loop: no
// goroutines, no clocks, randomness only from the rand.Rand the node's Env
// gives it.
package service
