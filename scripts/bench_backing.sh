#!/bin/bash
# SPDX-License-Identifier: MIT
# Growth-heavy counts with two builds of hogcount, A and B (for issue
# 21: before and after every region is backed before it is published):
# median wall of 5 interleaved runs each, 2 workers, no size given,
# --no-compact; then the counts compared.
# Usage: scripts/bench_backing.sh HOGCOUNT_A HOGCOUNT_B DIR
#   DIR holds r.fq (gen_reads --reads 600000 --len 100 --genome 6000000
#   --seed 21) and t.txt (gen_text --bytes 30000000 --seed 22).
set -eu
A=$1; B=$2; cd "$3"
med() { sort -n | sed -n 3p; }
run() {
	for v in A B; do : >$v.times; done
	for i in 1 2 3 4 5; do
		for v in A B; do
			H=${!v}
			s=$(date +%s.%N)
			$H count -q -j 2 --no-compact "$@" -o $v.hc
			echo "$(date +%s.%N) - $s" | bc >>$v.times
		done
	done
	echo "$*: A median $(med <A.times) s, B median $(med <B.times) s; ratio B/A $(echo "scale=3; $(med <B.times) / $(med <A.times)" | bc)"
}
run --dna -k 21 -C r.fq
run --words -k 3 t.txt
cmp <($A dump --sort A.hc) <($B dump --sort B.hc) && echo "same counts"
