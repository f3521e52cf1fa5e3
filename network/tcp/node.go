package tcp

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// NodeOptions are `dsim node`'s flags.
type NodeOptions struct {
	ClusterFile string
	ID          sim.NodeID
	Protocol    Protocol
	DataDir     string
	SecretFile  string // "": the cluster file's secret_file
	// Insecure runs without a secret, which must be asked for: anyone who
	// can reach the port can then pose as a member.
	Insecure   bool
	ListenAddr string // optional: listen here instead of the member's address
	Seed       uint64 // 0: from crypto/rand
	Logger     *slog.Logger
	// Salvage opens a damaged disk by cutting it at the damage, after
	// keeping a copy (see DiskOptions.Salvage).
	Salvage bool
	// Wrap, if set, wraps the node before it starts: `dsim node --record`
	// puts a recorder around it (package replay).
	Wrap func(node sim.Node, reg *Registry, cluster Cluster) sim.Node
}

// RunNode runs one member until ctx is done, then closes it cleanly. The
// node's durable state lives in DataDir; run it again with the same
// directory and it recovers, as after a crash.
func RunNode(ctx context.Context, o NodeOptions) error {
	cluster, err := LoadCluster(o.ClusterFile)
	if err != nil {
		return err
	}
	proto := o.Protocol
	if cluster.Protocol != "" && cluster.Protocol != proto.Name {
		return fmt.Errorf("%w: %s runs protocol %q, not %q", ErrClusterFile, o.ClusterFile, cluster.Protocol, proto.Name)
	}
	node, err := proto.New(NodeConfig{ID: o.ID, Cluster: cluster})
	if err != nil {
		return fmt.Errorf("%s: %w", o.ClusterFile, err)
	}
	reg, err := proto.NewRegistry()
	if err != nil {
		return err
	}
	secret, err := LoadSecret(cluster, o.SecretFile, o.Insecure)
	if err != nil {
		return err
	}
	if o.DataDir == "" {
		return errors.New("no data directory (--data DIR): the node's durable state lives there")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	unlock, err := LockDataDir(o.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	disk, err := OpenFileDiskWith(o.DataDir, DiskOptions{Salvage: o.Salvage, Logger: o.Logger.With("node", string(o.ID))})
	if err != nil {
		return err
	}
	defer disk.Close()
	if len(secret) == 0 {
		o.Logger.Warn("INSECURE: running without a cluster secret (--insecure). Any process that can reach this port can pose as a member, " +
			"forge Raft messages and change the data. Make a secret with 'dsim secret new > FILE' and start every node with --secret-file FILE")
	}
	if o.Wrap != nil {
		node = o.Wrap(node, reg, cluster)
	}
	rt, err := Start(Config{
		Cluster: cluster, ID: o.ID, Node: node, Registry: reg, ClientMessages: proto.ClientMessages,
		Disk: disk, Secret: secret, Seed: o.Seed, Logger: o.Logger, ListenAddr: o.ListenAddr,
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	rt.log.Info("stopping")
	return rt.Close()
}

// ReadSecretFile reads a shared secret: the file's bytes, surrounding
// white space removed. It must hold at least 16 bytes.
func ReadSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < 16 {
		return nil, fmt.Errorf("secret file %s: %d bytes; use at least 16 (make one with: dsim secret new > %s)", path, len(b), path)
	}
	return b, nil
}

// NewSecret returns a fresh shared secret: 32 bytes from crypto/rand, in
// base64, with a newline, ready for a file.
func NewSecret() []byte {
	var b [32]byte
	crand.Read(b[:])
	return []byte(base64.StdEncoding.EncodeToString(b[:]) + "\n")
}

// WriteSecretFile writes a fresh secret to path, readable by its owner
// only (mode 0600). It never overwrites a file.
func WriteSecretFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret file: %w", err)
	}
	_, err = f.Write(NewSecret())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrBadOption is wrapped by StartLocal's errors about its options.
var ErrBadOption = errors.New("bad option")

// LocalOptions are `dsim cluster local`'s flags.
type LocalOptions struct {
	N          int
	Protocol   Protocol
	Options    json.RawMessage // the protocol's options, written into cluster.json; nil keeps the file's
	Dir        string          // "" means a fresh temporary directory
	Exe        string          // the dsim binary to start (os.Args[0])
	BasePort   int             // 0 means free ports picked by the kernel
	SecretFile string
	Stdout     io.Writer
	// Only, if set, starts just these members of the cluster already in
	// Dir (`dsim cluster local --restart n2`), leaving the others alone.
	Only []sim.NodeID
	// StartTimeout bounds how long a node may take to start listening.
	// Default 10s.
	StartTimeout time.Duration
	// Record has each node record its run to DIR/ID.record (dsim node
	// --record); a restarted node appends a new run.
	Record bool
}

// ErrNodeFailed is wrapped by the errors of a node process that could not
// start or that died: they carry its last log lines.
var ErrNodeFailed = errors.New("node failed")

// NodeExit reports a node process that ended while its cluster was not
// being stopped.
type NodeExit struct {
	ID      sim.NodeID
	Status  string   // "exit status 1", "signal: killed"
	LogTail []string // its last log lines
	Restart string   // the command that restarts it
}

// localSecretName is the secret `dsim cluster local` writes into its DIR.
const localSecretName = "secret"

// LocalCluster is N `dsim node` processes on loopback.
type LocalCluster struct {
	Dir         string
	ClusterFile string
	Cluster     Cluster
	Protocol    Protocol
	mu          sync.Mutex
	procs       map[sim.NodeID]*process
	args        map[sim.NodeID][]string
	exe         string
	restart     string        // the command line that restarts a member, without the id
	only        []sim.NodeID  // the members this one started, if not all
	stopping    bool          // Stop has begun: exits are expected
	exits       chan NodeExit // unexpected exits, for Exits
}

// StartLocal writes DIR/cluster.json (or reuses the one there, keeping its
// ports, so a cluster restarted in the same directory finds its data) and
// starts one process per member, logging to DIR/ID.log. It returns once
// every node listens; if one exits first, or is not listening after
// StartTimeout, it stops them all and returns an error wrapping
// ErrNodeFailed with that node's last log lines. Later, Exits reports any
// node that dies.
func StartLocal(o LocalOptions) (*LocalCluster, error) {
	if len(o.Only) > 0 {
		return restartLocal(o)
	}
	if o.N < 1 || o.N > 99 {
		return nil, fmt.Errorf("%w: --n %d: want 1 to 99 nodes", ErrBadOption, o.N)
	}
	if o.BasePort < 0 || o.BasePort > 65536-o.N {
		return nil, fmt.Errorf("%w: --base-port %d: want a port from 1 to %d (%d nodes), or 0 for free ones", ErrBadOption, o.BasePort, 65536-o.N, o.N)
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "dsim-cluster-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "cluster.json")
	cluster, err := LoadCluster(path)
	if err != nil || len(cluster.Members) != o.N {
		if err == nil || errors.Is(err, os.ErrNotExist) {
			cluster, err = loopbackCluster(nameFrom(filepath.Base(dir)), o.N, o.BasePort)
		}
		if err != nil {
			return nil, err
		}
		cluster.Protocol = o.Protocol.Name
	}
	switch {
	case cluster.Protocol == "":
		cluster.Protocol = o.Protocol.Name
	case cluster.Protocol != o.Protocol.Name:
		return nil, fmt.Errorf("%w: %s holds a %s cluster, not %s: use another --dir", ErrClusterFile, path, cluster.Protocol, o.Protocol.Name)
	}
	if o.Options != nil {
		cluster.Options = o.Options
	}
	if err := cluster.Validate(); err != nil {
		return nil, err
	}
	for _, m := range cluster.Members { // refuse bad options before starting anything
		if _, err := o.Protocol.New(NodeConfig{ID: m.ID, Cluster: cluster}); err != nil {
			return nil, err
		}
	}
	if o.SecretFile == "" && cluster.SecretFile == "" {
		// Secure by default: a fresh secret in DIR, named by the cluster
		// file, so nodes and tools find it without a flag.
		if err := WriteSecretFile(filepath.Join(dir, localSecretName)); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		cluster.SecretFile = filepath.Join(dir, localSecretName)
	}
	onDisk := cluster // a secret inside DIR is named relative to it, so DIR can move
	if rel, err := filepath.Rel(dir, cluster.SecretFile); cluster.SecretFile != "" && err == nil && !strings.HasPrefix(rel, "..") {
		onDisk.SecretFile = rel
	}
	if err := onDisk.WriteFile(path); err != nil {
		return nil, err
	}
	return launch(o, dir, path, cluster, cluster.IDs())
}

// restartLocal starts members o.Only of the cluster in o.Dir.
func restartLocal(o LocalOptions) (*LocalCluster, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: --restart needs the --dir of a cluster started before", ErrBadOption)
	}
	path := filepath.Join(o.Dir, "cluster.json")
	cluster, err := LoadCluster(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: --restart: no cluster in %s (%v)", ErrBadOption, o.Dir, err)
	}
	if err != nil {
		return nil, err
	}
	if cluster.Protocol != "" && cluster.Protocol != o.Protocol.Name {
		return nil, fmt.Errorf("%w: %s holds a %s cluster, not %s", ErrBadOption, path, cluster.Protocol, o.Protocol.Name)
	}
	for _, id := range o.Only {
		if _, ok := cluster.Member(id); !ok {
			return nil, fmt.Errorf("%w: --restart %s: not a member of the cluster in %s (members: %v)", ErrBadOption, id, o.Dir, cluster.IDs())
		}
	}
	return launch(o, o.Dir, path, cluster, o.Only)
}

// launch starts members ids and waits until each listens.
func launch(o LocalOptions, dir, path string, cluster Cluster, ids []sim.NodeID) (*LocalCluster, error) {
	lc := &LocalCluster{Dir: dir, ClusterFile: path, Cluster: cluster, Protocol: o.Protocol, procs: map[sim.NodeID]*process{}, args: map[sim.NodeID][]string{},
		exe: o.Exe, exits: make(chan NodeExit, 2*len(cluster.Members))}
	lc.restart = fmt.Sprintf("dsim cluster local --dir %s --protocol %s", dir, o.Protocol.Name)
	if o.SecretFile != "" {
		lc.restart += " --secret-file " + o.SecretFile
	}
	if o.Record {
		lc.restart += " --record"
	}
	lc.restart += " --restart"
	if len(ids) < len(cluster.Members) {
		lc.only = ids
	}
	for _, m := range cluster.Members {
		args := []string{"node", "--cluster", path, "--id", string(m.ID), "--protocol", o.Protocol.Name, "--data", filepath.Join(dir, string(m.ID))}
		if o.SecretFile != "" {
			args = append(args, "--secret-file", o.SecretFile)
		}
		if o.Record {
			args = append(args, "--record", filepath.Join(dir, string(m.ID)+".record"))
		}
		lc.args[m.ID] = args
	}
	offsets := map[sim.NodeID]int64{}
	for _, id := range ids {
		offsets[id] = fileSize(lc.LogFile(id))
		if err := lc.Start(id); err != nil {
			lc.Stop()
			return nil, err
		}
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	if err := lc.waitListening(ids, offsets, o.StartTimeout); err != nil {
		lc.Stop()
		return nil, err
	}
	return lc, nil
}

// waitListening waits until each node has logged that it listens (in
// what its log gained since offsets), or one has exited.
func (lc *LocalCluster) waitListening(ids []sim.NodeID, offsets map[sim.NodeID]int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	waiting := slices.Clone(ids)
	for len(waiting) > 0 {
		id := waiting[0]
		b, _ := readFrom(lc.LogFile(id), offsets[id])
		if bytes.Contains(b, []byte("msg=listening")) || bytes.Contains(b, []byte(`"msg":"listening"`)) {
			waiting = waiting[1:]
			continue
		}
		select {
		case <-lc.Exited(id):
			code, _ := lc.ExitCode(id)
			b, _ = readFrom(lc.LogFile(id), offsets[id])
			return fmt.Errorf("%w: %s exited with status %d before it listened; its log (%s) ends:\n%s\nto run it alone: %s %s",
				ErrNodeFailed, id, code, lc.LogFile(id), indent(lastLines(b, 10)), lc.exe, strings.Join(lc.args[id], " "))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s is not listening after %v; its log (%s) ends:\n%s", ErrNodeFailed, id, limit, lc.LogFile(id), indent(lastLines(b, 10)))
		}
	}
	return nil
}

// LogFile is where member id's process logs.
func (lc *LocalCluster) LogFile(id sim.NodeID) string {
	return filepath.Join(lc.Dir, string(id)+".log")
}

// Exits reports each node process that ends while the cluster is not being
// stopped, with its last log lines and the command that restarts it.
func (lc *LocalCluster) Exits() <-chan NodeExit { return lc.exits }

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// readFrom reads a file from offset on.
func readFrom(path string, offset int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// lastLines is the last n lines of b.
func lastLines(b []byte, n int) []string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines[max(0, len(lines)-n):]
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "    (empty)"
	}
	return "    " + strings.Join(lines, "\n    ")
}

func loopbackCluster(name string, n, base int) (Cluster, error) {
	c := Cluster{Name: name}
	for i := 1; i <= n; i++ {
		port := base + i - 1
		if base == 0 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return Cluster{}, err
			}
			port = ln.Addr().(*net.TCPAddr).Port
			ln.Close()
		}
		c.Members = append(c.Members, Member{ID: sim.NodeID("n" + strconv.Itoa(i)), Addr: "127.0.0.1:" + strconv.Itoa(port)})
	}
	return c, c.Validate()
}

