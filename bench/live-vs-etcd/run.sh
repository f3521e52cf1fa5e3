#!/usr/bin/env bash
# Measure dsim's live Raft KV store against etcd on this machine: three
# members of each on loopback, separate data directories, fsync on,
# closed-loop writers of 64-byte values, rounds alternating between them.
#
#   bench/live-vs-etcd/run.sh [flags of main.go: --rounds 3 --duration 10s --writers 1,16 --dir DIR]
#
# Installs Debian's etcd-server with apt-get if no etcd is on the PATH
# (needs root or sudo). Run it on an otherwise idle machine: both systems
# share its cores and its disk.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v etcd >/dev/null 2>&1; then
	echo "etcd not found: installing Debian's etcd-server" >&2
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends etcd-server
	# Debian starts a system etcd on 2379/2380 where systemd runs; we use
	# other ports, so it does not matter.
fi
etcd_bin="$(command -v etcd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/live-vs-etcd-bin.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "building dsim and the benchmark" >&2
(cd "$root" && go build -o "$work/dsim" ./cmd/dsim)
(cd "$here" && go build -o "$work/live-vs-etcd" .)

"$work/live-vs-etcd" --etcd "$etcd_bin" --dsim "$work/dsim" "$@"
