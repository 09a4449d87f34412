#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer harnesses (clang, ASan+UBSan) and run each one on a
# copy of its seed corpus.  Any crash, leak, sanitizer report or timeout
# fails the run and leaves the reproducer in $out/artifacts/.
#
# Usage: scripts/fuzz.sh [-t SECONDS] [-j JOBS] [--seeds] [HARNESS...]
#   -t SECONDS  time per harness (default 10: the CI smoke)
#   -j JOBS     parallel fuzzing jobs per harness (default 1)
#   --seeds     regenerate fuzz/corpus/fuzz_table/ (after a format change)
# A long campaign: scripts/fuzz.sh -t 3600 -j 2 (new inputs it finds are
# kept in $out/corpus/<harness>/, not in the tree).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
secs=10 jobs=1 seeds=0 only=()
while [ $# -gt 0 ]; do
	case "$1" in
	-t) secs=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	--seeds) seeds=1; shift ;;
	-h|--help) sed -n '3,12p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) only+=("$1"); shift ;;
	esac
done
out=${HC_FUZZ_DIR:-${HC_TEST_DIR:-$top/build-test}/fuzz}
mkdir -p "$out" && out=$(cd "$out" && pwd)
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (scripts/deps.sh test)" >&2; exit 1; }

CC=clang cmake -S . -B "$out/build" -DHC_FUZZ=ON \
	-DHC_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug \
	-DHC_BUILD_TESTS=OFF -DHC_BUILD_STRESS=OFF -DHC_BUILD_CLI=OFF >/dev/null
cmake --build "$out/build" -j"$(nproc)" >/dev/null

if [ "$seeds" = 1 ]; then
	rm -rf fuzz/corpus/fuzz_table && mkdir -p fuzz/corpus/fuzz_table
	"$out/build/fuzz/make_seeds" fuzz/corpus/fuzz_table
fi

harnesses=("${only[@]}")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
fi
mkdir -p "$out/artifacts"
status=0
for h in "${harnesses[@]}"; do
	mkdir -p "$out/corpus/$h"
	log="$out/$h.log"
	printf 'fuzz %-22s %5ss ' "$h" "$secs"
	# The first corpus directory receives new inputs; the seeds in the
	# tree are only read.
	if (cd "$out" && "$out/build/fuzz/$h" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -jobs="$jobs" -workers="$jobs" \
		-artifact_prefix="$out/artifacts/$h-" -print_final_stats=1 \
		"$out/corpus/$h" "$top/fuzz/corpus/$h") >"$log" 2>&1; then
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
			awk '{s+=$2} END {print s+0}')
		echo "ok ($cov, $execs runs)"
	else
		echo "FAILED: see $log"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log" || true
		status=1
	fi
done
exit $status
