package dsimcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/twopc"
)

// The client commands of the live families other than the key/value
// stores: each sends one request to a member of a running cluster
// (`dsim cluster local --protocol NAME`, or your Pis) and prints the answer.

func init() {
	register(&command{
		name:    "paxos",
		args:    "--cluster FILE propose VALUE [--node ID]",
		summary: "propose a value to a live single-decree Paxos cluster",
		help: `
Ask a member of a live paxos cluster to get VALUE chosen, and print the value
the cluster chose: run it from two terminals at once with different values,
and both print the same one. The member is --node, or one picked at random;
if it does not answer, the next is tried.

Exit status: 0 with the chosen value, 1 when no member answered within
--timeout, 2 for a usage error.`,
		flags: paxosFlags,
	})
	register(&command{
		name:    "txn",
		args:    "--cluster FILE put KEY=VALUE [KEY=VALUE...]",
		summary: "run a two-phase commit transaction on a live 2pc cluster",
		help: `
Ask the coordinator of a live 2pc cluster to write every KEY=VALUE, all or
nothing. Each key lives on one participant (chosen by a hash of the key,
the same for every client; write NODE:KEY=VALUE to choose), and a
transaction writes at most one key per participant. Prints committed, or
aborted and why (a key locked by a transaction still in doubt, a vote that
did not come in time).

The blocking problem, live: delay the coordinator's link to one participant
(dsim fault delay n1 n3 5s), start a transaction, and kill -9 the
coordinator while the other participant has voted yes: dsim status shows
that participant blocked, holding its lock, until the coordinator returns.

Exit status: 0 when committed, 1 when aborted or no answer came within
--timeout, 2 for a usage error.`,
		flags: txnFlags,
	})
	register(&command{
		name:    "get",
		args:    "--cluster FILE PATH [--edge ID]",
		summary: "fetch PATH through the nearest edge of a live cdn cluster",
		help: `
Fetch PATH from a live cdn cluster through its nearest edge (the first to
answer a connection; --edge picks one) and print the content, whether the
edge had it (HIT) or fetched it from the origin (MISS), how full the edge's
LRU is, and how long it took. An edge that is down does not answer, so the
next nearest serves: the CDN routes around it.

Exit status: 0 with the content, 1 when no edge answered or the origin did
not (a miss while the origin is down), 2 for a usage error.`,
		flags: getFlags,
	})
	register(&command{
		name:    "call",
		args:    "--cluster FILE [KEY] [--node ID] [--count N]",
		summary: "call a live breaker-service frontend; see its circuit breaker",
		help: `
Send a request to a frontend of a live breaker-service cluster (--node, or
the first frontend). The frontend calls its dependency through a circuit
breaker and a bulkhead; dsim call prints the outcome, how long it took, the
breaker's state after the call and its latest transitions. Fault the
dependency (dsim fault block n1 n3, or delay n1 n3 500ms) and call again:
timeouts, then the breaker opens and calls fail fast; heal, wait open_for,
and a half-open probe closes it. --count N makes N calls, one after another.

Exit status: 0 when every call succeeded, 1 when one failed or no frontend
answered, 2 for a usage error.`,
		flags: callFlags,
	})
	register(&command{
		name:    "broadcast",
		args:    "--cluster FILE VALUE [--node ID]",
		summary: "broadcast a value to every node of a live gossip cluster",
		help: `
Ask a member of a live broadcast cluster (--node, or one at random; the next
if it does not answer) to broadcast VALUE, and print the stamps of the
broadcast: its Lamport time and vector clock. Gossip (flooding, then
anti-entropy) brings it to every node, even one that was down; dsim status
--all shows every node's values with their stamps.

Exit status: 0 when a member took the value, 1 when none answered within
--timeout, 2 for a usage error.`,
		flags: broadcastFlags,
	})
}

// familyClient opens a Caller on cluster for the protocol it runs, which
// must be want.
func familyClient(ctx *cli, lf liveFlags, cmd, want string) (*livecatalog.Caller, tcp.Cluster, bool) {
	cluster, secret, ok := lf.load(ctx, cmd)
	if !ok {
		return nil, tcp.Cluster{}, false
	}
	proto, err := livecatalog.ProtocolOf(cluster)
	if err == nil && proto.Name != want {
		err = fmt.Errorf("the cluster runs %s; dsim %s talks to %s", proto.Name, cmd, want)
	}
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim %s: %s: %v\n", cmd, *lf.cluster, err)
		return nil, tcp.Cluster{}, false
	}
	reg, err := proto.NewRegistry()
	if err != nil {
		panic(err) // the catalog's own test builds every registry
	}
	return livecatalog.NewCaller(cluster, reg, secret), cluster, true
}

