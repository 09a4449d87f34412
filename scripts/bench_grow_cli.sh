#!/bin/sh
# SPDX-License-Identifier: MIT
# count from the default start (growing) against --size presized to the
# final distinct keys: median wall of 3 runs, with that run's CPU time
# (user + system, which a loaded machine disturbs less than wall) and
# max RSS (/usr/bin/time %M: the largest of the parent and its
# workers), the table file.
# Usage: scripts/bench_grow_cli.sh HOGCOUNT READS.fq TEXT.txt
# Inputs used in docs/benchmarks.md:
#   gen_reads --reads 300000 --len 100 --genome 3000000 --seed 21
#   gen_text --bytes 30000000 --seed 22
set -eu
H=$1
R=$2
T=$3
run() { # name args...
	name=$1; shift
	for i in 1 2 3; do
		/usr/bin/time -f "%e %M %U %S" -o ${TMPDIR:-/tmp}/cb.time $H count -q -j 2 "$@" -o ${TMPDIR:-/tmp}/cb_$name.hc
		cat ${TMPDIR:-/tmp}/cb.time
	done | sort -n | sed -n 2p | { read e m u sy; sz=$(stat -c %s ${TMPDIR:-/tmp}/cb_$name.hc); l=$($H stats ${TMPDIR:-/tmp}/cb_$name.hc | awk '/^Load/{print $2}'); c=$($H stats ${TMPDIR:-/tmp}/cb_$name.hc | awk '/^Capacity/{print $2}'); echo "$name wall_median=$e cpu=$(echo "$u + $sy" | bc) maxrss_kB=$m file=$sz cap=$c load=$l"; }
}
run reads_grow --dna -k 21 -C "$R"
d=$($H stats ${TMPDIR:-/tmp}/cb_reads_grow.hc | awk '/^Distinct/{print $2}')
run reads_pre --dna -k 21 -C -s $d "$R"
run words_grow --words -k 3 "$T"
d=$($H stats ${TMPDIR:-/tmp}/cb_words_grow.hc | awk '/^Distinct/{print $2}')
run words_pre --words -k 3 -s $d "$T"
