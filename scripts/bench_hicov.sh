#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_hicov.sh - 21-mers of very high coverage reads (1 M reads of 150
# bases from a 100 kb genome: 1500x, so nearly every add hits a key
# whose count is in the thousands), two hogcount builds side by side,
# -j 1 and -j 2, interleaved.  Not a test: it prints GNU time's wall,
# user and system seconds and max RSS (KB) of each run.
#
#   scripts/bench_hicov.sh A/hogcount B/hogcount GEN_READS [WORK_DIR] [REPS]
#
# GEN_READS: a build's cli/tests/gen_reads.  WORK_DIR (default
# /tmp/hc-hicov) gets the 316 MB of reads.  REPS defaults to 3.
set -eu
A=$1 B=$2 G=$3 W=${4:-/tmp/hc-hicov} REPS=${5:-3}
mkdir -p "$W"
[ -s "$W/hi.fq" ] || "$G" --reads 1000000 --len 150 --genome 100000 \
	--seed 2 --error 0.01 >"$W/hi.fq"
for j in 1 2; do
	r=0
	while [ $r -lt "$REPS" ]; do
		for h in "$A" "$B"; do
			/usr/bin/time -f "$h -j $j: %e s wall, %U s user, %S s sys, %M KB" \
				"$h" count --dna -k 21 -C -j $j -q -o "$W/x.hc" \
				"$W/hi.fq"
		done
		r=$((r + 1))
	done
done
rm -f "$W/x.hc"