// memberOrder is the order to try members in: first (if set) or a random
// one, then the rest in turn.
func memberOrder(cluster tcp.Cluster, first string) ([]sim.NodeID, error) {
	ids := cluster.IDs()
	start := rand.IntN(len(ids))
	if first != "" {
		if start = slices.Index(ids, sim.NodeID(first)); start < 0 {
			return nil, fmt.Errorf("--node %q is not a member (members: %v)", first, ids)
		}
	}
	return slices.Concat(ids[start:], ids[:start]), nil
}

func paxosFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	node := fs.String("node", "", "ask member `ID` first (default: one at random)")
	return func(ctx *cli, args []string) int {
		if len(args) != 2 || args[0] != "propose" {
			fmt.Fprintln(ctx.stderr, "usage: dsim paxos --cluster FILE propose VALUE [--node ID]")
			return exitUsage
		}
		c, cluster, ok := familyClient(ctx, lf, "paxos", "paxos")
		if !ok {
			return exitUsage
		}
		defer c.Close()
		order, err := memberOrder(cluster, *node)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim paxos: %v\n", err)
			return exitUsage
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		req := livecatalog.ProposeRequest{ClientID: string(c.ID()), Seq: c.NextSeq(), Value: args[1]}
		var errs []error
		for i := 0; dctx.Err() == nil; i++ {
			to := order[i%len(order)]
			tctx, tcancel := context.WithTimeout(dctx, *lf.timeout/2)
			rep, err := c.Call(tctx, to, req, func(m sim.Message) bool {
				r, ok := m.(livecatalog.ProposeReply)
				return ok && r.Seq == req.Seq
			})
			tcancel()
			if err == nil {
				r := rep.(livecatalog.ProposeReply)
				fmt.Fprintf(ctx.stdout, "chosen: %s (learned by %s)\n", r.Chosen, r.Learner)
				return exitOK
			}
			errs = append(errs, err)
		}
		fmt.Fprintf(ctx.stderr, "dsim paxos: no value learned within %v: %v\n", *lf.timeout, errors.Join(errs...))
		return exitFailed
	}
}

func txnFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	return func(ctx *cli, args []string) int {
		if len(args) < 2 || args[0] != "put" {
			fmt.Fprintln(ctx.stderr, "usage: dsim txn --cluster FILE put KEY=VALUE [KEY=VALUE...]")
			return exitUsage
		}
		c, cluster, ok := familyClient(ctx, lf, "txn", "2pc")
		if !ok {
			return exitUsage
		}
		defer c.Close()
		coord, err := livecatalog.TwoPCCoordinator(cluster)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim txn: %s: %v\n", *lf.cluster, err)
			return exitUsage
		}
		participants, _ := livecatalog.TwoPCParticipants(cluster)
		begin := twopc.Begin{Txn: fmt.Sprintf("%s-%d", c.ID(), c.NextSeq())}
		for _, a := range args[1:] {
			w, err := parseWrite(a, participants)
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim txn: %v\n", err)
				return exitUsage
			}
			for _, o := range begin.Writes {
				if o.Participant == w.Participant {
					fmt.Fprintf(ctx.stderr, "dsim txn: %s and %s both live on %s; a transaction writes one key per participant (choose with NODE:KEY=VALUE)\n", o.Key, w.Key, w.Participant)
					return exitUsage
				}
			}
			begin.Writes = append(begin.Writes, w)
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		rep, err := c.Call(dctx, coord, begin, func(m sim.Message) bool {
			o, ok := m.(twopc.Outcome)
			return ok && o.Txn == begin.Txn
		})
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim txn: %s: no outcome from the coordinator %s: %v (participants that voted yes wait for it, holding their locks: see dsim status)\n", begin.Txn, coord, err)
			return exitFailed
		}
		o := rep.(twopc.Outcome)
		var where []string
		for _, w := range begin.Writes {
			where = append(where, fmt.Sprintf("%s=%s on %s", w.Key, w.Value, w.Participant))
		}
		if o.Decision != twopc.Committed {
			fmt.Fprintf(ctx.stdout, "%s: %s (%s): %s\n", o.Txn, o.Decision, strings.Join(where, ", "), o.Reason)
			return exitFailed
		}
		fmt.Fprintf(ctx.stdout, "%s: %s (%s)\n", o.Txn, o.Decision, strings.Join(where, ", "))
		return exitOK
	}
}

