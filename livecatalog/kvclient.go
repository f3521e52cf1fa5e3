package livecatalog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
	"github.com/dsimlab/dsim/storage/quorum"
)

// KV is the client `dsim kv` uses, whichever key/value family the cluster
// runs: raft-kv and multipaxos-kv (a replicated state machine, through
// Client) or quorum-kv (Dynamo, through any node as coordinator).
type KV interface {
	// Do applies op and returns the value read (for a get) or "".
	Do(ctx context.Context, op kv.Op) (string, error)
	Close()
}

// ErrNotSupported is wrapped when a store cannot do an operation.
var ErrNotSupported = errors.New("not supported by this store")

// NewKV returns the client for the cluster's protocol.
func NewKV(cluster tcp.Cluster, secret []byte) (KV, error) {
	proto, err := ProtocolOf(cluster)
	if err != nil {
		return nil, err
	}
	reg, err := proto.NewRegistry()
	if err != nil {
		return nil, err
	}
	switch proto.Name {
	case "raft-kv", "multipaxos-kv":
		return rsmKV{NewClient(cluster, reg, secret)}, nil
	case "quorum-kv":
		return &quorumKV{caller: NewCaller(cluster, reg, secret), cluster: cluster}, nil
	}
	return nil, fmt.Errorf("the cluster runs %s, which is not a key/value store (dsim kv talks to raft-kv, multipaxos-kv and quorum-kv)", proto.Name)
}

type rsmKV struct{ c *Client }

func (k rsmKV) Close() { k.c.Close() }

func (k rsmKV) Do(ctx context.Context, op kv.Op) (string, error) {
	res, err := k.c.Do(ctx, op.Encode())
	if err != nil {
		return "", err
	}
	r, err := kv.DecodeResult(res)
	switch {
	case err != nil:
		return "", err
	case r.Err != "":
		return "", fmt.Errorf("the store refused %s: %s", op, r.Err)
	}
	return r.Value, nil
}

// quorumKV talks to a Dynamo store: any node coordinates any request. A
// put first reads the key's context (the merge of its versions' vector
// clocks) and writes a version built on it, so the write supersedes what
// it read; a get that finds concurrent siblings returns them all.
type quorumKV struct {
	caller  *Caller
	cluster tcp.Cluster
	// Siblings is set by the last get: more than one means concurrent
	// writes the next put will resolve.
	siblings int
}

func (k *quorumKV) Close() { k.caller.Close() }

func (k *quorumKV) Do(ctx context.Context, op kv.Op) (string, error) {
	switch op.Kind {
	case kv.KindGet:
		sibs, err := k.get(ctx, op.Key)
		if err != nil {
			return "", err
		}
		k.siblings = len(sibs)
		return strings.Join(sibs.Values(), " | "), nil
	case kv.KindPut:
		sibs, err := k.get(ctx, op.Key)
		if err != nil {
			return "", fmt.Errorf("reading %q's context before the put: %w", op.Key, err)
		}
		writer := string(k.caller.ID())
		req := quorum.PutRequest{Key: op.Key, Value: op.Value, Clock: quorum.NextClock(sibs.Context(), writer, 0), Writer: writer}
		_, err = k.ask(ctx, func(seq uint64) sim.Message { req.ReqID = seq; return req }, func(m sim.Message, seq uint64) (bool, quorum.Err) {
			r, ok := m.(quorum.PutReply)
			return ok && r.ReqID == seq, r.Err
		})
		return "", err
	}
	return "", fmt.Errorf("%s: %w (quorum-kv has get and put)", op.Kind, ErrNotSupported)
}

func (k *quorumKV) get(ctx context.Context, key string) (quorum.Siblings, error) {
	rep, err := k.ask(ctx, func(seq uint64) sim.Message { return quorum.GetRequest{ReqID: seq, Key: key} }, func(m sim.Message, seq uint64) (bool, quorum.Err) {
		r, ok := m.(quorum.GetReply)
		return ok && r.ReqID == seq, r.Err
	})
	if err != nil {
		return nil, err
	}
	return rep.(quorum.GetReply).Siblings, nil
}

// ask sends a request to a coordinator, a random member first, and tries
// the next on a failure or a "no quorum" until ctx is done.
func (k *quorumKV) ask(ctx context.Context, req func(seq uint64) sim.Message, reply func(sim.Message, uint64) (bool, quorum.Err)) (sim.Message, error) {
	ids := k.cluster.IDs()
	start := rand.IntN(len(ids))
	var last error
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			if last == nil {
				last = ctx.Err()
			}
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, last)
		}
		to := ids[(start+i)%len(ids)]
		seq := k.caller.NextSeq()
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		var qerr quorum.Err
		rep, err := k.caller.Call(tctx, to, req(seq), func(m sim.Message) bool {
			ok, e := reply(m, seq)
			qerr = e
			return ok
		})
		cancel()
		switch {
		case err != nil:
			last = err
		case qerr != quorum.OK:
			last = fmt.Errorf("%s: %s", to, qerr)
		default:
			return rep, nil
		}
	}
}

// Siblings reports how many concurrent versions the last get found (0
// for a client that is not quorum-kv's).
func Siblings(k KV) int {
	if q, ok := k.(*quorumKV); ok {
		return q.siblings
	}
	return 0
}
