package dsimcli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

// The live commands: the same nodes as the simulator's, one process each,
// over real TCP. The logic is in package network/tcp; these only parse
// flags and print.

func init() {
	register(&command{
		name:    "node",
		args:    "--cluster FILE --id ID --data DIR [--protocol NAME] [--secret-file FILE | --insecure] [--salvage]",
		summary: "run one cluster member over real TCP",
		help: `
Run member ID of the cluster described in FILE, as one process: the same
node the simulator runs, on real sockets, timers and files. Its durable
state lives in DIR; start it again with the same DIR after a crash (even
kill -9) and it recovers. Logs go to stderr (log/slog). SIGINT or SIGTERM
stops it cleanly.

The cluster file: {"cluster":"lab","members":[{"id":"n1","addr":"10.0.0.11:7001"},...]}
It may name the secret: "secret_file":"secret" (relative to the cluster file).

Every connection (peers, clients, tools) must prove it knows the cluster's
shared secret before anything it sends is decoded. Make one with
'dsim secret new > FILE' and copy it to every node. Without a secret the
node refuses to start unless --insecure is given, which it logs loudly and
'dsim status' shows.

The data directory: a write-ahead log (disk.wal) and a checkpoint
(disk.ckpt), fsynced. After a crash, a torn final record (a write the crash
cut short, never acknowledged) is dropped with a log line. Any other damage
(a bad record with whole ones after it, a bad checkpoint) stops the node with
exit 1 and a message naming the file and the byte: it would otherwise forget
writes it acknowledged. --salvage opens it anyway: the damaged file is kept
as FILE.damaged-TIME, the log is cut at the damage, and the node neither
votes nor campaigns until a leader has brought it up to date.

The data directory is locked (DIR/lock, holding the pid) before anything in
it is opened: a second node on the same directory exits 2 naming the first.

Exit status: 0 after a clean stop, 2 for a usage error, a bad cluster file,
no secret without --insecure, or a data directory in use; 1 if the node
could not start (address in use, damaged or unreadable data).`,
		flags: nodeFlags,
	})
	register(&command{
		name:    "cluster",
		args:    "local [--n N] [--protocol NAME] [--dir DIR] [--base-port PORT] [--restart ID,...]",
		summary: "start N nodes on loopback, one process each",
		help: `
Start N 'dsim node' processes on 127.0.0.1, write their cluster.json into
DIR (a fresh temporary directory by default) with their data and logs, print
how to talk to them, and stop them all on Ctrl-C. Run it again with the same
--dir to restart the cluster on its data.

Unless --secret-file is given, a fresh random secret is written to
DIR/secret (mode 0600) and named in DIR/cluster.json, so 'dsim kv',
'dsim status' and 'dsim fault' with --cluster DIR/cluster.json need no
other flag.

It watches its nodes. One that fails to start (its port is taken, say)
stops the others and makes the command exit 1, printing that node's last
log lines. One that dies later (kill -9, a crash) is reported at once, with
the command that restarts it on its data:

    dsim cluster local --dir DIR --restart n2

which starts just n2 (or several: --restart n2,n3) of the cluster in DIR,
in the foreground, while the rest keep running.

Exit status: 0 after Ctrl-C, 1 if a node failed to start, 2 for a usage
error (a bad flag, a port out of range, a bad cluster.json in DIR).`,
		flags: clusterFlags,
	})
	register(&command{
		name:    "kv",
		args:    "--cluster FILE (put KEY VALUE | append KEY VALUE | get KEY)",
		summary: "talk to a live key/value cluster (raft-kv, multipaxos-kv, quorum-kv)",
		help: `
Send one operation to a live key/value cluster, whichever store its cluster
file names. On raft-kv and multipaxos-kv the client finds the leader by
following the servers' hints and retries (with the same sequence number, so
a retried put applies once). On quorum-kv any node coordinates: a put reads
the key's vector-clock context first and writes a version built on it; a get
that finds concurrent versions prints them all, separated by " | ". A put or
append prints OK; a get prints the value (empty for a missing key). With
--value-file FILE, put and append take the value from FILE and only KEY on
the command line.

An operation too large for one request (about 12 MB) is refused at once:
it was not sent, so it was not applied.

Exit status: 0 when the cluster answered, 1 when it did not within
--timeout (the operation may or may not have been applied), 2 for a usage
error or an operation too large to send.`,
		flags: kvFlags,
	})
	register(&command{
		name:    "status",
		args:    "--cluster FILE [--json | --all]",
		summary: "show each live node's state (its Inspect())",
		help: `
Ask every member for its state: the node's Inspect() (role, term, leader,
commit index, ...), the transport's counters (tcp.*) and the faults in force.

Exit status: 0 when every member answered, 1 when some did not (they are
listed), 2 for a usage error.`,
		flags: statusFlags,
	})
	register(&command{
		name:    "fault",
		args:    "--cluster FILE (block A B | unblock A B | delay A B DURATION | drop SHARE | heal | show)",
		summary: "inject faults into a live cluster's transport",
		help: `
Change what every member's transport does to messages between members,
while the cluster runs:

    block n1 n2        cut the link between n1 and n2, both ways
    unblock n1 n2      restore it
    delay n1 n2 50ms   add 50ms to every message between them
    drop 0.1           lose 10% of all messages between members
    heal               remove every fault
    show               print the faults in force

Clients and these admin requests always get through.

Exit status: 0 when every member applied it, 1 when some did not answer,
2 for a usage error.`,
		flags: faultFlags,
	})
}

