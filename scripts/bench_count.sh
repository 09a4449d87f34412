#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_count.sh - hogcount count beside jellyfish, KMC, sort | uniq -c
# and per-worker tables plus a merge, on generated data.  Not a test.
#
#   scripts/bench_count.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR holds hogcount and cli/tests/gen_reads, gen_text (a build
# with HC_BUILD_CLI=ON and HC_BUILD_TESTS=ON).  WORK_DIR (default
# /tmp/hc-bench-cli) gets the data (about 2.5 GB) and the outputs.
# Environment: READS (default 5000000 reads of 150 bases, 1.6 GB),
# TEXT_MB (default 500), SIZE (hash size for jellyfish -s, default
# 230M; hogcount grows from its default start), KS (k-mer lengths,
# default "21 31"), SORT_MB (text prefix given to sort | uniq -c,
# default all of it), ONLY (dna or text), KREPS (runs of hogcount and
# KMC per k, alternated, default 1; jellyfish runs once: its memory is
# the figure compared, fixed by -s).  The rates below are the medians.
#
# Memory: see scripts/bench_lib.sh.
set -eu
B=$(cd "$1" && pwd)
R=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-/tmp/hc-bench-cli}
READS=${READS:-5000000}
TEXT_MB=${TEXT_MB:-500}
SIZE=${SIZE:-230M}
KS=${KS:-21 31}
ONLY=${ONLY:-}
HC=$B/hogcount
mkdir -p "$W"
cd "$W"
export LC_ALL=C

. "$R/scripts/bench_lib.sh"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)" | tee results.md
echo "# hogcount $(git -C "$R" rev-parse --short HEAD 2>/dev/null || echo ?), $(jellyfish --version), $(kmc 2>&1 | head -1)" | tee -a results.md

if [ "$ONLY" != text ]; then
	[ -s reads.fq ] || "$B/cli/tests/gen_reads" --reads "$READS" --len 150 \
		--genome 50000000 --seed 1 --error 0.01 >reads.fq
	echo "# reads.fq: $(stat -L -c %s reads.fq) bytes" | tee -a results.md
	for K in $KS; do
		header "k = $K, canonical, 2 workers/threads (hogcount grows from its default start; jellyfish -s $SIZE; hogcount and KMC alternated, ${KREPS:-1} runs)"
		hc_walls= kmc_walls=
		for rep in $(seq "${KREPS:-1}"); do
			sync
			rm -f hc.hc
			run "hogcount count -k $K -C --dna -j 2" \
				"$HC" count --dna -k "$K" -C -j 2 -q -v -o hc.hc reads.fq
			hc_walls="$hc_walls $(cat last.wall)"
			hc_file=$(stat -c %s hc.hc)
			sed 's/^/# /' run.err | tee -a results.md
			[ "$rep" -gt 1 ] || "$HC" stats hc.hc | tee stats.txt
			total=$(awk '/^Total:/ { print $2 }' stats.txt)
			rm -f hc.hc
			rm -rf kmc.tmp kmcdb.*
			mkdir kmc.tmp
			sync
			run "kmc -k$K -t2 -ci1 -cs4294967295" \
				kmc -k"$K" -t2 -ci1 -cs4294967295 reads.fq kmcdb kmc.tmp
			kmc_walls="$kmc_walls $(cat last.wall)"
			kmc_file=$(cat kmcdb.kmc_pre kmcdb.kmc_suf | wc -c)
			rm -rf kmc.tmp kmcdb.*
		done
		hc_wall=$(median $hc_walls)
		kmc_wall=$(median $kmc_walls)
		sync
		run "jellyfish count -m $K -C -t 2 -s $SIZE" \
			jellyfish count -m "$K" -C -t 2 -s "$SIZE" -o jf.jf reads.fq
		jf_wall=$(cat last.wall)
		jf_file=$(stat -c %s jf.jf)
		rm -f jf.jf
		echo | tee -a results.md
		for t in hc:$hc_wall:$hc_file jf:$jf_wall:$jf_file \
			kmc:$kmc_wall:$kmc_file; do
			n=${t%%:*} f=${t##*:} w=${t#*:}
			w=${w%:*}
			printf '%s: %.1f M k-mers/s, output %.2f GB\n' "$n" \
				"$(echo "$total / $w / 1000000" | bc -l)" \
				"$(echo "$f / 1000000000" | bc -l)"
		done | tee -a results.md
	done
fi

if [ "$ONLY" != dna ]; then
	if [ ! -s text.txt ]; then
		"$B/cli/tests/gen_text" --bytes $((TEXT_MB * 1000000)) --seed 1 \
			--vocab 200000 >text.txt
	fi
	size=$(stat -c %s text.txt)
	half=$((size / 2))
	# Two halves cut at a line end, for the per-worker-tables run.
	head -c $half text.txt >h1.txt
	tail -c +$((half + 1)) text.txt >h2.txt
	echo "# text.txt: $size bytes" | tee -a results.md
	for tok in "--bytes -k 4" "--bytes -k 8" "--words -k 3"; do
		header "text, $tok"
		rm -f t.hc a.hc b.hc m.hc
		sync
		run "hogcount count $tok -j 2" "$HC" count $tok -j 2 -q -v \
			-o t.hc text.txt
		sed 's/^/# /' run.err | tee -a results.md
		"$HC" stats t.hc | head -3 | sed 's/^/# /' | tee -a results.md
		rm -f t.hc
		# The seed's design: private tables per worker, then a merge.
		cat >pw.sh <<EOS
"$HC" count $tok -j 1 -q -o a.hc h1.txt &
"$HC" count $tok -j 1 -q -o b.hc h2.txt &
wait
"$HC" merge -o m.hc a.hc b.hc
EOS
		run "per-worker tables + merge" sh pw.sh
		rm -f a.hc b.hc m.hc
		# sort | uniq -c on the fragments, one per line.
		src=text.txt
		if [ -n "${SORT_MB:-}" ]; then
			head -c $((SORT_MB * 1000000)) text.txt >sortin.txt
			src=sortin.txt
		fi
		case $tok in
		"--bytes -k "*)
			k=${tok##* }
			cat >su.sh <<EOS
perl -e 'local \$/; my \$d = <STDIN>; my \$k = $k;
	for (my \$i = 0; \$i + \$k <= length(\$d); \$i++) {
		my \$s = substr(\$d, \$i, \$k); \$s =~ s/\n/\\\\n/g; print "\$s\n" }' <$src |
	sort -S 4G --parallel=2 | uniq -c >su.out
EOS
			;;
		*)
			cat >su.sh <<EOS
tr -s ' \t\r\n' '\n\n\n\n' <$src |
	awk 'NR > 2 { print a " " b " " \$0 } { a = b; b = \$0 }' |
	sort -S 4G --parallel=2 | uniq -c >su.out
EOS
			;;
		esac
		run "sort | uniq -c ($(stat -c %s $src) bytes)" sh su.sh
		rm -f su.out
	done
fi
