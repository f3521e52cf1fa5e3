package dsimcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
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
