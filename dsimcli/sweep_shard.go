package dsimcli

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/sweep"
)

// shardSetup holds sweep's flags for running one shard of a sweep.
type shardSetup struct {
	shard *string
	out   *string
}

func addShardFlags(fs *flag.FlagSet) *shardSetup {
	return &shardSetup{
		shard: fs.String("shard", "", "run only shard `K/N` of the seeds (every N-th from the K-th; K from 1); needs --out"),
		out:   fs.String("out", "", "write each seed's result as JSON Lines to `FILE`, for 'dsim sweep merge'"),
	}
}

func (f *shardSetup) given() bool { return *f.shard != "" || *f.out != "" }

// runShard runs one shard of a sweep and writes its file. seedList is the
// --seeds value, seeds the whole list.
func runShard(ctx *cli, s scenarios.Scenario, seedList string, seeds []uint64, opts sweep.Options, f *shardSetup) int {
	if *f.out == "" {
		fmt.Fprintln(ctx.stderr, "dsim sweep: --shard needs --out FILE, where the shard's results go")
		return exitUsage
	}
	shard := sweep.Shard{K: 1, N: 1}
	if *f.shard != "" {
		var err error
		if shard, err = sweep.ParseShard(*f.shard); err != nil {
			fmt.Fprintf(ctx.stderr, "dsim sweep: --shard: %v\n", err)
			return exitUsage
		}
	}
	mine := shard.Seeds(seeds)
	var runs []sweep.SeedResult
	if len(mine) > 0 { // more shards than seeds leaves some empty
		sum, status := runSweep(ctx, s, mine, opts)
		if status == exitUsage {
			return status
		}
		runs = sum.Runs
	}
	h := sweep.ShardHeader{Scenario: s.Name, Seeds: seedList, Total: len(seeds), Shard: shard.String(), For: opts.For, Schedule: opts.ScheduleFile, Knobs: opts.Knobs}
	var b bytes.Buffer
	if err := sweep.WriteShard(&b, h, runs); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep: %v\n", err)
		return exitUsage
	}
	// Write beside the target and rename, so a shard that dies half way
	// (a preempted pod, a killed job) leaves no file that looks complete.
	tmp := *f.out + ".partial"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep: --out: %v\n", err)
		return exitUsage
	}
	if err := os.Rename(tmp, *f.out); err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep: --out: %v\n", err)
		return exitUsage
	}
	failed := 0
	for _, r := range runs {
		if r.Failed() {
			failed++
		}
	}
	fmt.Fprintf(ctx.stdout, "# %s shard %s: %d of %d seeds (%s), %d failed; results in %s\n", s.Name, shard, len(mine), len(seeds), seedList, failed, *f.out)
	return exitOK
}

// sweepMerge is `dsim sweep merge FILES...`: the shards' files put back
// together and printed as the whole sweep would have printed them.
func sweepMerge(ctx *cli, paths []string) int {
	if len(paths) == 0 {
		fmt.Fprintln(ctx.stderr, "dsim sweep merge needs the shards' files: dsim sweep merge shard-*.jsonl")
		return exitUsage
	}
	var files []sweep.ShardFile
	for _, p := range paths {
		r, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim sweep merge: %v\n", err)
			return exitUsage
		}
		sf, err := sweep.ReadShard(r, p)
		r.Close()
		if err != nil {
			fmt.Fprintf(ctx.stderr, "dsim sweep merge: %v\n", err)
			return exitUsage
		}
		files = append(files, sf)
	}
	sum, h, err := sweep.Merge(files)
	if err != nil {
		fmt.Fprintf(ctx.stderr, "dsim sweep merge: %v\n", err)
		return exitUsage
	}
	label := ""
	if len(h.Knobs) > 0 {
		label = ", " + knobLabel(h.Knobs)
	}
	return printSweep(ctx, sum, label, h.Seeds)
}