func nodeFlags(fs *flag.FlagSet) func(*cli, []string) int {
	clusterPath := fs.String("cluster", "", "the cluster `FILE` (JSON)")
	id := fs.String("id", "", "this node's `ID` in the cluster file")
	protocol := fs.String("protocol", "", "the protocol to run: "+strings.Join(livecatalog.Names(), ", ")+" (default: the cluster file's, else raft-kv)")
	data := fs.String("data", "", "the `DIR` for this node's durable state")
	secretFile := fs.String("secret-file", "", "a `FILE` holding the cluster's shared secret (default: the cluster file's \"secret_file\"); peers, clients and tools without it are refused")
	insecure := fs.Bool("insecure", false, "run without a secret: anyone who can reach the port can pose as a member (logged loudly, shown by dsim status)")
	listen := fs.String("listen", "", "listen on `ADDR` instead of the cluster file's address (such as :7001)")
	seed := seedFlag(fs, 0, "seed `N` for the node's random numbers (default: from crypto/rand)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	debug := fs.Bool("debug", false, "log connection details too")
	salvage := fs.Bool("salvage", false, "open a damaged data directory anyway: keep a copy of the damaged file (FILE.damaged-TIME), cut it at the damage, and have the node wait for a leader before it votes again")
	record := fs.String("record", "", "record every input and a digest of every output to `FILE` (appending a run per start), for dsim replay")
	return func(ctx *cli, args []string) int {
		if len(args) > 0 || *clusterPath == "" || *id == "" || *data == "" {
			fmt.Fprintln(ctx.stderr, "dsim node needs --cluster FILE, --id ID and --data DIR, and no arguments")
			return exitUsage
		}
		level := slog.LevelInfo
		if *debug {
			level = slog.LevelDebug
		}
		opts := &slog.HandlerOptions{Level: level}
		var h slog.Handler = slog.NewTextHandler(ctx.stderr, opts)
		if *logFormat == "json" {
			h = slog.NewJSONHandler(ctx.stderr, opts)
		} else if *logFormat != "text" {
			fmt.Fprintf(ctx.stderr, "dsim node: --log-format %q: want text or json\n", *logFormat)
			return exitUsage
		}
		proto, ok := nodeProtocol(ctx, *clusterPath, *protocol)
		if !ok {
			return exitUsage
		}
		if cluster, err := tcp.LoadCluster(*clusterPath); err == nil {
			if _, member := cluster.Member(sim.NodeID(*id)); !member {
				fmt.Fprintf(ctx.stderr, "dsim node: --id %s is not a member of cluster %q; its members are %v\n", *id, cluster.Name, cluster.IDs())
				return exitUsage
			}
		}
		wrap, closeRecord, err := recorder(*record, proto.Name, *seed)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim node: --record: %v\n", err)
			return exitUsage
		}
		defer closeRecord()
		sctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = tcp.RunNode(sctx, tcp.NodeOptions{
			ClusterFile: *clusterPath, ID: sim.NodeID(*id), Protocol: proto, DataDir: *data,
			SecretFile: *secretFile, ListenAddr: *listen, Seed: *seed, Logger: slog.New(h), Salvage: *salvage, Insecure: *insecure, Wrap: wrap,
		})
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim node: %v\n", err)
			if errors.Is(err, tcp.ErrClusterFile) || errors.Is(err, os.ErrNotExist) || errors.Is(err, tcp.ErrNoSecret) || errors.Is(err, tcp.ErrDataDirLocked) {
				return exitUsage
			}
			return exitFailed
		}
		return exitOK
	}
}

