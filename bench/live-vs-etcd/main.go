// Command live-vs-etcd measures dsim's live Raft KV store against etcd, side
// by side on one machine: three etcd members and three `dsim node`
// processes on loopback, each with its own data directory and fsync on,
// closed-loop writers putting 64-byte values. It alternates rounds between
// the two systems, so that a change in the machine's load hits both, and
// prints writes/s and latency percentiles for each writer count, and the
// ratio dsim/etcd per round.
//
// run.sh builds dsim, installs Debian's etcd-server if needed and runs
// this; see the README next to it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/dsimlab/dsim/consensus/rsm"
	"github.com/dsimlab/dsim/network/tcp"
	"github.com/dsimlab/dsim/sim"
	"github.com/dsimlab/dsim/storage/kv"
)

func main() {
	os.Exit(run())
}

type options struct {
	etcd, dsim string
	dir        string
	rounds     int
	duration   time.Duration
	warmup     time.Duration
	writers    []int
	valueSize  int
	basePort   int
}

func run() int {
	var o options
	writers := flag.String("writers", "1,16", "comma-separated writer counts")
	flag.StringVar(&o.etcd, "etcd", "etcd", "the etcd server `binary`")
	flag.StringVar(&o.dsim, "dsim", "", "the dsim `binary` (go build -o dsim ./cmd/dsim)")
	flag.StringVar(&o.dir, "dir", "", "`DIR` for data and logs (default: a new directory under $TMPDIR; it must be on a disk where fsync means something, not tmpfs)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds per system and writer count, alternating")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each round measures")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "how long each round writes before measuring")
	flag.IntVar(&o.valueSize, "value-size", 64, "bytes per value")
	flag.IntVar(&o.basePort, "base-port", 23790, "first of the 9 loopback ports used")
	flag.Parse()
	for _, w := range strings.Split(*writers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "live-vs-etcd: --writers %q: want counts like 1,16\n", *writers)
			return 2
		}
		o.writers = append(o.writers, n)
	}
	if o.dsim == "" || o.rounds < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "live-vs-etcd: needs --dsim BINARY, --rounds >= 1 and a positive --duration")
		return 2
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "live-vs-etcd-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "live-vs-etcd:", err)
			return 1
		}
		o.dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "live-vs-etcd:", err)
		return 1
	}
	return 0
}

// system is one of the two clusters under test.
type system interface {
	name() string
	// writer returns a function that writes one key, for one closed-loop
	// writer, and a function that closes it.
	writer(ctx context.Context, id int) (put func(ctx context.Context, key, value string) error, close func(), err error)
}

// sample is one round's outcome.
type sample struct {
	ops       int
	elapsed   time.Duration
	latencies []time.Duration
	errors    int
}

func (s sample) rate() float64 { return float64(s.ops) / s.elapsed.Seconds() }

