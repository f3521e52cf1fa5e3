package sweep

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsimlab/dsim/scenarios"
)

// A sweep can be cut into shards that run anywhere: on the nodes of a
// Kubernetes Indexed Job, the tasks of a Slurm job array, the slots of GNU
// parallel. Shard K of N runs every N-th seed of the list, starting with
// the K-th (interleaved, so slow and fast seeds spread evenly), and writes
// what each seed showed as JSON Lines. Merge reads every shard's file back
// into the Summary the whole sweep would have made: same runs, same order,
// same table.

// Shard names one of N interleaved slices of a seed list: K counts from 1.
type Shard struct{ K, N int }

// ErrShard is wrapped by every error about a --shard value.
var ErrShard = errors.New("bad shard")

// ParseShard reads "K/N", such as "1/2" (the first of two shards).
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(strings.TrimSpace(ks))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case !ok || kerr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("%w %q: write K/N, such as 1/4 for the first of four shards", ErrShard, s)
	case n < 1:
		return Shard{}, fmt.Errorf("%w %q: there must be at least one shard", ErrShard, s)
	case k < 1 || k > n:
		return Shard{}, fmt.Errorf("%w %q: K counts shards from 1 to %d (a Kubernetes completion index or a 0-based array index needs +1)", ErrShard, s, n)
	}
	return Shard{K: k, N: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Seeds is this shard's slice of the list: the seeds at positions K-1,
// K-1+N, K-1+2N, ... The N shards of a list hold every seed exactly once.
func (s Shard) Seeds(all []uint64) []uint64 {
	var out []uint64
	for i := s.K - 1; i < len(all); i += s.N {
		out = append(out, all[i])
	}
	return out
}

// ShardHeader is the first line of a shard's file: which sweep, which
// slice. Merge checks that every file belongs to the same sweep and that
// the shards are all there.
type ShardHeader struct {
	Scenario string `json:"scenario"`
	// Seeds is the whole sweep's seed list, as given (--seeds).
	Seeds string `json:"seeds"`
	// Total is how many seeds the list holds.
	Total int    `json:"total"`
	Shard string `json:"shard"`
	// For and Schedule are the options every run had, for the replay
	// commands (zero and "" when not given).
	For      time.Duration `json:"for_ns,omitempty"`
	Schedule string        `json:"schedule,omitempty"`
	// Knobs are the --set values every run had: merge refuses shards that
	// disagree, labels the table with them and puts them in the replay
	// commands.
	Knobs scenarios.Knobs `json:"knobs,omitempty"`
}

// seedLine is one seed's result in a shard's file. Metric values are
// written with strconv's shortest exact form (NaN and ±Inf too), so a
// merged table is the same to the last digit.
type seedLine struct {
	Seed    uint64       `json:"seed"`
	Metrics []metricLine `json:"metrics,omitempty"`
	// Check is the check that failed (Result.Err), RunError why the run
	// could not happen or panicked (SeedResult.Err).
	Check    string `json:"check_failed,omitempty"`
	RunError string `json:"run_error,omitempty"`
	Panicked bool   `json:"panicked,omitempty"`
}

type metricLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Unit  string `json:"unit,omitempty"`
}

// WriteShard writes a shard's results: the header, then one line per seed
// in seed order. Summaries (the run's lines) are not kept: merge prints
// only the table and the failures.
func WriteShard(w io.Writer, h ShardHeader, runs []SeedResult) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("sweep: writing shard %s: %w", h.Shard, err)
	}
	for _, r := range runs {
		line := seedLine{Seed: r.Seed}
		for _, m := range r.Result.Metrics {
			line.Metrics = append(line.Metrics, metricLine{Name: m.Name, Value: strconv.FormatFloat(m.Value, 'g', -1, 64), Unit: m.Unit})
		}
		if r.Result.Err != nil {
			line.Check = r.Result.Err.Error()
		}
		if r.Err != nil {
			line.RunError = r.Err.Error()
			line.Panicked = errors.Is(r.Err, ErrPanic)
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("sweep: writing shard %s: %w", h.Shard, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sweep: writing shard %s: %w", h.Shard, err)
	}
	return nil
}

// ShardFile is one shard's file as read back.
type ShardFile struct {
	Header ShardHeader
	Runs   []SeedResult
}

// ReadShard reads what WriteShard wrote. name is for error messages.
func ReadShard(r io.Reader, name string) (ShardFile, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var f ShardFile
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &f.Header); err != nil || f.Header.Scenario == "" || f.Header.Shard == "" {
				return f, fmt.Errorf("%s: line 1 is not a shard header (was the file written by dsim sweep --out?)", name)
			}
			continue
		}
		var l seedLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return f, fmt.Errorf("%s: line %d: %v", name, line, err)
		}
		r := SeedResult{Seed: l.Seed}
		for _, m := range l.Metrics {
			v, err := strconv.ParseFloat(m.Value, 64)
			if err != nil {
				return f, fmt.Errorf("%s: line %d: metric %s: %q is not a number", name, line, m.Name, m.Value)
			}
			r.Result.Metrics = append(r.Result.Metrics, scenarios.Metric{Name: m.Name, Value: v, Unit: m.Unit})
		}
		if l.Check != "" {
			r.Result.Err = errors.New(l.Check)
		}
		if l.RunError != "" {
			r.Err = errors.New(l.RunError)
			if l.Panicked {
				r.Err = panicError{l.RunError}
			}
		}
		f.Runs = append(f.Runs, r)
	}
	if err := sc.Err(); err != nil {
		return f, fmt.Errorf("%s: %w", name, err)
	}
	if line == 0 {
		return f, fmt.Errorf("%s: empty file; a shard's file starts with its header", name)
	}
	return f, nil
}

