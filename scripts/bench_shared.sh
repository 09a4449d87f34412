#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_shared.sh - one shared table against per-worker tables plus a
# merge, for text n-grams of every order.  Not a test.
#
#   scripts/bench_shared.sh HOGCOUNT TEXT_FILE... [-- OLD_HOGCOUNT]
#
# For byte fragments of order 1 to 8 and word n-grams of order 1 to 3,
# times (median of $REPS, default 3; wall seconds and user+system CPU):
#   shared   hogcount count -j 2 of all files into one table
#   private  the files split in two halves, one `count -j 1` each, in
#            parallel, then `merge` (the seed user's design)
#   old      OLD_HOGCOUNT's shared count, when given (a build without
#            the change under test)
# The dumps of shared and private are compared: a difference fails.
# Environment: REPS, ORDERS (default "b1 b2 b3 b4 b5 b6 b8 w1 w2 w3").
set -eu
hc=$1
shift
files=""
old=""
while [ $# -gt 0 ]; do
	if [ "$1" = "--" ]; then
		old=$2
		break
	fi
	files="$files $1"
	shift
done
REPS=${REPS:-3}
ORDERS=${ORDERS:-b1 b2 b3 b4 b5 b6 b8 w1 w2 w3}
tmp=$(mktemp -d /tmp/bench-shared.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
set -- $files
n=$#
half=$(((n + 1) / 2))
a="" b="" i=0
for f in $files; do
	i=$((i + 1))
	if [ $i -le $half ]; then a="$a $f"; else b="$b $f"; fi
done
[ -n "$b" ] || { echo "bench_shared.sh: give at least 2 files" >&2; exit 2; }

# t CMD...: "wall cpu" of CMD (sh -c), GNU time.
t() {
	/usr/bin/time -f "%e %U %S" -o "$tmp/time" sh -c "$*" >/dev/null
	awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$tmp/time"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores; $n files, $(cat $files | wc -c) bytes; median of $REPS"
echo "| order | shared wall | private+merge wall | shared / private | shared CPU | private CPU |${old:+ old shared wall | new / old |}"
echo "|---|--:|--:|--:|--:|--:|${old:+--:|--:|}"
for o in $ORDERS; do
	case $o in
	b*) tok="--bytes -k ${o#b}" ;;
	w*) tok="--words -k ${o#w}" ;;
	esac
	: >"$tmp/s" && : >"$tmp/p" && : >"$tmp/o"
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		rm -f "$tmp"/*.hc
		t "$hc count -q $tok -j 2 -o $tmp/s.hc $files" >>"$tmp/s"
		t "$hc count -q $tok -j 1 -o $tmp/a.hc $a & $hc count -q $tok -j 1 -o $tmp/b.hc $b; wait; $hc merge -o $tmp/p.hc $tmp/a.hc $tmp/b.hc" >>"$tmp/p"
		if [ -n "$old" ]; then
			t "$old count -q $tok -j 2 -o $tmp/o.hc $files" >>"$tmp/o"
		fi
	done
	if [ "$($hc dump --sort $tmp/s.hc | md5sum)" != "$($hc dump --sort $tmp/p.hc | md5sum)" ]; then
		echo "bench_shared.sh: $o: shared and private+merge differ" >&2
		exit 1
	fi
	sw=$(cut -d' ' -f1 "$tmp/s" | median)
	pw=$(cut -d' ' -f1 "$tmp/p" | median)
	sc=$(cut -d' ' -f2 "$tmp/s" | median)
	pc=$(cut -d' ' -f2 "$tmp/p" | median)
	line="| $tok | $sw | $pw | $(echo "$sw $pw" | awk '{printf "%.2f", $1 / $2}') | $sc | $pc |"
	if [ -n "$old" ]; then
		ow=$(cut -d' ' -f1 "$tmp/o" | median)
		line="$line $ow | $(echo "$sw $ow" | awk '{printf "%.2f", $1 / $2}') |"
	fi
	echo "$line"
done