func clusterFlags(fs *flag.FlagSet) func(*cli, []string) int {
	n := fs.Int("n", 3, "how many nodes")
	protocol := fs.String("protocol", "raft-kv", "the protocol to run: "+strings.Join(livecatalog.Names(), ", "))
	var opts optList
	fs.Var(&opts, "opt", "set one of the protocol's options in cluster.json, as `KEY=VALUE` (repeatable), such as --opt w=2")
	dir := fs.String("dir", "", "keep cluster.json, data and logs in `DIR` (default: a fresh temporary directory)")
	basePort := fs.Int("base-port", 0, "listen on ports PORT, PORT+1, ... (default: free ports)")
	secretFile := fs.String("secret-file", "", "pass this secret `FILE` to every node (default: a fresh one in DIR/secret)")
	restart := fs.String("restart", "", "start only these members (`ID,...`) of the cluster in --dir, which was started before")
	record := fs.Bool("record", false, "have every node record its run to DIR/ID.record, for dsim replay")
	return func(ctx *cli, args []string) int {
		if len(args) != 1 || args[0] != "local" {
			fmt.Fprintln(ctx.stderr, "usage: dsim cluster local [--n N] [--protocol NAME] [--dir DIR] [--base-port PORT] [--restart ID,...]")
			return exitUsage
		}
		var only []sim.NodeID
		if *restart != "" {
			for _, id := range strings.Split(*restart, ",") {
				only = append(only, sim.NodeID(strings.TrimSpace(id)))
			}
		}
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		sctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		proto, err := livecatalog.Lookup(*protocol)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim cluster: --protocol: %v\n", err)
			return exitUsage
		}
		var options json.RawMessage
		if len(opts) > 0 {
			if options, err = livecatalog.ParseOptions(nil, opts); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim cluster: %v\n", err)
				return exitUsage
			}
		}
		lc, err := tcp.StartLocal(tcp.LocalOptions{N: *n, Protocol: proto, Options: options, Dir: *dir, Exe: exe, BasePort: *basePort,
			SecretFile: *secretFile, Only: only, Record: *record})
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim cluster: %v\n", err)
			if errors.Is(err, tcp.ErrBadOption) || errors.Is(err, tcp.ErrClusterFile) {
				return exitUsage
			}
			return exitFailed
		}
		fmt.Fprint(ctx.stdout, lc.Usage("dsim"))
		for {
			select {
			case <-sctx.Done():
				fmt.Fprintln(ctx.stdout, "\nstopping...")
				lc.Stop()
				fmt.Fprintf(ctx.stdout, "stopped; data kept in %s\n", lc.Dir)
				return exitOK
			case e := <-lc.Exits():
				fmt.Fprintf(ctx.stdout, "\n%s %s DIED (%s); its log (%s) ends:\n", time.Now().Format("15:04:05"), e.ID, e.Status, lc.LogFile(e.ID))
				for _, line := range e.LogTail {
					fmt.Fprintf(ctx.stdout, "    %s\n", line)
				}
				fmt.Fprintf(ctx.stdout, "restart it, in another terminal, with:\n    %s\n", e.Restart)
			}
		}
	}
}

// liveFlags are the flags every client command shares.
type liveFlags struct {
	cluster, secretFile *string
	timeout             *time.Duration
}

func addLiveFlags(fs *flag.FlagSet) liveFlags {
	return liveFlags{
		cluster:    fs.String("cluster", "", "the cluster `FILE` (JSON)"),
		secretFile: fs.String("secret-file", "", "a `FILE` holding the cluster's shared secret (default: the cluster file's \"secret_file\")"),
		timeout:    fs.Duration("timeout", 5*time.Second, "give up after this long"),
	}
}