// panicError is a panic read back from a shard file: it prints as it was
// written and still is an ErrPanic.
type panicError struct{ text string }

func (e panicError) Error() string        { return e.text }
func (e panicError) Is(target error) bool { return target == ErrPanic }

// ErrMerge is wrapped by every error Merge returns.
var ErrMerge = errors.New("cannot merge shards")

// Merge puts the shards of one sweep back together: the Summary and the
// seed list the unsharded sweep would have printed. It refuses files from
// different sweeps, a shard given twice or missing, and a seed that is
// missing or present twice.
func Merge(files []ShardFile) (Summary, ShardHeader, error) {
	if len(files) == 0 {
		return Summary{}, ShardHeader{}, fmt.Errorf("%w: no files given", ErrMerge)
	}
	h := files[0].Header
	first, err := ParseShard(h.Shard)
	if err != nil {
		return Summary{}, h, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	seen := make([]bool, first.N+1)
	var runs []SeedResult
	for _, f := range files {
		g := f.Header
		s, err := ParseShard(g.Shard)
		if err != nil {
			return Summary{}, h, fmt.Errorf("%w: %v", ErrMerge, err)
		}
		switch {
		case g.Scenario != h.Scenario || g.Seeds != h.Seeds || g.Total != h.Total || g.For != h.For || g.Schedule != h.Schedule || g.Knobs.Flags() != h.Knobs.Flags():
			return Summary{}, h, fmt.Errorf("%w: shard %s is of another sweep (%s --seeds %s) than shard %s (%s --seeds %s)", ErrMerge, g.Shard, g.Scenario, g.Seeds, h.Shard, h.Scenario, h.Seeds)
		case s.N != first.N:
			return Summary{}, h, fmt.Errorf("%w: shard %s and shard %s cut the sweep into different numbers of shards", ErrMerge, g.Shard, h.Shard)
		case seen[s.K]:
			return Summary{}, h, fmt.Errorf("%w: shard %s is given twice", ErrMerge, g.Shard)
		}
		seen[s.K] = true
		runs = append(runs, f.Runs...)
	}
	var missing []string
	for k := 1; k <= first.N; k++ {
		if !seen[k] {
			missing = append(missing, Shard{k, first.N}.String())
		}
	}
	if len(missing) > 0 {
		return Summary{}, h, fmt.Errorf("%w: shard %s missing", ErrMerge, strings.Join(missing, ", "))
	}
	seeds, err := ParseSeeds(h.Seeds)
	if err != nil {
		return Summary{}, h, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	slices.SortFunc(runs, func(a, b SeedResult) int {
		switch {
		case a.Seed < b.Seed:
			return -1
		case a.Seed > b.Seed:
			return 1
		}
		return 0
	})
	if len(runs) != len(seeds) || len(seeds) != h.Total {
		return Summary{}, h, fmt.Errorf("%w: the shards hold %d seed results; the sweep has %d seeds (a shard file cut short?)", ErrMerge, len(runs), len(seeds))
	}
	for i := range seeds {
		if runs[i].Seed != seeds[i] {
			return Summary{}, h, fmt.Errorf("%w: seed %d is missing or given twice", ErrMerge, seeds[i])
		}
	}
	opts := Options{For: h.For, ScheduleFile: h.Schedule, Knobs: h.Knobs}
	return Summary{Scenario: h.Scenario, Runs: runs, Metrics: Aggregate(runs), Options: opts}, h, nil
}
