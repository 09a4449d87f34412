#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench_issue11.sh - issue 11's five targets measured in one run, each
# beside its comparator on the same machine at the same time.  Not a
# test: it asserts nothing, it prints ratios.
#
#   scripts/bench_issue11.sh BUILD_DIR [WORK_DIR]
#
#  1. adds at the limit: stress/bench_table, 2 workers, a table at least
#     8x the last-level cache and one of 512 KiB: batched exact adds
#     against the plain prefetched array (out of cache) and the atomic
#     array (in cache); HogWild against exact;
#  2. k-mers: k = 21 and 31 canonical, 2 workers/threads, hogcount's
#     peak memory against Jellyfish 2's and its wall time against KMC 3's
#     (scripts/bench_count.sh; hogcount and KMC alternated REPS times,
#     medians; jellyfish once), on two read sets:
#       gen  the read set bench_count.sh generates (5 M reads, 1.6 GB);
#       real reads dwgsim simulates (2 x 150 bp, 1% errors, 50x) from two
#            real genomes Debian ships in ragout-examples, E. coli K-12
#            MG1655 and S. aureus COL (0.8 GB);
#  3. files: the same runs' output sizes against KMC's database;
#  4. text: python/bench/bench_seed.py on its 800 MB corpus, k = 4, 6 and 8:
#     the original question's Counter-per-file Pool against `hogcount
#     count` and the Python path (one seed run, REPS of the others);
#  5. gzip: scripts/bench_gzip.sh on one gzip FASTQ of the real set
#     (dwgsim's own .fastq.gz, E. coli read 1) against `zcat`.
#
# BUILD_DIR: a RelWithDebInfo build with the CLI and its test tools
# (cli/tests/gen_reads, gen_text).  WORK_DIR (default /tmp/hc-issue11)
# gets the data (about 6 GB) and the raw outputs; the summary is
# WORK_DIR/summary.md.  Needs jellyfish, kmc, dwgsim, ragout-examples
# and python3-numpy (scripts/deps.sh bench installs them).
#
# Environment: REPS (default 3), ONLY (targets to run, default
# "1 2 4 5"; 3 comes with 2), QUICK=1 (small data and one repetition:
# checks the pipeline in a few minutes, its figures mean nothing).
# Run it alone: any other load on the machine changes every figure.
set -euo pipefail
B=$(cd "$1" && pwd)
R=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-/tmp/hc-issue11}
REPS=${REPS:-3}
ONLY=${ONLY:-1 2 4 5}
QUICK=${QUICK:-}
GENOMES=/usr/share/doc/ragout/examples
ECOLI=$GENOMES/E.Coli/references/MG1655-K12.fasta.gz
SAUR=$GENOMES/S.Aureus/references/COL.fasta.gz
mkdir -p "$W"
W=$(cd "$W" && pwd)
S=$W/summary.md
export LC_ALL=C

if [ -n "$QUICK" ]; then
	REPS=1
	TABLE="--ops 1M --reps 1 --table-bytes 256Mi"
	GEN_READS=200000
	COV=3
	SEED_MB=16
else
	TABLE="--ops 8M --reps $REPS"
	GEN_READS=5000000
	COV=50
	SEED_MB=800
fi

# The Python of Debian's python3-numpy (an environment's python3 may
# lack numpy).
PY=$(command -v /usr/bin/python3 || command -v python3)
# run_to LOG CMD...: CMD's output into LOG; shown, and the run stopped,
# if CMD fails.
run_to() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 || { cat "$log" >&2; echo "failed: $*" >&2; exit 1; }
}
want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
say() { echo "$*" | tee -a "$S"; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }

: >"$S"
say "# issue 11 targets, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "hogcount $(git -C "$R" rev-parse --short HEAD 2>/dev/null || echo ?);" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"\
	"$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)${QUICK:+; QUICK run}"

# ---- 1: adds at the limit ------------------------------------------------
if want 1; then
	say ""
	say "## 1. adds at the limit (stress/bench_table --workers 2 $TABLE)"
	run_to "$W/t1.txt" "$B/stress/bench_table" --workers 2 $TABLE
	grep -v '^{' "$W/t1.txt" | tee -a "$S"
	grep '^{' "$W/t1.txt" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
