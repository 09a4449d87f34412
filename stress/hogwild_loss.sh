#!/bin/sh
# SPDX-License-Identifier: MIT
#
# hogwild_loss.sh - the measured price of HogWild mode: the fraction of
# increments lost per workload, each run verified by hcstress (no count
# above what the streams imply, no key lost entirely, clean iteration).
#
#   stress/hogwild_loss.sh [BUILD_DIR] [OPS_PER_WORKER]
#
# Prints a markdown table; the JSON lines go to stderr.
set -eu

build=${1:-build}
ops=${2:-200k}
h="$build/stress/hcstress"

echo "| keys | distribution | table | workers | batch | cache | ops | lost | lost fraction |"
echo "|---|---|---|--:|--:|--:|--:|--:|--:|"
run() {
	label_keys=$1 label_dist=$2 label_table=$3
	shift 3
	line=$("$h" --quiet --mode hogwild --ops "$ops" "$@")
	echo "$line" >&2
	echo "$line" | jq -r --arg k "$label_keys" --arg d "$label_dist" \
		--arg t "$label_table" '
		if .ok != true then error("hcstress failed: \(.)") else . end
		| "| \($k) | \($d) | \($t) | \(.workers) | \(.batch) | \(if .cache > 0 then .cache else "-" end) | \(.ops_done) | \(.lost) | \(.lost_fraction * 1e6 | round / 1e4)% |"'
}
for w in 2 8 32; do
	for b in 1 64; do
		run u64 "uniform, 32768 ids" "64Ki slots" --workers $w --batch $b
		run u64 "zipf s=1.0, 32768 ids" "64Ki slots" --workers $w --batch $b --dist zipf
		run u64 "zipf s=1.2, 32768 ids" "64Ki slots" --workers $w --batch $b --dist zipf --zipf-s 1.2
		run u64 "hot: 4 keys take 90%" "64Ki slots" --workers $w --batch $b --dist hot
	done
	# The same batches through a delta cache per worker (hc_cache):
	# hot keys meet one relaxed update a flush, not one an add.
	run u64 "zipf s=1.0, 32768 ids" "64Ki slots" --workers $w --batch 64 --dist zipf --cache 8192
	run u64 "hot: 4 keys take 90%" "64Ki slots" --workers $w --batch 64 --dist hot --cache 8192
	run u64 "uniform, 4M ids" "16Mi slots" --workers $w --capacity 16Mi --keyspace 4M
	run u64 "zipf s=1.0, 4M ids" "16Mi slots" --workers $w --capacity 16Mi --keyspace 4M --dist zipf
	run bytes "zipf s=1.0, 32768 ids" "64Ki slots" --workers $w --keys bytes --dist zipf
done
