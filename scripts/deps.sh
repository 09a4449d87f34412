#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what hogcount needs from Debian, only what is missing.
# Usage: scripts/deps.sh [--bench]   (--bench adds kmc, gnuplot, hyperfine,
# and bc, igzip and libdeflate-gunzip for scripts/bench_gzip.sh)
# dwgsim and ragout-examples feed cli.genome (reads simulated from a real
# genome), librsvg2-bin (rsvg-convert) makes histo --plot's PNG, chromium
# takes cli.plot's screenshot; those tests skip without them.  Open MPI
# builds hogcount-mpi and runs the mpi tests (label mpi); python3-mpi4py
# runs python/examples/mpi_count.py in one of them; iproute2 (ip) makes
# the simulated nodes of mpi.nodes (which skips without it or root).
set -euo pipefail

pkgs=(gcc make cmake pkgconf libatomic-ops-dev libxxhash-dev check zlib1g-dev
	libisal-dev liblzma-dev libbz2-dev libzstd-dev xz-utils bzip2 zstd
	liburcu-dev jellyfish clang-format python3 python3-numpy gzip perl
	dwgsim ragout-examples librsvg2-bin chromium clang libclang-rt-14-dev
	openmpi-bin libopenmpi-dev python3-mpi4py iproute2)
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(kmc gnuplot-nox hyperfine time bc isal libdeflate-tools)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
