#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Counting a gzip FASTQ against decompressing it (issue 11, target 5):
# `zcat FILE > /dev/null` is the bar; hogcount counts canonical 21-mers
# with 2 workers, gzip inflated by ISA-L and by zlib
# (HOGCOUNT_INFLATE=zlib), and the plain file for reference.  The
# inflaters alone: libdeflate-gunzip (libdeflate-tools) and igzip (isal)
# where installed.  Median of REPS runs of each, in one script.  The
# counts are timed with the default table size (which, for a stream,
# comes from the compressed size: see docs/cli.md) and with --size
# given, as a user who knows the genome would, which isolates reading
# from sizing.
# Usage: scripts/bench_gzip.sh BUILD_DIR [READS] [REPS] [SIZE]
set -euo pipefail
build=$(cd "$1" && pwd)
reads=${2:-1000000}
reps=${3:-3}
size=${4:-32M}
hc=$build/hogcount
dir=${HC_BENCH_DIR:-$build/bench-gzip}
mkdir -p "$dir"
cd "$dir"
if [ ! -s r.fq.gz ]; then
	"$build/cli/tests/gen_reads" --reads "$reads" --len 150 \
		--genome 2000000 --seed 11 >r.fq
	gzip -6 -c r.fq >r.fq.gz
fi
ls -l r.fq r.fq.gz | awk '{ printf "%s %d bytes\n", $NF, $5 }'

# median SECONDS of reps runs of "$@"
med() {
	local t=()
	for _ in $(seq "$reps"); do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t+=("$(echo "$e - $s" | bc)")
	done
	printf '%s\n' "${t[@]}" | sort -n | awk '{ a[NR] = $1 }
		END { printf "%.2f", a[int((NR + 1) / 2)] }'
}
count() { "$hc" count --dna -k 21 -C -j 2 -q -o out.hc "$@"; }
isal_default() { count r.fq.gz; }
isal_count() { count -s "$size" r.fq.gz; }
zlib_count() { HOGCOUNT_INFLATE=zlib count -s "$size" r.fq.gz; }
plain_count() { count -s "$size" r.fq; }
zc=$(med sh -c 'zcat r.fq.gz >/dev/null')
row() { printf '| %s | %s s | %.2fx |\n' "$1" "$2" "$(echo "$2 / $zc" | bc -l)"; }
echo "| what | median of $reps | / zcat |"
echo "|---|---|---|"
row "zcat r.fq.gz > /dev/null" "$zc"
if command -v libdeflate-gunzip >/dev/null; then
	row "libdeflate-gunzip -c r.fq.gz > /dev/null" \
		"$(med sh -c 'libdeflate-gunzip -c r.fq.gz >/dev/null')"
fi
if command -v igzip >/dev/null; then
	row "igzip -dc r.fq.gz > /dev/null" \
		"$(med sh -c 'igzip -dc r.fq.gz >/dev/null')"
fi
row "hogcount count, ISA-L, default size" "$(med isal_default)"
row "hogcount count -s $size, ISA-L" "$(med isal_count)"
row "hogcount count -s $size, zlib" "$(med zlib_count)"
row "hogcount count -s $size, plain r.fq" "$(med plain_count)"
