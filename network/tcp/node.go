package tcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
	SecretFile  string // optional
	ListenAddr  string // optional: listen here instead of the member's address
	Seed        uint64 // 0: from crypto/rand
	Logger      *slog.Logger
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
	var secret []byte
	if o.SecretFile != "" {
		if secret, err = ReadSecretFile(o.SecretFile); err != nil {
			return err
		}
	}
	if o.DataDir == "" {
		return errors.New("no data directory (--data DIR): the node's durable state lives there")
	}
	disk, err := OpenFileDisk(o.DataDir)
	if err != nil {
		return err
	}
	defer disk.Close()
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
		return nil, fmt.Errorf("secret file %s: %d bytes; use at least 16 (for example: head -c 32 /dev/urandom | base64 > %s)", path, len(b), path)
	}
	return b, nil
}

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
	// Record has each node record its run to DIR/ID.record (dsim node
	// --record); a restarted node appends a new run.
	Record bool
}

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
}

// StartLocal writes DIR/cluster.json (or reuses the one there, keeping its
// ports, so a cluster restarted in the same directory finds its data) and
// starts one process per member, logging to DIR/ID.log.
func StartLocal(o LocalOptions) (*LocalCluster, error) {
	if o.N < 1 || o.N > 99 {
		return nil, fmt.Errorf("--n %d: want 1 to 99 nodes", o.N)
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
			cluster, err = loopbackCluster(filepath.Base(dir), o.N, o.BasePort)
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
	if err := cluster.WriteFile(path); err != nil {
		return nil, err
	}
	lc := &LocalCluster{Dir: dir, ClusterFile: path, Cluster: cluster, Protocol: o.Protocol, procs: map[sim.NodeID]*process{}, args: map[sim.NodeID][]string{}, exe: o.Exe}
	for _, m := range cluster.Members {
		args := []string{"node", "--cluster", path, "--id", string(m.ID), "--protocol", o.Protocol.Name, "--data", filepath.Join(dir, string(m.ID))}
		if o.SecretFile != "" {
			args = append(args, "--secret-file", o.SecretFile)
		}
		if o.Record {
			args = append(args, "--record", filepath.Join(dir, string(m.ID)+".record"))
		}
		lc.args[m.ID] = args
		if err := lc.Start(m.ID); err != nil {
			lc.Stop()
			return nil, err
		}
	}
	return lc, nil
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
func (lc *LocalCluster) Start(id sim.NodeID) error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(lc.Dir, string(id)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(lc.exe, lc.args[id]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", id, err)
	}
	logf.Close() // the child has its own copy
	p := &process{cmd: cmd, done: make(chan struct{})}
	lc.procs[id] = p
	go func() {
		cmd.Wait()
		close(p.done)
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
	fmt.Fprintf(&b, "cluster %q: %d nodes on loopback; data, logs and cluster.json in %s\n", lc.Cluster.Name, len(lc.Cluster.Members), lc.Dir)
	for _, m := range lc.Cluster.Members {
		fmt.Fprintf(&b, "  %-4s %-21s log %s\n", m.ID, m.Addr, filepath.Join(lc.Dir, string(m.ID)+".log"))
	}
	fmt.Fprintf(&b, "\nTry, in another terminal:\n")
	for _, try := range lc.Protocol.Try {
		cmd, rest, _ := strings.Cut(try, " ")
		fmt.Fprintf(&b, "  %s %s --cluster %s %s\n", exe, cmd, lc.ClusterFile, rest)
	}
	fmt.Fprintf(&b, "  %s status --cluster %s\n", exe, lc.ClusterFile)
	fmt.Fprintf(&b, "  %s fault --cluster %s block n1 n2     (then: heal)\n", exe, lc.ClusterFile)
	fmt.Fprintf(&b, "\nCtrl-C stops every node; run again with --dir %s to restart them on their data.\n", lc.Dir)
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
