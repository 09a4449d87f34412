#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what hogcount needs from Debian 12, only what is missing, in
# tiers; each tier holds the one before it.
# Usage: scripts/deps.sh [build|test|bench]   (default: build)
#   build  the library, hogcount and scripts/demo.sh: a C compiler,
#          cmake, pkgconf, libatomic_ops and xxHash (the kernel), and
#          the decompression libraries (cli/: zlib, ISA-L, liblzma,
#          libbz2, libzstd).  Configure with -DHC_BUILD_TESTS=OFF
#          -DHC_BUILD_STRESS=OFF, as demo.sh does.
#   test   everything scripts/test.sh runs: Check and liburcu (unit and
#          stress tests), jellyfish (the k-mer oracle: cli tests fail
#          without it), clang and its sanitizer runtimes (the clang
#          build, the fuzz harnesses), clang-format and git (the format
#          check lists the tracked files), the compressors,
#          python3 with numpy, venv, pip and setuptools (the pip install
#          into a venv), Open MPI and mpi4py (hogcount-mpi, label mpi).
#          Optional tests skip with one line without theirs: dwgsim and
#          ragout-examples (cli.genome: reads simulated from a real
#          genome), librsvg2-bin (histo --plot's PNG), chromium
#          (cli.plot's screenshot); iproute2 (ip) makes the simulated
#          nodes of mpi.nodes (which skips without it or root).
#   bench  kmc, gnuplot, hyperfine and bc, igzip and libdeflate-gunzip,
#          IRSTLM's ngt, for scripts/bench_*.sh.
# --bench is the old name of the bench tier.
set -euo pipefail

tier=${1:-build}
[ "$tier" = --bench ] && tier=bench
case $tier in
build | test | bench) ;;
*)
	echo "usage: scripts/deps.sh [build|test|bench]" >&2
	exit 2
	;;
esac

pkgs=(gcc make cmake pkgconf libatomic-ops-dev libxxhash-dev zlib1g-dev
	libisal-dev liblzma-dev libbz2-dev libzstd-dev)
if [ "$tier" != build ]; then
	pkgs+=(check liburcu-dev jellyfish clang libclang-rt-14-dev
		clang-format git xz-utils bzip2 zstd gzip perl python3
		python3-numpy python3-venv python3-pip python3-setuptools
		python3-wheel openmpi-bin libopenmpi-dev python3-mpi4py
		dwgsim ragout-examples librsvg2-bin chromium iproute2)
fi
if [ "$tier" = bench ]; then
	pkgs+=(kmc gnuplot-nox hyperfine time bc isal libdeflate-tools irstlm)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: the $tier tier is installed" >&2
	exit 0
fi

echo "deps: the $tier tier needs ${#missing[@]} packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
