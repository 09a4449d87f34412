#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# File sizes only (no timing): bytes a distinct key of the live and the
# compact layout (docs/design.md, "Compact files", "Byte keys") for word
# 2- and 3-grams and byte 12-grams of 20 MB of gen_text, and of each
# text FILE given.
#
# Usage: scripts/compact_sizes.sh [-b BUILD] [FILE...]
#   e.g. zcat /usr/share/doc/*/changelog*.gz | head -c 50000000 >chl.txt
#        scripts/compact_sizes.sh chl.txt
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = -b ]; then build=$2; shift 2; fi
hc=$build/hogcount
gen=$build/cli/tests/gen_text
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --bytes 20000000 --seed 1 >"$tmp/gen_text_20MB"
printf '%-24s %-14s %10s %10s %10s\n' input keys distinct live compact
for f in "$tmp/gen_text_20MB" "$@"; do
	for o in "--words -k 3" "--words -k 2" "--bytes -k 12"; do
		# shellcheck disable=SC2086
		"$hc" count $o -j 2 -q -o "$tmp/c.hc" "$f"
		# shellcheck disable=SC2086
		"$hc" count $o -j 2 -q --no-compact -o "$tmp/l.hc" "$f"
		d=$("$hc" stats "$tmp/c.hc" | awk '/^Distinct:/ { print $2 }')
		awk -v n="$(basename "$f")" -v o="$o" -v d="$d" \
			-v l="$(stat -c %s "$tmp/l.hc")" \
			-v c="$(stat -c %s "$tmp/c.hc")" 'BEGIN {
			printf "%-24s %-14s %10d %10.2f %10.2f\n", n, o, d,
				l / d, c / d }'
	done
done
