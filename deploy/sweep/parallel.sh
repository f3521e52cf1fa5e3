#!/bin/bash
# A dsim sweep with GNU parallel: SHARDS shards, JOBS at a time, on this
# machine or (with --sshloginfile, see below) on every machine you can ssh
# to, then merged into the table the whole sweep prints.
#
#   SHARDS=8 JOBS=2 ./parallel.sh                 # here, two at a time
#   PARALLEL_OPTS='--sshloginfile pis.txt --return results/shard-{}.jsonl' ./parallel.sh
#
# pis.txt lists one ssh login per line (pi@10.0.0.11, ...). On remote
# machines dsim must be on the PATH; --return copies each shard's file back
# (or make RESULTS a shared NFS directory and leave it out).
set -euo pipefail

SCENARIO=${SCENARIO:-raft-election}
SEEDS=${SEEDS:-1-200}
SHARDS=${SHARDS:-4}
JOBS=${JOBS:-$SHARDS}
RESULTS=${RESULTS:-results}

mkdir -p "$RESULTS"
# shellcheck disable=SC2086 # PARALLEL_OPTS is a list of options
seq 1 "$SHARDS" | parallel --halt now,fail=1 --jobs "$JOBS" ${PARALLEL_OPTS:-} \
	dsim sweep "$SCENARIO" --seeds "$SEEDS" --shard "{}/$SHARDS" --out "$RESULTS/shard-{}.jsonl"
shards=()
for k in $(seq 1 "$SHARDS"); do shards+=("$RESULTS/shard-$k.jsonl"); done
exec dsim sweep merge "${shards[@]}"