// load reads the cluster file and secret, reporting problems as usage errors.
func (f liveFlags) load(ctx *cli, cmd string) (tcp.Cluster, []byte, bool) {
	if *f.cluster == "" {
		fmt.Fprintf(ctx.stderr, "dsim %s needs --cluster FILE\n", cmd)
		return tcp.Cluster{}, nil, false
	}
	cluster, err := tcp.LoadCluster(*f.cluster)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim %s: %v\n", cmd, err)
		return tcp.Cluster{}, nil, false
	}
	// A tool may talk to an --insecure cluster: no secret is no error here.
	secret, err := tcp.LoadSecret(cluster, *f.secretFile, true)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim %s: %v\n", cmd, err)
		return tcp.Cluster{}, nil, false
	}
	return cluster, secret, true
}

func kvFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	valueFile := fs.String("value-file", "", "take the value of put or append from `FILE`, and only KEY from the command line")
	return func(ctx *cli, args []string) int {
		if *valueFile != "" {
			if len(args) != 2 || (args[0] != "put" && args[0] != "append") {
				fmt.Fprintln(ctx.stderr, "dsim kv: with --value-file, give put KEY or append KEY: the value comes from the file")
				return exitUsage
			}
			b, err := os.ReadFile(*valueFile)
			if err != nil {
				fmt.Fprintf(ctx.stderr, "dsim kv: --value-file: %v\n", err)
				return exitUsage
			}
			args = append(args, string(b))
		}
		var op kv.Op
		switch {
		case len(args) == 3 && args[0] == "put":
			op = kv.Put(args[1], args[2])
		case len(args) == 3 && args[0] == "append":
			op = kv.Append(args[1], args[2])
		case len(args) == 2 && args[0] == "get":
			op = kv.Get(args[1])
		default:
			fmt.Fprintln(ctx.stderr, "usage: dsim kv --cluster FILE (put KEY VALUE | append KEY VALUE | get KEY), or --value-file FILE (put KEY | append KEY)")
			return exitUsage
		}
		cluster, secret, ok := lf.load(ctx, "kv")
		if !ok {
			return exitUsage
		}
		c, err := livecatalog.NewKV(cluster, secret)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim kv: %s: %v\n", *lf.cluster, err)
			return exitUsage
		}
		defer c.Close()
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		value, err := c.Do(dctx, op)
		switch {
		case errors.Is(err, livecatalog.ErrRequestTooLarge):
			fmt.Fprintf(ctx.stderr, "dsim kv: %s: %v; it was not applied: store a smaller value\n", opSummary(op), err)
			return exitUsage
		case errors.Is(err, livecatalog.ErrNotSupported):
			fmt.Fprintf(ctx.stderr, "dsim kv: %v\n", err)
			return exitUsage
		case err != nil:
			fmt.Fprintf(ctx.stderr, "dsim kv: %s: %v (the operation may or may not have been applied)\n", opSummary(op), err)
			return exitFailed
		case op.Kind == kv.KindGet:
			fmt.Fprintln(ctx.stdout, value)
			if n := livecatalog.Siblings(c); n > 1 {
				fmt.Fprintf(ctx.stderr, "(%d concurrent versions: the next put resolves them)\n", n)
			}
		default:
			fmt.Fprintln(ctx.stdout, "OK")
		}
		return exitOK
	}
}

// opSummary shows op as it is, but a long value only by its size.
func opSummary(op kv.Op) string {
	if len(op.Value) <= 64 {
		return op.String()
	}
	short := op
	short.Value = ""
	return fmt.Sprintf("%s (and a %d-byte value)", strings.TrimSuffix(short.String(), ` ""`), len(op.Value))
}

func statusFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON: {\"n1\":{\"role\":\"Leader\",...},...}; an unreachable node has \"error\"")
	all := fs.Bool("all", false, "print every key of each node, not just the summary")
	return func(ctx *cli, args []string) int {
		if len(args) > 0 {
			fmt.Fprintln(ctx.stderr, "dsim status takes no arguments")
			return exitUsage
		}
		cluster, secret, ok := lf.load(ctx, "status")
		if !ok {
			return exitUsage
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		replies, errs := tcp.StatusAll(dctx, cluster, secret)
		if *asJSON {
			out := map[sim.NodeID]map[string]string{}
			for id, rep := range replies {
				rep.Inspect["faults"] = rep.Faults
				out[id] = rep.Inspect
			}
			for id, err := range errs {
				out[id] = map[string]string{"error": err.Error()}
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintln(ctx.stdout, string(b))
		} else if p, _ := livecatalog.ProtocolOf(cluster); p.Name == "raft-kv" || p.Name == "multipaxos-kv" {
			printStatus(ctx, cluster, replies, errs, *all)
		} else {
			printFamilyStatus(ctx, cluster, replies, errs, *all)
		}
		if len(errs) > 0 {
			return exitFailed
		}
		return exitOK
	}
}

func printStatus(ctx *cli, cluster tcp.Cluster, replies map[sim.NodeID]tcp.StatusReply, errs map[sim.NodeID]error, all bool) {
	// Multi-Paxos has ballots and decided slots where Raft has terms and a
	// commit index: the same columns, under their own names.
	term, commit := "TERM", "COMMIT"
	termKey, commitKey := "term", "commit"
	if p, _ := livecatalog.ProtocolOf(cluster); p.Name == "multipaxos-kv" {
		term, commit = "BALLOT", "DECIDED"
		termKey, commitKey = "promised", "decided"
	}
	tw := tabwriter.NewWriter(ctx.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "NODE\tROLE\t%s\tLEADER\t%s\tAPPLIED\tSENT\tRECV\tDROPPED\tREFUSED\tAUTH\tFAULTS\n", term, commit)
	for _, id := range cluster.IDs() {
		if _, bad := errs[id]; bad {
			continue
		}
		in := replies[id].Inspect
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", id, in["role"], in[termKey], in["leader"], in[commitKey],
			in["rsm.applied"], in["tcp.sent"], in["tcp.received"], dropped(in), refused(in), auth(in), replies[id].Faults)
	}
	tw.Flush()
	printUnreachable(ctx, cluster, errs)
	if all {
		printAllKeys(ctx, cluster, replies)
	}
}

func dropped(in map[string]string) int {
	return atoi(in["tcp.dropped.queue"]) + atoi(in["tcp.dropped.fault"])
}

func refused(in map[string]string) int {
	return atoi(in["tcp.handshakes.refused"]) + atoi(in["tcp.frames.bad"]) + atoi(in["tcp.frames.oversized"]) + atoi(in["tcp.frames.unknown"])
}

// auth is how a node admits connections: "secret", or "INSECURE" when it
// runs without one.
func auth(in map[string]string) string {
	if in["tcp.insecure"] != "false" {
		return "INSECURE"
	}
	return "secret"
}

// printUnreachable lists the members that did not answer, below the table
// (a row without the table's cells would break its columns).
func printUnreachable(ctx *cli, cluster tcp.Cluster, errs map[sim.NodeID]error) {
	for _, id := range cluster.IDs() {
		if err, bad := errs[id]; bad {
			fmt.Fprintf(ctx.stdout, "%s unreachable: %v\n", id, err)
		}
	}
}