m = {(x["table"], x["method"]): x["mops"] for x in r["results"]}
def row(what, a, b, bar):
    v = m[a] / m[b]
    ok = "met" if v >= float(bar.strip(">=%")) / 100 else "not met"
    print(f"| {what} | {m[a]:.1f} / {m[b]:.1f} M/s | {v:.0%} | {bar} | {ok} |")
print("| target | rates | ratio | bar | verdict |")
print("|---|---|---|---|---|")
row("large: batched exact / plain prefetched array",
    ("large", "batch_exact"), ("large", "limit"), ">=85%")
row("large: HogWild batches / exact batches",
    ("large", "batch_hogwild"), ("large", "batch_exact"), ">=100%")
row("cache: batched exact / atomic array",
    ("cache", "batch_exact"), ("cache", "limit_atomic"), ">=80%")
row("cache: HogWild batches / exact batches",
    ("cache", "batch_hogwild"), ("cache", "batch_exact"), ">=100%")
' | tee -a "$S"
fi

# ---- 2 and 3: k-mers, memory against Jellyfish, files against KMC --------
# kmers SET DIR SIZE: bench_count.sh on DIR/reads.fq, then one summary
# row per k from its results.md.
kmers() {
	local set=$1 dir=$2 size=$3
	say ""
	say "## 2-3. k-mers, $set read set ($(stat -L -c %s "$dir/reads.fq") bytes; jellyfish -s $size)"
	: >"$dir/results.md"
	ONLY=dna KS="21 31" SIZE=$size KREPS=$REPS run_to "$dir/bench_count.out" \
		"$R/scripts/bench_count.sh" "$B" "$dir"
	say ""
	say "| k | hogcount wall / CPU s | peak memory GiB: hogcount / jellyfish | memory target | KMC wall s | wall: hogcount / KMC | output GB: hogcount / KMC / jellyfish | file target |"
	say "|---|---|---|---|---|---|---|---|"
	# Medians over the alternated runs of hogcount and KMC (KREPS).
	awk -F'|' '
		function add(a, k, x) { a[k] = a[k] " " x }
		function med(l,   v, n, i, j, t) {
			n = split(l, v, " ")
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		}
		/^\| hogcount count -k/ { split($2, a, " "); k = a[4];
			add(lw, k, $3 + 0); add(lc, k, $4 + 0); add(lm, k, $5 + 0) }
		/^\| jellyfish count/ { jm[k] = $5 + 0 }
		/^\| kmc / { add(lk, k, $3 + 0) }
		/^hc: / { ho[k] = $0; sub(/.*output /, "", ho[k]); sub(/ GB/, "", ho[k]) }
		/^jf: / { jo[k] = $0; sub(/.*output /, "", jo[k]); sub(/ GB/, "", jo[k]) }
		/^kmc: / { ko[k] = $0; sub(/.*output /, "", ko[k]); sub(/ GB/, "", ko[k]) }
		END {
			for (k in lw) {
				hw[k] = med(lw[k]); hc[k] = med(lc[k])
				hm[k] = med(lm[k]); kw[k] = med(lk[k])
			}
			for (k in hw)
				printf "| %s | %.1f / %.1f | %.2f / %.2f | %s | %.1f | %.2fx | %.2f / %.2f / %.2f | %s |\n",
					k, hw[k], hc[k], hm[k], jm[k],
					hm[k] <= jm[k] ? "met" : "not met (" sprintf("%.1fx", hm[k] / jm[k]) ")",
					kw[k], hw[k] / kw[k], ho[k], ko[k], jo[k],
					ho[k] <= ko[k] ? "met" : "not met"
		}' "$dir/results.md" | sort | tee -a "$S"
	say "(wall target: at most 0.5x KMC's; raw: $dir/results.md)"
}

