#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run_bench.sh - the whole benchmark: bench_table (issue 2) and
# bench_compare (issue 3), then markdown tables and the plot.
#
#   stress/run_bench.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR holds stress/bench_table and stress/bench_compare (default
# build).  OUT_DIR (default docs/bench) receives bench_table.json,
# bench_compare.json, bench_table.md, bench_compare.md and
# machine.txt; the plot goes to docs/bench_workers.png.  Needs jq and
# gnuplot.  HC_BENCH_QUICK=1 runs a small version (a minute) to check
# the pipeline; HC_BENCH_REPORT_ONLY=1 only remakes the tables and the
# plot from the JSON already in OUT_DIR.  A full run takes about 11
# minutes on 2 cores.
set -eu

build=${1:-build}
out=${2:-docs/bench}
png=${HC_BENCH_PNG:-docs/bench_workers.png}
mkdir -p "$out" "$(dirname "$png")"

if [ "${HC_BENCH_QUICK:-0}" = 1 ]; then
	table_args="--table-bytes 64Mi --ops 1M --reps 1"
	compare_args="--large-bytes 16Mi --duration 0.1 --reps 1"
else
	table_args="--ops 8M --reps 5"
	compare_args="--large-bytes 256Mi --duration 0.3 --reps 3"
fi

if [ "${HC_BENCH_REPORT_ONLY:-0}" != 1 ]; then
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
	echo "kernel: $(uname -r)"
	echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	for k in /sys/kernel/mm/damon/admin/kdamonds/*/contexts/*/schemes/*/action; do
		[ -f "$k" ] && echo "damon scheme: $(cat "$k")"
	done
	echo "bench_table $table_args"
	echo "bench_compare $compare_args"
} >"$out/machine.txt"
cat "$out/machine.txt"
start=$(date +%s)

# shellcheck disable=SC2086
"$build/stress/bench_table" $table_args >"$out/bench_table.json"
# shellcheck disable=SC2086
"$build/stress/bench_compare" $compare_args >"$out/bench_compare.json"
fi

# ---- bench_table.md ------------------------------------------------------
jq -r '
	"Table \(.table_bytes / 1048576) MiB (large; LLC reported \(.llc_bytes / 1048576 | floor) MiB) and \(.cache_bytes / 1024) KiB (cache); \(.ops) adds per worker per round, batch \(.batch), median of \(.reps).  vs limit: against the plain-add limit; vs best: against the faster of the plain and the locked-add limit.",
	"",
	"| table | method | workers | M ops/s | min..max | vs limit | vs best |",
	"|---|---|--:|--:|--:|--:|--:|",
	(.results as $r | $r[]
	 | . as $x
	 | ([$r[] | select(.table == $x.table and .workers == $x.workers and (.method == "limit" or .method == "limit_atomic")) | .mops] | max) as $best
	 | "| \(.table) | \(.method) | \(.workers) | \(.mops * 100 | round / 100) | \(.min * 10 | round / 10)..\(.max * 10 | round / 10) | \(.vs_limit * 100 | round)% | \(.mops / $best * 100 | round)% |")
' "$out/bench_table.json" >"$out/bench_table.md"

# ---- bench_compare.md ----------------------------------------------------
jq -r '
	def r2: . * 100 | round / 100;
	def pct: . * 100 | round | tostring + "%";
	def x1: . * 10 | round / 10 | tostring + "x";
	.results as $r
	| ($r | map(.workers) | unique) as $ws
	| ($r | map({table, keys}) | unique | sort_by(.table != "large", .keys)) [] as $g
	| "#### \($g.table) table, \($g.keys) keys",
	  "",
	  "| method | " + ($ws | map("\(.) w M ops/s") | join(" | ")) + " | vs limit (2 w) | vs rculfhash (2 w) | memory, 8 w (MiB) |",
	  "|---|" + ($ws | map("--:") | join("|")) + "|--:|--:|--:|",
	  ( $r | map(select(.table == $g.table and .keys == $g.keys)) | group_by(.method)
	    | sort_by(.[0].method | {"limit":0,"hc_batch_exact":1,"hc_batch_hogwild":2,"hc_single_exact":3,"hc_single_hogwild":4,"private_merge":5,"rculfhash":6}[.]) []
	    | . as $m
	    | ($m | map(select(.workers == 2)) | .[0]) as $two
	    | ($m | max_by(.workers)) as $big
	    | "| \($m[0].method) | " + ($ws | map(. as $w | ($m | map(select(.workers == $w)) | .[0].mops // 0 | r2 | tostring)) | join(" | "))
	      + " | \(($two.vs_limit // 0) | pct) | \(($two.vs_rculfhash // 0) | x1) | \($big.peak_bytes / 1048576 | round) |"
	  ),
	  ""
' "$out/bench_compare.json" >"$out/bench_compare.md"

# ---- the plot: rate against workers, out of cache --------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
methods="limit hc_batch_exact hc_batch_hogwild hc_single_exact hc_single_hogwild private_merge rculfhash"
for keys in uniform zipf; do
	for m in $methods; do
		jq -r --arg k "$keys" --arg m "$m" '
			.results[] | select(.table == "large" and .keys == $k and .method == $m)
			| "\(.workers) \(.mops)"' "$out/bench_compare.json" >"$tmp/$keys.$m.dat"
	done
done
large=$(jq -r '.large_bytes / 1048576' "$out/bench_compare.json")
{
	echo "set terminal pngcairo size 1200,520 font 'sans,10' noenhanced"
	echo "set output '$png'"
	echo "set multiplot layout 1,2 title 'hogcount vs alternatives: ${large} MiB table, $(nproc) cores (median M ops/s)'"
	echo "set xlabel 'workers'; set ylabel 'M ops/s'; set logscale y; set grid"
	echo "set logscale x 2; set xrange [0.8:10]; set xtics (1,2,4,8); set key outside bottom center horizontal maxrows 2"
	for keys in uniform zipf; do
		echo "set title '$keys keys'"
		printf "plot "
		sep=""
		for m in $methods; do
			printf "%s'%s' using 1:2 with linespoints lw 2 title '%s'" \
				"$sep" "$tmp/$keys.$m.dat" "$m"
			sep=", "
		done
		echo
	done
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"

echo
cat "$out/bench_table.md"
echo
cat "$out/bench_compare.md"
echo "plot: $png"
if [ "${HC_BENCH_REPORT_ONLY:-0}" != 1 ]; then
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); $(($(date +%s) - start)) s" | tee -a "$out/machine.txt"
fi
