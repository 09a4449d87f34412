#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench_shmem_thp.sh - what shared huge pages are worth to `hogcount
# count`: the same count with the system's transparent huge pages for
# shared memory off (shmem_enabled = never) and at `advise` (hogcount
# advises its table MADV_HUGEPAGE, and collapses it into huge pages
# whatever the setting; docs/design.md, "Huge pages"), alternating, REPS
# times each, with KMC 3 on the same file in the same minutes as the
# comparator.  With BASE_BUILD_DIR (a build from before 2db2a28, which
# did not collapse), that build's count at `never` too: 4 KiB pages.
# Not a test: it prints medians.
#
#   scripts/bench_shmem_thp.sh BUILD_DIR FASTQ [K] [REPS] [BASE_BUILD_DIR]
#
# Needs root (it writes /sys/kernel/mm/transparent_hugepage/shmem_enabled
# and puts the setting back on exit, whatever happens) and kmc.  Run it
# alone: any other load changes every figure.
set -euo pipefail
B=$(cd "$1" && pwd)
R=$(cd "$(dirname "$0")/.." && pwd)
fq=$(realpath "$2")
k=${3:-21}
reps=${4:-3}
base=${5:+$(cd "$5" && pwd)}
knob=/sys/kernel/mm/transparent_hugepage/shmem_enabled
if [ ! -w "$knob" ]; then
	echo "bench_shmem_thp.sh: $knob is not writable (root, and a kernel with shmem THP)" >&2
	exit 2
fi
was=$(sed 's/.*\[\(.*\)\].*/\1/' "$knob")
dir=$(mktemp -d)
trap 'echo "$was" > "$knob"; rm -rf "$dir"' EXIT
cd "$dir"

# one run: wall and user+sys CPU seconds, and the count's own phases
one() {
	/usr/bin/time -f "%e %U %S" -o t.txt "$@" >out.txt 2>&1
	awk '{ printf "%s %.1f", $1, $2 + $3 }' t.txt
}
hc=(count --dna -k "$k" -C -j 2 -v -o hc.hc "$fq")
kmc=(kmc -k"$k" -t2 -ci1 -cs4294967295 "$fq" kmcdb kmc.tmp)

echo "# shmem THP: hogcount $(git -C "$R" rev-parse --short HEAD), k = $k, $(basename "$fq"), $(date -u '+%F %H:%M UTC'), setting was '$was'"
echo "| rep | setting | wall s | CPU s | counted / saved s |"
echo "|---|---|--:|--:|---|"
for r in $(seq "$reps"); do
	for s in never advise ${base:+base}; do
		bin=$B/hogcount
		if [ "$s" = base ]; then
			bin=$base/hogcount
			echo never >"$knob"
		else
			echo "$s" >"$knob"
		fi
		read -r w c <<<"$(one "$bin" "${hc[@]}")"
		ph=$(sed -n 's/.*counted in \([0-9.]*\) s, saved in \([0-9.]*\) s.*/\1 \/ \2/p' out.txt)
		echo "| $r | $s | $w | $c | $ph |"
		echo "$s $w" >>walls.txt
	done
	echo "$was" >"$knob"
	mkdir -p kmc.tmp
	read -r w c <<<"$(one "${kmc[@]}")"
	echo "| $r | KMC 3 | $w | $c | |"
	echo "kmc $w" >>walls.txt
	rm -rf kmc.tmp kmcdb.*
done
med() {
	awk -v s="$1" '$1 == s { print $2 }' walls.txt | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }'
}
n=$(med never)
a=$(med advise)
m=$(med kmc)
echo
echo "medians: never $n s, advise $a s ($(echo "$a / $n" | bc -l | cut -c1-4)x), KMC $m s; hogcount / KMC: never $(echo "$n / $m" | bc -l | cut -c1-4)x, advise $(echo "$a / $m" | bc -l | cut -c1-4)x"
if [ -n "$base" ]; then
	o=$(med base)
	echo "base build at never: $o s; never / base $(echo "$n / $o" | bc -l | cut -c1-4)x; base / KMC $(echo "$o / $m" | bc -l | cut -c1-4)x"
fi
