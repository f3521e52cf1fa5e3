// Package viz draws what a dsim run did: space-time diagrams of its trace,
// and plots of the numbers runs produce.
//
// # Reading a space-time diagram
//
// WriteSpaceTime draws a trace the way Lamport drew distributed
// computations in "Time, Clocks, and the Ordering of Events in a
// Distributed System" (1978), and the way ShiViz (https://bestchai.bitbucket.io/shiviz/)
// shows logs: each node is a vertical line and time flows down it. Nothing
// else in the picture is shared: a node knows only what happens on its own
// line and what arrives at it.
//
//   - A dot on a line is an event on that node: a send, a delivery, a timer
//     firing (a short tick across the line), a start (a small square).
//   - A blue arrow is a message, from the moment it was sent on the
//     sender's line to the moment it was delivered on the receiver's line,
//     labelled with its type (Ping, RequestVote, ...). Hover over it (the
//     SVG carries a title) to see the whole message and its latency. In the
//     default LayoutTime the slope is the latency: a steep arrow was slow.
//   - A red dashed arrow ending in a cross is a message that was lost: half
//     way across if the network dropped it (loss, a partition), at the
//     receiver's line if the receiver was crashed when it arrived.
//   - A red cross labelled "crash" marks a crash. The node's line is
//     dashed and grey until its restart (a green ring): nothing happens
//     there, and messages that arrive are lost.
//   - Shaded bands are fault windows (see FaultWindows), labelled with the
//     fault: a partition, a loss rate. Look for the red crosses inside them.
//
// # Happened-before, in the picture
//
// Event a happened before event b (Lamport's a -> b) when you can walk
// from a to b by going down node lines and along message arrows in their
// direction. If no such walk exists either way, a and b are concurrent:
// neither could have known of the other, whatever the clock said. Two
// nodes' timers firing at the same instant are concurrent; a Ping's
// delivery and the Pong sent in reply are not.
//
// With Stamps set, each event carries a timestamp computed from the
// trace's happened-before relation (LamportStamps, VectorStamps). Lamport
// stamps grow along every walk, so a -> b implies L(a) < L(b); the converse
// fails, because concurrent events get stamps too, in either order. Vector
// stamps capture the relation exactly: a -> b if and only if a's vector is
// at most b's in every entry and smaller in one (VectorBefore). Because
// many simulated events share an instant, stamps read best in
// LayoutSequence, which gives every event its own row in trace order.
//
// Long traces blur: SpaceTimeOptions narrows the time window, picks nodes,
// and caps the number of messages, and the diagram's notes say what was
// left out. ReadTrace loads a JSON Lines trace written by sim.JSONL, so a
// saved run draws exactly as the live one.
//
// # Plots
//
// The plot functions return a *plot.Plot (gonum.org/v1/plot); Save writes it
// as PNG or SVG by file extension, and Write to any io.Writer. Inputs are
// plain slices, so scenarios and the dsim command can feed them.
//
//   - LatencyHistogram: how long messages spend in the network (from
//     Deliveries). A second hump or a long tail is a slow link or retries.
//   - ElectionTimeHistogram: time to elect a leader over many seeds. Raft's
//     randomised timeouts make most elections quick; the tail is split votes.
//   - NodeTrafficChart and MessageTypeChart: who talks, and what they say.
//     A leader sends far more than followers; heartbeats dominate when idle.
//   - TimeSeriesChart: throughput (see Rate) or availability over time with
//     fault windows shaded, to see what a partition or crash costs and how
//     long recovery takes.
//   - HitRatioChart: a cache's hit ratio against its capacity; where the
//     curve flattens, more memory stops paying.
//   - BreakerChart: a circuit breaker's state over time: closed, tripping
//     open under failures, probing half-open, closing again.
//   - ScalingChart: throughput against servers next to the linear ideal;
//     the gap is what coordination costs.
//
// The same input gives the same bytes, for diagrams and plots alike, so
// tests can hold them as golden files. Diagrams are built by hand with
// fixed one-decimal coordinates and come out the same on amd64 and arm64.
// Plots are laid out by gonum in floating point: byte-stable on one
// architecture, and their SVG matched between amd64 and arm64 when we
// checked, but a rasterised PNG can differ there, so hold golden plots as
// SVG.
package viz