// Start (re)starts member id's process.
func (lc *LocalCluster) Start(id sim.NodeID) error { return lc.StartWith(id) }

// StartWith (re)starts member id's process with extra flags for dsim node,
// such as "--salvage".
func (lc *LocalCluster) StartWith(id sim.NodeID, extra ...string) error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(lc.Dir, string(id)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	lc.stopping = false
	cmd := exec.Command(lc.exe, append(slices.Clone(lc.args[id]), extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", id, err)
	}
	logf.Close() // the child has its own copy
	p := &process{cmd: cmd, done: make(chan struct{})}
	lc.procs[id] = p
	offset := fileSize(lc.LogFile(id))
	go func() {
		cmd.Wait()
		close(p.done)
		lc.mu.Lock()
		report := !lc.stopping && lc.procs[id] == p
		lc.mu.Unlock()
		if report {
			b, _ := readFrom(lc.LogFile(id), offset)
			select {
			case lc.exits <- NodeExit{ID: id, Status: cmd.ProcessState.String(), LogTail: lastLines(b, 10), Restart: lc.restart + " " + string(id)}:
			default:
			}
		}
	}()
	return nil
}

// process is one child and a channel closed when it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Exited is closed when member id's current process has exited.
func (lc *LocalCluster) Exited(id sim.NodeID) <-chan struct{} {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if p := lc.procs[id]; p != nil {
		return p.done
	}
	return nil
}

// ExitCode is member id's current process's exit status, and whether it
// has exited.
func (lc *LocalCluster) ExitCode(id sim.NodeID) (int, bool) {
	lc.mu.Lock()
	p := lc.procs[id]
	lc.mu.Unlock()
	if p == nil {
		return 0, false
	}
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	default:
		return 0, false
	}
}