func bench(ctx context.Context, o options) error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	fmt.Printf("data and logs in %s\n", o.dir)
	procs := &processes{}
	defer procs.stopAll()
	etcd, err := startEtcd(ctx, o, procs)
	if err != nil {
		return err
	}
	dsim, err := startDsim(ctx, o, procs)
	if err != nil {
		return err
	}
	systems := []system{etcd, dsim}
	results := map[string]map[int][]sample{}
	for _, s := range systems {
		results[s.name()] = map[int][]sample{}
	}
	fmt.Printf("%d rounds of %v (after %v of warm-up), %d-byte values, writers %v; load average at start: %s\n",
		o.rounds, o.duration, o.warmup, o.valueSize, o.writers, loadAverage())
	value := strings.Repeat("x", o.valueSize)
	for round := range o.rounds {
		for _, w := range o.writers {
			order := systems
			if round%2 == 1 {
				order = []system{systems[1], systems[0]} // alternate who goes first
			}
			for _, s := range order {
				if err := ctx.Err(); err != nil {
					return err
				}
				smp, err := measure(ctx, s, w, value, o.warmup, o.duration)
				if err != nil {
					return fmt.Errorf("%s, %d writers: %w", s.name(), w, err)
				}
				results[s.name()][w] = append(results[s.name()][w], smp)
				p50, p99 := percentile(smp.latencies, 50), percentile(smp.latencies, 99)
				fmt.Printf("round %d  %-4s %2d writers  %8.0f writes/s  p50 %-9v p99 %-9v errors %d  load %s\n",
					round+1, s.name(), w, smp.rate(), p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), smp.errors, loadAverage())
			}
		}
	}
	fmt.Println()
	fmt.Println("| writers | system | writes/s (median of rounds) | p50 | p99 | dsim/etcd writes/s (median of per-round ratios) |")
	fmt.Println("|--------:|--------|---------:|----:|----:|------:|")
	for _, w := range o.writers {
		var ratios []float64
		for i := range o.rounds {
			ratios = append(ratios, results["dsim"][w][i].rate()/results["etcd"][w][i].rate())
		}
		for _, s := range systems {
			smps := results[s.name()][w]
			var rates []float64
			var all []time.Duration
			for _, smp := range smps {
				rates = append(rates, smp.rate())
				all = append(all, smp.latencies...)
			}
			ratio := ""
			if s.name() == "dsim" {
				ratio = fmt.Sprintf("%.2f×", median(ratios))
			}
			fmt.Printf("| %d | %s | %.0f | %v | %v | %s |\n", w, s.name(), median(rates),
				percentile(all, 50).Round(10*time.Microsecond), percentile(all, 99).Round(10*time.Microsecond), ratio)
		}
	}
	return nil
}

// measure runs w closed-loop writers against s: warm-up first, then
// duration of counted writes.
func measure(ctx context.Context, s system, w int, value string, warmup, duration time.Duration) (sample, error) {
	type writerResult struct {
		lat    []time.Duration
		errors int
		err    error
	}
	var wg sync.WaitGroup
	out := make([]writerResult, w)
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	for i := range w {
		wg.Go(func() {
			put, closeFn, err := s.writer(ctx, i)
			if err != nil {
				out[i].err = err
				return
			}
			defer closeFn()
			for n := 0; ; n++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				octx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := put(octx, fmt.Sprintf("w%d-%d", i, n%1000), value)
				cancel()
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue
				}
				if err != nil {
					out[i].errors++
					continue
				}
				out[i].lat = append(out[i].lat, t1.Sub(t0))
			}
		})
	}
	wg.Wait()
	var smp sample
	smp.elapsed = duration
	for _, r := range out {
		if r.err != nil {
			return smp, r.err
		}
		smp.ops += len(r.lat)
		smp.errors += r.errors
		smp.latencies = append(smp.latencies, r.lat...)
	}
	return smp, ctx.Err()
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// processes are the children started, stopped at the end.
type processes struct {
	mu    sync.Mutex
	procs []*exec.Cmd
}

func (p *processes) start(dir, name string, exe string, args ...string) error {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	logf.Close()
	p.mu.Lock()
	p.procs = append(p.procs, cmd)
	p.mu.Unlock()
	return nil
}

func (p *processes) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.procs {
		c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range p.procs {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			c.Process.Kill()
			<-done
		}
	}
}

// etcdCluster is three etcd members on loopback.
type etcdCluster struct {
	clientURLs []string
	leader     string // client URL of the leader: writers talk to it directly
}

func (e *etcdCluster) name() string { return "etcd" }