if want 2; then
	mkdir -p "$W/gen" "$W/real"
	[ -s "$W/gen/reads.fq" ] || "$B/cli/tests/gen_reads" --reads "$GEN_READS" \
		--len 150 --genome 50000000 --seed 1 --error 0.01 >"$W/gen/reads.fq"
	if [ ! -s "$W/real/reads.fq" ]; then
		for g in "$ECOLI" "$SAUR"; do
			[ -r "$g" ] || { echo "$g: missing (scripts/deps.sh test installs ragout-examples)" >&2; exit 1; }
		done
		(cd "$W/real" &&
			zcat "$ECOLI" >ecoli.fa && zcat "$SAUR" >saur.fa &&
			{ dwgsim -e 0.01 -E 0.01 -1 150 -2 150 -y 0 -r 0 -C "$COV" \
				-z 21 -o 1 ecoli.fa ecoli >/dev/null 2>&1 &
			  dwgsim -e 0.01 -E 0.01 -1 150 -2 150 -y 0 -r 0 -C "$COV" \
				-z 22 -o 1 saur.fa saur >/dev/null 2>&1 &
			  wait; } &&
			zcat ecoli.bwa.read1.fastq.gz ecoli.bwa.read2.fastq.gz \
				saur.bwa.read1.fastq.gz saur.bwa.read2.fastq.gz >reads.fq &&
			rm -f ecoli.bwa.read2.fastq.gz saur.bwa.read* ecoli.mutations.* \
				saur.mutations.* *.fa)
	fi
	kmers generated "$W/gen" 230M
	kmers real "$W/real" 100M
fi

# ---- 4: text against the original question's approach -------------------
if want 4; then
	say ""
	say "## 4. text, ${SEED_MB} MB: python/bench/bench_seed.py (seed: 1 run, others: $REPS)"
	HOGCOUNT_LIB=$B/kernel/libhogcount.so \
		HOGCOUNT_KEYS_LIB=$B/keys/libhogcount_keys.so \
		HOGCOUNT_INPUT_LIB=$B/input/libhogcount_input.so \
		run_to "$W/t4.txt" "$PY" "$R/python/bench/bench_seed.py" \
		--mb "$SEED_MB" --orders 4 6 8 --reps "$REPS" --seed-reps 1 \
		--dir "$W/text" --hogcount "$B/hogcount"
	sed 's/^/    /' "$W/t4.txt" | tee -a "$S"
	say ""
	say "| k | path | faster than the seed (bar) | summed PSS / seed's (bar 1/4 = 0.25) |"
	say "|---|---|---|---|"
	sed -n 's/^k=\([0-9]*\) \(cli\|python\): \([0-9.]*\)x faster.*PSS \([0-9.]*\)x of seed/\1 \2 \3 \4/p' \
		"$W/t4.txt" | while read -r k p x m; do
		bar=50
		[ "$p" = python ] && bar=20
		say "| $k | $p | ${x}x ($bar x: $(echo "$x $bar" | awk '{ print (($1 >= $2) ? "met" : "not met") }')) | $m ($(echo "$m" | awk '{ print (($1 <= 0.25) ? "met" : "not met") }')) |"
	done
fi

# ---- 5: gzip against zcat --------------------------------------------------
if want 5; then
	gz=$W/gzip
	mkdir -p "$gz"
	if [ ! -s "$gz/r.fq.gz" ]; then
		[ -s "$W/real/ecoli.bwa.read1.fastq.gz" ] ||
			{ echo "target 5 needs target 2's real read set (ONLY=\"2 5\")" >&2; exit 1; }
		cp "$W/real/ecoli.bwa.read1.fastq.gz" "$gz/r.fq.gz"
		zcat "$gz/r.fq.gz" >"$gz/r.fq"
	fi
	say ""
	say "## 5. gzip: scripts/bench_gzip.sh, one dwgsim .fastq.gz ($(stat -c %s "$gz/r.fq.gz") bytes; $(stat -c %s "$gz/r.fq") plain), bar 1.5x zcat"
	HC_BENCH_DIR=$gz run_to "$W/t5.txt" "$R/scripts/bench_gzip.sh" "$B" 0 \
		"$REPS" 32M
	grep '^|' "$W/t5.txt" | tee -a "$S"
fi
say ""
say "raw outputs: $W"
