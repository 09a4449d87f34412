#!/bin/bash
# SPDX-License-Identifier: MIT
# What an add costs in two builds of the kernel, A and B (for issue 22:
# before and after the key kinds went behind one table of operations).
#
#   scripts/bench_kinds.sh SRC_A BUILD_A SRC_B BUILD_B [REPS]
#
# SRC_*: source trees (for include/hogcount.h); BUILD_*: their
# RelWithDebInfo builds (kernel/libhogcount.a, stress/bench_table).
#  1. instructions per add under callgrind (stress/add_cost.c, built
#     against each static library): each kind, single adds and one
#     batch, a fixed table and a growing one; deterministic, so one run;
#  2. bench_table, 2 workers, a 1 GiB table and a 512 KiB one, A and B
#     interleaved REPS times (default 3; 0 skips it), medians.
# Prints markdown tables.  Run it alone: any other load on the machine
# changes the second table (the first does not move).
set -eu
SA=$(cd "$1" && pwd); BA=$(cd "$2" && pwd)
SB=$(cd "$3" && pwd); BB=$(cd "$4" && pwd)
REPS=${5:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
DRIVER=$(cd "$(dirname "$0")/.." && pwd)/stress/add_cost.c

for v in A B; do
	s=S$v; b=B$v
	cc -O2 -I"${!s}/include" "$DRIVER" "${!b}/kernel/libhogcount.a" \
		-lxxhash -pthread -o "$W/add_cost.$v"
done

echo "| kind | adds | table | A Ir/add | B Ir/add | B/A |"
echo "|---|---|---|--:|--:|--:|"
for kind in u64 packed bytes dense; do
	for how in single batch; do
		case $kind/$how in
		bytes/single) fn=hc_add_bytes ;;
		bytes/batch) fn=hc_add_bytes_batch ;;
		*/single) fn=hc_add ;;
		*) fn=hc_add_batch ;;
		esac
		for grow in fixed grow; do
			[ $kind = dense ] && [ $grow = grow ] && continue
			for v in A B; do
				valgrind --tool=callgrind --toggle-collect=$fn \
					--callgrind-out-file="$W/cg.$v" \
					"$W/add_cost.$v" $kind $how $grow \
					>/dev/null 2>"$W/cg.$v.err"
				eval "ir_$v=$(awk '/^(summary|totals):/ {print $2; exit}' "$W/cg.$v")"
			done
			echo "| $kind | $how | $grow | $(echo "scale=1; $ir_A / 200000" | bc) | $(echo "scale=1; $ir_B / 200000" | bc) | $(echo "scale=3; $ir_B / $ir_A" | bc) |"
		done
	done
done

[ "$REPS" -gt 0 ] || exit 0
for r in $(seq "$REPS"); do
	for v in A B; do
		b=B$v
		"${!b}/stress/bench_table" --workers 2 --ops 4M --reps 3 \
			--table-bytes 1Gi 2>/dev/null | tail -1 >"$W/bt.$v.$r.json"
	done
done
echo
python3 - "$W" "$REPS" <<'EOF'
import json, statistics, sys
w, reps = sys.argv[1], int(sys.argv[2])
res = {}
for v in "AB":
    for r in range(1, reps + 1):
        for x in json.load(open(f"{w}/bt.{v}.{r}.json"))["results"]:
            res.setdefault((x["table"], x["method"]), {}).setdefault(
                v, []).append(x["mops"])
print("| table | method | A M adds/s | B M adds/s | B/A |")
print("|---|---|--:|--:|--:|")
for (t, m), d in res.items():
    a, b = statistics.median(d["A"]), statistics.median(d["B"])
    print(f"| {t} | {m} | {a:.1f} ({', '.join(f'{x:.1f}' for x in d['A'])})"
          f" | {b:.1f} ({', '.join(f'{x:.1f}' for x in d['B'])})"
          f" | {b / a:.2f} |")
EOF
