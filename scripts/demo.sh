#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job on the bundled sample: build, count the order-4 byte
# fragments of examples/sample/*.txt with forked workers into one table,
# print the most frequent ones and the table's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHC_BUILD_TESTS=OFF \
	-DHC_BUILD_STRESS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=${TMPDIR:-/tmp}/hogcount-sample.hc
set -x
./build/hogcount count --order 4 --tokens bytes -o "$out" examples/sample/*.txt
./build/hogcount dump --top 20 "$out"
./build/hogcount stats "$out"