// printAllKeys is --all: every key each node reported, sorted.
func printAllKeys(ctx *cli, cluster tcp.Cluster, replies map[sim.NodeID]tcp.StatusReply) {
	for _, id := range cluster.IDs() {
		rep, ok := replies[id]
		if !ok {
			continue
		}
		fmt.Fprintf(ctx.stdout, "\n%s:\n", id)
		keys := make([]string, 0, len(rep.Inspect))
		for k := range rep.Inspect {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(ctx.stdout, "  %-22s %s\n", k, rep.Inspect[k])
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func faultFlags(fs *flag.FlagSet) func(*cli, []string) int {
	lf := addLiveFlags(fs)
	return func(ctx *cli, args []string) int {
		req, err := parseFault(args)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim fault: %v\nusage: dsim fault --cluster FILE (block A B | unblock A B | delay A B DURATION | drop SHARE | heal | show)\n", err)
			return exitUsage
		}
		cluster, secret, ok := lf.load(ctx, "fault")
		if !ok {
			return exitUsage
		}
		for _, id := range []sim.NodeID{req.A, req.B} {
			if _, member := cluster.Member(id); id != "" && !member {
				fmt.Fprintf(ctx.stderr, "dsim fault: %q is not a member (members: %v)\n", id, cluster.IDs())
				return exitUsage
			}
		}
		dctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
		defer cancel()
		replies, errs := tcp.FaultAll(dctx, cluster, secret, req)
		for _, id := range cluster.IDs() {
			if err, bad := errs[id]; bad {
				fmt.Fprintf(ctx.stdout, "%-4s NOT APPLIED: %v\n", id, err)
				continue
			}
			fmt.Fprintf(ctx.stdout, "%-4s faults now: %s\n", id, replies[id].Faults)
		}
		if len(errs) > 0 {
			return exitFailed
		}
		return exitOK
	}
}

func parseFault(args []string) (tcp.FaultRequest, error) {
	if len(args) == 0 {
		return tcp.FaultRequest{}, errors.New("which fault?")
	}
	switch verb := args[0]; {
	case (verb == "block" || verb == "unblock") && len(args) == 3:
		if args[1] == args[2] {
			return tcp.FaultRequest{}, fmt.Errorf("%s %s %s: a link joins two different nodes", verb, args[1], args[2])
		}
		return tcp.FaultRequest{Action: verb, A: sim.NodeID(args[1]), B: sim.NodeID(args[2])}, nil
	case verb == "delay" && len(args) == 4:
		d, err := time.ParseDuration(args[3])
		switch {
		case err != nil:
			return tcp.FaultRequest{}, fmt.Errorf("delay %q: %v (write units: 200ms, 1s)", args[3], err)
		case d < 0:
			return tcp.FaultRequest{}, fmt.Errorf("delay %s: a delay cannot be negative", args[3])
		case args[1] == args[2]:
			return tcp.FaultRequest{}, fmt.Errorf("delay %s %s: a link joins two different nodes", args[1], args[2])
		}
		return tcp.FaultRequest{Action: "delay", A: sim.NodeID(args[1]), B: sim.NodeID(args[2]), Delay: d}, nil
	case verb == "drop" && len(args) == 2:
		p, err := strconv.ParseFloat(args[1], 64)
		if err != nil || p < 0 || p > 1 {
			return tcp.FaultRequest{}, fmt.Errorf("drop %q: want a share between 0 and 1", args[1])
		}
		return tcp.FaultRequest{Action: "drop", Drop: p}, nil
	case verb == "heal" && len(args) == 1:
		return tcp.FaultRequest{Action: "heal"}, nil
	case verb == "show" && len(args) == 1:
		return tcp.FaultRequest{}, nil
	}
	if want, known := faultForms[args[0]]; known {
		return tcp.FaultRequest{}, fmt.Errorf("cannot read %q: write %s", strings.Join(args, " "), want)
	}
	return tcp.FaultRequest{}, fmt.Errorf("unknown fault %q", args[0])
}

// faultForms is how each fault is written.
var faultForms = map[string]string{
	"block": "block A B (two members)", "unblock": "unblock A B (two members)",
	"delay": "delay A B DURATION", "drop": "drop SHARE (from 0 to 1)", "heal": "heal, alone", "show": "show, alone",
}

// nodeProtocol picks the protocol `dsim node` runs: --protocol, else the
// cluster file's, else raft-kv. Problems are usage errors, reported here.
func nodeProtocol(ctx *cli, clusterPath, flagName string) (tcp.Protocol, bool) {
	name := flagName
	if name == "" {
		cluster, err := tcp.LoadCluster(clusterPath)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim node: %v\n", err)
			return tcp.Protocol{}, false
		}
		if name = cluster.Protocol; name == "" {
			name = "raft-kv"
		}
	}
	proto, err := livecatalog.Lookup(name)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim node: --protocol: %v\n", err)
		return tcp.Protocol{}, false
	}
	return proto, true
}

// optList is a repeatable --opt KEY=VALUE flag.
type optList []string

func (o *optList) String() string     { return strings.Join(*o, ",") }
func (o *optList) Set(v string) error { *o = append(*o, v); return nil }
