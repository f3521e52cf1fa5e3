package data

import (
	"fmt"
	"github.com/dsimlab/dsim/scenarios/internal/report"
	"strconv"
	"time"

	"github.com/dsimlab/dsim/network"
	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sim"
)

// table renders rows under a header as aligned columns (report.Table:
// the first column left-aligned, the numbers right-aligned).
func table(header []string, rows [][]string) []string { return report.Table(header, rows) }

func itoa(n int) string { return strconv.Itoa(n) }

// ms is a duration in milliseconds, for metrics.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// firstErr keeps the first check that failed.
type firstErr struct{ err error }

func (f *firstErr) failf(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf(format, args...)
	}
}

// newWorld is the world most scenarios here run in: FIFO links of 1-3ms,
// so the seed changes timings but no message is lost unless a scenario
// says so.
func newWorld(o scenarios.Options) (*sim.World, *network.Model, error) {
	net, err := network.New(network.Config{Link: network.LinkConfig{
		Latency: network.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond},
	}})
	if err != nil {
		return nil, nil, err
	}
	w := sim.NewWorld(sim.Config{Seed: o.Seed, Network: net, Tracer: o.Tracer, LoseUnsyncedWrites: true})
	return w, net, nil
}

// diskInt reads a decimal integer from a disk (0 if absent).
func diskInt(d sim.Disk, key string) int64 {
	v, ok := d.Get(key)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(string(v), 10, 64)
	return n
}

func putInt(d sim.Disk, key string, n int64) { d.Put(key, []byte(strconv.FormatInt(n, 10))) }