func startEtcd(ctx context.Context, o options, procs *processes) (*etcdCluster, error) {
	e := &etcdCluster{}
	var initial []string
	for i := 1; i <= 3; i++ {
		initial = append(initial, fmt.Sprintf("e%d=http://127.0.0.1:%d", i, o.basePort+3+i))
	}
	for i := 1; i <= 3; i++ {
		client := fmt.Sprintf("http://127.0.0.1:%d", o.basePort+i-1)
		peer := fmt.Sprintf("http://127.0.0.1:%d", o.basePort+3+i)
		e.clientURLs = append(e.clientURLs, client)
		err := procs.start(o.dir, fmt.Sprintf("e%d", i), o.etcd,
			"--name", fmt.Sprintf("e%d", i), "--data-dir", filepath.Join(o.dir, fmt.Sprintf("e%d", i)),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "live-vs-etcd", "--log-level", "warn")
		if err != nil {
			return nil, err
		}
	}
	// Find the leader.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("etcd elected no leader within 30s: see %s/e*.log", o.dir)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: e.clientURLs, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err == nil {
			for _, ep := range e.clientURLs {
				sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				st, err := cli.Status(sctx, ep)
				cancel()
				if err == nil && st.Leader != 0 && st.Header.MemberId == st.Leader {
					e.leader = ep
				}
			}
			cli.Close()
		}
		if e.leader != "" {
			fmt.Printf("etcd: leader at %s (server %s)\n", e.leader, etcdVersion(o.etcd))
			return e, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func etcdVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

func (e *etcdCluster) writer(ctx context.Context, _ int) (func(context.Context, string, string) error, func(), error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.leader}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, nil, err
	}
	put := func(ctx context.Context, k, v string) error {
		_, err := cli.Put(ctx, k, v)
		return err
	}
	return put, func() { cli.Close() }, nil
}

// dsimCluster is three `dsim node` processes running raft-kv on loopback.
type dsimCluster struct {
	cluster tcp.Cluster
	secret  []byte
	reg     *tcp.Registry
}

func (d *dsimCluster) name() string { return "dsim" }

func startDsim(ctx context.Context, o options, procs *processes) (*dsimCluster, error) {
	d := &dsimCluster{cluster: tcp.Cluster{Name: "live-vs-etcd"}, reg: tcp.NewRegistry()}
	// A client needs only the rsm messages.
	if err := d.reg.Register("rsm.ClientRequest", rsm.ClientRequest{}); err != nil {
		return nil, err
	}
	if err := d.reg.Register("rsm.ClientReply", rsm.ClientReply{}); err != nil {
		return nil, err
	}
	for i := 1; i <= 3; i++ {
		d.cluster.Members = append(d.cluster.Members, tcp.Member{ID: sim.NodeID(fmt.Sprintf("n%d", i)), Addr: fmt.Sprintf("127.0.0.1:%d", o.basePort+6+i)})
	}
	clusterFile := filepath.Join(o.dir, "cluster.json")
	if err := d.cluster.WriteFile(clusterFile); err != nil {
		return nil, err
	}
	// With a secret, as a lab would run it (and as `dsim node` may insist).
	var raw [32]byte
	rand.Read(raw[:])
	d.secret = []byte(hex.EncodeToString(raw[:]))
	secretFile := filepath.Join(o.dir, "secret")
	if err := os.WriteFile(secretFile, d.secret, 0o600); err != nil {
		return nil, err
	}
	for _, m := range d.cluster.Members {
		err := procs.start(o.dir, string(m.ID), o.dsim, "node", "--cluster", clusterFile, "--id", string(m.ID),
			"--data", filepath.Join(o.dir, string(m.ID)), "--secret-file", secretFile)
		if err != nil {
			return nil, err
		}
	}
	// Wait until a write goes through.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := tcp.NewClient(d.cluster, d.reg, d.secret)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := c.Do(wctx, kv.Put("hello", "dsim").Encode())
		cancel()
		c.Close()
		if err == nil {
			fmt.Printf("dsim: cluster up (%s)\n", strings.Join(memberAddrs(d.cluster), " "))
			return d, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("dsim cluster not writable within 30s (%v): see %s/n*.log", err, o.dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func memberAddrs(c tcp.Cluster) []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, string(m.ID)+"="+m.Addr)
	}
	return out
}

func (d *dsimCluster) writer(ctx context.Context, _ int) (func(context.Context, string, string) error, func(), error) {
	c := tcp.NewClient(d.cluster, d.reg, d.secret)
	put := func(ctx context.Context, k, v string) error {
		res, err := c.Do(ctx, kv.Put(k, v).Encode())
		if err != nil {
			return err
		}
		r, err := kv.DecodeResult(res)
		if err != nil {
			return err
		}
		if !r.OK {
			return errors.New("put refused: " + r.Err)
		}
		return nil
	}
	return put, c.Close, nil
}