// Kill sends member id's process SIGKILL and waits for it to die: a crash,
// with no chance to flush anything.
func (lc *LocalCluster) Kill(id sim.NodeID) error {
	lc.mu.Lock()
	p := lc.procs[id]
	lc.mu.Unlock()
	if p == nil {
		return fmt.Errorf("no process for %s", id)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	<-p.done
	return nil
}

// Pid is member id's process id (0 if none).
func (lc *LocalCluster) Pid(id sim.NodeID) int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if p := lc.procs[id]; p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// Stop asks every process to stop (SIGTERM), and kills those still running
// after five seconds.
func (lc *LocalCluster) Stop() {
	lc.mu.Lock()
	lc.stopping = true
	procs := make([]*process, 0, len(lc.procs))
	for _, p := range lc.procs {
		procs = append(procs, p)
	}
	lc.mu.Unlock()
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	expired := false
	for _, p := range procs {
		if !expired {
			select {
			case <-p.done:
				continue
			case <-deadline.C:
				expired = true
			}
		}
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Usage tells a person how to talk to the cluster.
func (lc *LocalCluster) Usage(exe string) string {
	var b bytes.Buffer
	if len(lc.only) > 0 {
		for _, id := range lc.only {
			m, _ := lc.Cluster.Member(id)
			fmt.Fprintf(&b, "restarted %s on %s, on its data in %s; log %s\n", id, m.Addr, filepath.Join(lc.Dir, string(id)), lc.LogFile(id))
		}
		fmt.Fprintf(&b, "Ctrl-C stops it; the other members are left alone.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "cluster %q: %d nodes on loopback; data, logs and cluster.json in %s\n", lc.Cluster.Name, len(lc.Cluster.Members), lc.Dir)
	for _, m := range lc.Cluster.Members {
		fmt.Fprintf(&b, "  %-4s %-21s log %s\n", m.ID, m.Addr, filepath.Join(lc.Dir, string(m.ID)+".log"))
	}
	if lc.Cluster.SecretFile != "" {
		fmt.Fprintf(&b, "  secret %s (named in cluster.json: every connection must prove it knows it)\n", lc.Cluster.SecretFile)
	}
	fmt.Fprintf(&b, "\nTry, in another terminal:\n")
	for _, try := range lc.Protocol.Try {
		cmd, rest, _ := strings.Cut(try, " ")
		fmt.Fprintf(&b, "%s\n", strings.TrimRight(fmt.Sprintf("  %s %s --cluster %s %s", exe, cmd, lc.ClusterFile, rest), " "))
	}
	fmt.Fprintf(&b, "  %s status --cluster %s\n", exe, lc.ClusterFile)
	fmt.Fprintf(&b, "  %s fault --cluster %s block n1 n2     (then: heal)\n", exe, lc.ClusterFile)
	fmt.Fprintf(&b, "\nA node that dies is reported here, with the command that restarts it.\n")
	fmt.Fprintf(&b, "Ctrl-C stops every node; run again with --dir %s to restart them on their data.\n", lc.Dir)
	return b.String()
}

// StatusAll asks every member for its status at once. A member that did
// not answer has its error instead.
func StatusAll(ctx context.Context, cluster Cluster, secret []byte) (map[sim.NodeID]StatusReply, map[sim.NodeID]error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	replies, errs := map[sim.NodeID]StatusReply{}, map[sim.NodeID]error{}
	for _, id := range cluster.IDs() {
		wg.Go(func() {
			rep, err := QueryStatus(ctx, cluster, id, secret)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[id] = err
			} else {
				replies[id] = rep
			}
		})
	}
	wg.Wait()
	return replies, errs
}

// FaultAll sends req to every member at once.
func FaultAll(ctx context.Context, cluster Cluster, secret []byte, req FaultRequest) (map[sim.NodeID]FaultReply, map[sim.NodeID]error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	replies, errs := map[sim.NodeID]FaultReply{}, map[sim.NodeID]error{}
	for _, id := range cluster.IDs() {
		wg.Go(func() {
			rep, err := SendFault(ctx, cluster, id, secret, req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[id] = err
			} else {
				replies[id] = rep
			}
		})
	}
	wg.Wait()
	return replies, errs
}
