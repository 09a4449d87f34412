#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job on the bundled sample: build, count the order-4 byte
# fragments of examples/sample/*.txt with forked workers into one table,
# print the most frequent ones and the table's figures.  Installs only
# the build tier (scripts/deps.sh build) and writes only under build/.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s ==\n' "$*"; }

step "packages: the build tier (scripts/deps.sh build)"
scripts/deps.sh build
step "configure and build the library and hogcount (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHC_BUILD_TESTS=OFF \
	-DHC_BUILD_STRESS=OFF
cmake --build build -j"$(nproc)"
step "count, dump, stats"
mkdir -p build/demo
out=build/demo/sample.hc
set -x
./build/hogcount count --order 4 --tokens bytes -o "$out" examples/sample/*.txt
./build/hogcount dump --top 20 "$out"
./build/hogcount stats "$out"
