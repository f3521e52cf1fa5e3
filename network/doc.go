// Package network is the simulated network of dsim: what happens to every
// message between two nodes, what each node's clock says, and a nemesis
// that breaks things on a schedule.
//
// A Model plugs into the simulator as its link model:
//
//	m := network.MustNew(network.Config{
//		Link: network.LinkConfig{Latency: network.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}},
//	})
//	w := sim.NewWorld(sim.Config{Seed: 7, Network: m})
//
// The zero Config is a perfect network: every message arrives, in order,
// exactly one millisecond after it was sent. Real networks are not perfect,
// and distributed protocols exist because of that. Each fault below is
// something that happens to real systems; turn it on and watch what your
// protocol does.
//
// # Latency
//
// A message takes time to arrive, and not always the same time. Constant is
// the idealised link. Uniform and Normal model jitter around a typical
// delay: queues in switches filling and draining. Exponential is a fast
// path with occasional waiting. Pareto is the long tail every operator
// knows: most requests take a millisecond, but one in a hundred takes
// twenty, because a packet was retransmitted, a switch buffer was full, or
// the other side paused for garbage collection. Timeouts tuned to the
// median fire on the tail; this is where spurious Raft elections come from.
//
// Latency samples never use math.Log or math.Exp: those can differ in the
// last bit between amd64 and arm64, and a run must give the same trace on a
// laptop and on a Raspberry Pi. The distributions are tables of integer
// quantiles, sampled and scaled in integer arithmetic (see latency.go).
//
// # Loss, duplication, reordering, bandwidth
//
// Loss is a dropped packet: a full queue, a flaky cable, a Wi-Fi hiccup.
// Over UDP your protocol sees it directly; over TCP it sees a long delay
// (a retransmission) or a broken connection. Duplication happens when a
// sender retries a message that did arrive but whose acknowledgement was
// lost; idempotent handlers are the cure. Reordering happens when packets
// take different paths. Links are FIFO by default, because dsim's live
// runtime speaks TCP, which never reorders within a connection: on a FIFO
// link no message arrives before one sent earlier on the same directed
// link. Turn Reorder on to test a protocol that must not rely on order
// (Raft and Paxos must not). Bandwidth makes a burst of messages queue
// behind each other, as on a thin uplink; a message's size comes from a
// Size() int method if it has one, or Config.MessageSize.
//
// Each setting has a default for all links and may be overridden for one
// directed link (Model.SetLoss(network.Link{From: "n1", To: "n2"}, 0.3)).
// Setting it for AllLinks replaces the overrides of that setting.
//
// # Partitions, cuts and isolation
//
// A partition is the network splitting into islands that cannot talk to
// each other: a failed switch between racks, a misconfigured firewall, an
// availability zone losing its uplink. Model.Partition names the groups;
// nodes named in no group form one more group together, so naming a
// minority is enough to cut it off. A cut is one-way: n1's messages to n2
// are lost, n2's to n1 arrive. Asymmetric faults like this happen (a bad
// transceiver, a one-sided firewall rule) and confuse failure detectors,
// because n2 thinks n1 is dead while n1 thinks all is well. Isolate cuts
// one node off entirely, like pulling its cable. Heal undoes all three;
// Reset also restores loss, latency and slow nodes. DropNext loses exactly
// one message, the next sent on a link (or anywhere): the fault a debugger
// such as the TUI wants, to see what a protocol does without that message.
// Dropped messages carry their reason in the trace: "partition", "cut",
// "isolated", "loss" or "drop-next".
//
// # Slow nodes
//
// A gray failure is a node that is not dead, only slow: a failing disk, a
// noisy neighbour on the same host, a long GC pause, a CPU throttled by
// heat. It still answers, so naive failure detectors keep it, and it drags
// every quorum it is part of. Model.Slow adds delay to every message to and
// from the node.
//
// # Clocks
//
// No two computers agree on the time. Model.Skew sets a node's clock off by
// a fixed amount (a clock set by hand, an NTP step); Model.Drift makes it
// run fast or slow by so many parts per million (a cheap quartz crystal
// drifts by tens of ppm; a virtual machine after a pause, far more). Drift
// also changes when a node's timers fire in true time: a clock running
// fast fires its timeouts early. Protocols that use the clock for safety,
// such as leader leases, break here; env.Now is the node's own clock, never
// the true time.
//
// # The nemesis
//
// A Schedule is a list of timed fault events, written as text, one event
// per line:
//
//	# dsim fault schedule
//	1s partition n1 n2 | n3 n4 n5
//	1.5s cut n1 -> n2
//	3s heal
//	3s loss 0.1
//	4s crash n2
//	5s restart n2
//	6s skew n1 +50ms
//	6s drift n1 +200ppm
//	7s slow n4 20ms
//	8s duplicate 0.05
//
// ParseSchedule reads it (see there for the grammar), Schedule.String
// prints it, Play runs it in a world. RandomSchedule draws one from a seed,
// ending with everything healed and every node restarted, so a test can
// check that a protocol recovers. Every change a Model makes, whoever asked
// for it, is written into the world's trace as a fault record, so the trace
// tells why messages stopped or started arriving.
package network
