package sweep

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxSeeds bounds how many seeds one list may name, so that a typo such as
// "1-10000000000" is refused instead of allocating gigabytes.
const MaxSeeds = 1_000_000

// ErrSeeds is wrapped by every error ParseSeeds returns.
var ErrSeeds = errors.New("bad seed list")

// ParseSeeds reads a list of seeds: comma-separated items, each a seed
// ("7") or an inclusive range ("9-12"). The seeds come back in increasing
// order. A seed named twice, a reversed range ("9-3") or a list longer than
// MaxSeeds is an error, because each most likely hides a typo.
func ParseSeeds(s string) ([]uint64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty; write seeds like 1-1000, 7 or 1,5,9-12", ErrSeeds)
	}
	var seeds []uint64
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, err := parseItem(item)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrSeeds, s, err)
		}
		if hi-lo >= MaxSeeds || len(seeds)+int(hi-lo+1) > MaxSeeds {
			return nil, fmt.Errorf("%w %q: more than %d seeds", ErrSeeds, s, MaxSeeds)
		}
		for seed := lo; ; seed++ {
			seeds = append(seeds, seed)
			if seed == hi {
				break
			}
		}
	}
	slices.Sort(seeds)
	for i := 1; i < len(seeds); i++ {
		if seeds[i] == seeds[i-1] {
			return nil, fmt.Errorf("%w %q: seed %d is listed twice", ErrSeeds, s, seeds[i])
		}
	}
	return seeds, nil
}

// parseItem reads "7" as 7..7 and "9-12" as 9..12.
func parseItem(item string) (lo, hi uint64, err error) {
	if item == "" {
		return 0, 0, errors.New("an empty item (two commas, or one at an end)")
	}
	from, to, isRange := strings.Cut(item, "-")
	lo, err = parseSeed(from, item)
	if err != nil || !isRange {
		return lo, lo, err
	}
	hi, err = parseSeed(to, item)
	if err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %s is reversed; did you mean %d-%d?", item, hi, lo)
	}
	return lo, hi, nil
}

func parseSeed(s, item string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("range %q needs a seed on both sides of the dash", item)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a seed (a whole number from 0 to %d)", s, uint64(1<<64-1))
	}
	return n, nil
}