// parseWrite reads KEY=VALUE or NODE:KEY=VALUE.
func parseWrite(a string, participants []sim.NodeID) (twopc.Write, error) {
	kv, val, ok := strings.Cut(a, "=")
	if !ok || kv == "" {
		return twopc.Write{}, fmt.Errorf("%q: want KEY=VALUE or NODE:KEY=VALUE", a)
	}
	node, key, explicit := strings.Cut(kv, ":")
	if !explicit {
		return twopc.Write{Participant: livecatalog.KeyOwner(participants, kv), Key: kv, Value: val}, nil
	}
	if !slices.Contains(participants, sim.NodeID(node)) {
		return twopc.Write{}, fmt.Errorf("%q: %s is not a participant (participants: %v)", a, node, participants)
	}
	return twopc.Write{Participant: sim.NodeID(node), Key: key, Value: val}, nil
}

// printFamilyStatus is dsim status for the families without a leader and
// a log: each node's role, then its own keys as key=value, then the
// transport's counters; with all, every key of each node too.
func printFamilyStatus(ctx *cli, cluster tcp.Cluster, replies map[sim.NodeID]tcp.StatusReply, errs map[sim.NodeID]error, all bool) {
	tw := tabwriter.NewWriter(ctx.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tSTATE\tSENT\tRECV\tDROPPED\tREFUSED\tAUTH\tFAULTS")
	for _, id := range cluster.IDs() {
		if _, bad := errs[id]; bad {
			continue
		}
		in := replies[id].Inspect
		var state []string
		for _, k := range slices.Sorted(maps.Keys(in)) {
			if k != "role" && !strings.HasPrefix(k, "tcp.") {
				state = append(state, k+"="+in[k])
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", id, in["role"], strings.Join(state, " "), in["tcp.sent"], in["tcp.received"], dropped(in), refused(in), auth(in), replies[id].Faults)
	}
	tw.Flush()
	printUnreachable(ctx, cluster, errs)
	if all {
		printAllKeys(ctx, cluster, replies)
	}
}

func getFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	edge := fs.String("edge", "", "fetch through edge `ID` (default: the nearest)")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, "usage: dsim get --cluster FILE PATH [--edge ID]")
			return exitUsage
		}
		c, cluster, ok := familyClient(ctx, lf, "get", "cdn")
		if !ok {
			return exitUsage
		}
		defer c.Close()
		edges, err := livecatalog.CDNEdges(cluster)
		if err == nil && *edge != "" && !slices.Contains(edges, sim.NodeID(*edge)) {
			err = fmt.Errorf("--edge %q is not an edge (edges: %v)", *edge, edges)
		}
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim get: %v\n", err)
			return exitUsage
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		start := time.Now()
		var errs []error
		for dctx.Err() == nil {
			to := sim.NodeID(*edge)
			if to == "" {
				proto, _ := livecatalog.ProtocolOf(cluster)
				reg, _ := proto.NewRegistry()
				var err error
				if to, _, err = livecatalog.Nearest(dctx, cluster, edges, reg, c.Secret()); err != nil {
					errs = append(errs, err)
					break
				}
			}
			req := livecatalog.FetchRequest{ClientID: string(c.ID()), Seq: c.NextSeq(), Path: args[0]}
			rep, err := c.Call(dctx, to, req, func(m sim.Message) bool {
				r, ok := m.(livecatalog.FetchReply)
				return ok && r.Seq == req.Seq
			})
			if err != nil {
				errs = append(errs, err)
				if *edge != "" {
					break
				}
				edges = slices.DeleteFunc(edges, func(id sim.NodeID) bool { return id == to }) // route around it
				if len(edges) == 0 {
					break
				}
				continue
			}
			r := rep.(livecatalog.FetchReply)
			how := "MISS (fetched from the origin)"
			if r.Hit {
				how = "HIT"
			}
			if r.Outcome != "ok" {
				fmt.Fprintf(ctx.stdout, "%s via %s: %s, and the origin did not answer: %s\n", r.Path, r.Edge, how, r.Outcome)
				return exitFailed
			}
			fmt.Fprintf(ctx.stdout, "%s\n%s via %s: %s; edge holds %d/%d entries; %v\n", r.Value, r.Path, r.Edge, how, r.Entries, r.Capacity, time.Since(start).Round(100*time.Microsecond))
			return exitOK
		}
		fmt.Fprintf(ctx.stderr, "dsim get: no edge answered within %v: %v\n", *lf.timeout, errors.Join(errs...))
		return exitFailed
	}
}

func callFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	node := fs.String("node", "", "call frontend `ID` (default: the first)")
	count := fs.Int("count", 1, "make `N` calls, one after another")
	return func(ctx *cli, args []string) int {
		if *count < 1 {
			fmt.Fprintf(ctx.stderr, "dsim call: --count %d: make at least one call\n", *count)
			return exitUsage
		}
		if len(args) > 1 {
			fmt.Fprintln(ctx.stderr, "usage: dsim call --cluster FILE [KEY] [--node ID] [--count N]")
			return exitUsage
		}
		key := "/"
		if len(args) == 1 {
			key = args[0]
		}
		c, cluster, ok := familyClient(ctx, lf, "call", "breaker-service")
		if !ok {
			return exitUsage
		}
		defer c.Close()
		frontends, err := livecatalog.BreakerFrontends(cluster)
		to := frontends[0]
		if *node != "" {
			to = sim.NodeID(*node)
			if !slices.Contains(frontends, to) {
				err = fmt.Errorf("--node %q is not a frontend (frontends: %v)", *node, frontends)
			}
		}
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim call: %v\n", err)
			return exitUsage
		}
		status := exitOK
		for range *count {
			dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
			start := time.Now()
			req := livecatalog.CallRequest{ClientID: string(c.ID()), Seq: c.NextSeq(), Key: key}
			rep, err := c.Call(dctx, to, req, func(m sim.Message) bool {
				r, ok := m.(livecatalog.CallReply)
				return ok && r.Seq == req.Seq
			})
			cancel()
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim call: no answer from %s: %v\n", to, err)
				return exitFailed
			}
			r := rep.(livecatalog.CallReply)
			took := time.Since(start).Round(100 * time.Microsecond)
			fmt.Fprintf(ctx.stdout, "%s %-6s in %-8v breaker %-9s bulkhead %d/%d  dependency calls: %d ok, %d timed out, %d failed fast  [%s]\n",
				r.Node, r.Outcome, took, r.Breaker, r.BulkheadInFlight, r.BulkheadLimit, r.DepOK, r.DepTimeouts, r.DepFastFail, strings.Join(r.History, ", "))
			if r.Outcome != "ok" {
				status = exitFailed
			}
		}
		return status
	}
}

func broadcastFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	node := fs.String("node", "", "ask member `ID` (default: one at random)")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 {
			fmt.Fprintln(ctx.stderr, "usage: dsim broadcast --cluster FILE VALUE [--node ID]")
			return exitUsage
		}
		c, cluster, ok := familyClient(ctx, lf, "broadcast", "broadcast")
		if !ok {
			return exitUsage
		}
		defer c.Close()
		order, err := memberOrder(cluster, *node)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim broadcast: %v\n", err)
			return exitUsage
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		req := livecatalog.BroadcastRequest{ClientID: string(c.ID()), Seq: c.NextSeq(), Value: args[0]}
		var errs []error
		for _, to := range order {
			rep, err := c.Call(dctx, to, req, func(m sim.Message) bool {
				r, ok := m.(livecatalog.BroadcastReply)
				return ok && r.Seq == req.Seq
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r := rep.(livecatalog.BroadcastReply)
			fmt.Fprintf(ctx.stdout, "%s: broadcast by %s at Lamport %d, vector %v (asked %s)\n", r.Entry.Value, r.Entry.Origin, r.Entry.Lamport, r.Entry.Vector, r.Node)
			return exitOK
		}
		fmt.Fprintf(ctx.stderr, "dsim broadcast: no member took %q: %v\n", args[0], errors.Join(errs...))
		return exitFailed
	}
}
