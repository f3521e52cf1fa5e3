// Package sweep runs one scenario over many seeds and sums up what the runs
// showed.
//
// A single run shows one story; a seed sweep shows the distribution behind
// it. Raft's randomised election timeouts make most elections quick, but
// only a thousand runs show how long the tail of split votes is, and only a
// thousand runs find the one seed in which a check fails. Because every run
// is deterministic, a failing seed is not bad luck to shrug off: the replay
// command printed next to it (`dsim run raft-election --seed 17`) shows the
// very same run again, event by event.
//
// Run executes the runs in parallel, each on its own World and single
// threaded, as many at a time as Options.Parallel says. Results are kept in
// seed order whatever order the runs finish in, so a Summary, its table and
// its plots are the same for any degree of parallelism.
//
// The aggregates are order statistics with the nearest-rank rule (see
// Stats): the minimum, median, 99th percentile and maximum are each a value
// some run actually produced. A p99 close to the maximum with a median far
// below it is a long tail; look at the failing and slowest seeds first.
//
// ParseSeeds reads the seed lists the dsim command takes ("1-1000", "7",
// "1,5,9-12"). Plots draws a histogram of each metric across the seeds, and
// RunPlots the plots of a single run, from its trace.
package sweep
