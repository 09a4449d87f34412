#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_words.sh - word n-grams: hogcount count --words with 1 and 2
# workers (and with 2 and --no-ids: the texts as keys, not word ids)
# beside a one-process Python Counter of word tuples and IRSTLM's ngt,
# on the same text, in one script.  The Counter is also the exact
# reference: the script stops if its distinct and total n-grams differ
# from hogcount's, or if hogcount's three runs dump differently.  Not a
# test.
#
#   scripts/bench_words.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR holds hogcount and cli/tests/gen_text.  WORK_DIR (default
# /tmp/hc-bench-words) gets the text and the outputs.
# Environment:
#   CORPUS  gen (default): TEXT_MB of generated text (gen_text);
#           real: TEXT_MB of the text files of this machine (Python
#           sources, C headers, /usr/share/doc), concatenated in sorted
#           path order, so the same on the same machine
#   TEXT_MB 100;  K  3 (n-gram order);  REPS  3 (hogcount's runs: the
#           table shows the median; the Counter and ngt run once)
#   NGT     path of IRSTLM's ngt (default /usr/lib/irstlm/bin/ngt;
#           scripts/deps.sh bench installs it); skipped if absent
#   BIG     1: hogcount -j 2 alone, REPS runs, no Counter or ngt (for
#           TEXT_MB=879, the whole-corpus target: a Counter of it would
#           take some 25 GiB)
# Memory: see scripts/bench_lib.sh (sampled every PSS_EVERY = 0.1 s: a
# save's peak lasts a fraction of a second).
set -eu
B=$(cd "$1" && pwd)
R=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-/tmp/hc-bench-words}
CORPUS=${CORPUS:-gen}
TEXT_MB=${TEXT_MB:-100}
K=${K:-3}
REPS=${REPS:-3}
NGT=${NGT:-/usr/lib/irstlm/bin/ngt}
PSS_EVERY=${PSS_EVERY:-0.1}
export PSS_EVERY
HC=$B/hogcount
mkdir -p "$W"
cd "$W"
export LC_ALL=C

. "$R/scripts/bench_lib.sh"

text=text-$CORPUS-$TEXT_MB.txt
if [ ! -s "$text" ]; then
	if [ "$CORPUS" = real ]; then
		find /usr/lib/python3* /usr/include /usr/share/doc -type f \
			\( -name '*.py' -o -name '*.h' -o -name '*.txt' \
			-o -name copyright -o -name README \) 2>/dev/null |
			sort | xargs cat | head -c "${TEXT_MB}000000" >"$text"
	else
		"$B/cli/tests/gen_text" --bytes "${TEXT_MB}000000" \
			--seed 1 >"$text"
	fi
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)" | tee results.md
echo "# hogcount $(git -C "$R" rev-parse --short HEAD 2>/dev/null || echo ?), $text: $(stat -L -c %s "$text") bytes, word $K-grams" | tee -a results.md
header "word $K-grams of $text"

# median FILE: the middle line of a file of numbers.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

if [ "${BIG:-0}" = 1 ]; then
	: >walls.b
	: >psss.b
	for r in $(seq "$REPS"); do
		rm -f hc.hc
		sync
		run "hogcount count --words -k $K -j 2 (run $r)" \
			"$HC" count --words -k "$K" -j 2 -q -v -o hc.hc "$text"
		cat last.wall >>walls.b
		cat last.pss >>psss.b
		grep -o 'counted in .*' run.err | tee -a results.md
	done
	"$HC" stats hc.hc >stats.txt
	distinct=$(awk '/^Distinct:/ { print $2 }' stats.txt)
	printf '\n%s distinct; -j 2 wall s %.2f, peak PSS GiB %.2f (medians of %s); file %.1f bytes a distinct n-gram\n' \
		"$distinct" "$(median walls.b)" \
		"$(echo "$(median psss.b) / 1048576" | bc -l)" "$REPS" \
		"$(echo "$(stat -c %s hc.hc) / $distinct" | bc -l)" |
		tee -a results.md
	exit 0
fi

# Runs 1 and 2: the default (word ids for K = 2..4); t: --no-ids with
# 2 workers, the texts as keys, as before word ids.  -v gives the
# seconds counting and saving.
for j in 1 2 t; do
	: >walls.$j
	: >psss.$j
	: >count.$j
	: >save.$j
	for r in $(seq "$REPS"); do
		rm -f hc.hc
		sync
		if [ $j = t ]; then
			set -- -j 2 --no-ids
		else
			set -- -j $j
		fi
		run "hogcount count --words -k $K $* (run $r)" \
			"$HC" count --words -k "$K" "$@" -q -v -o hc.hc "$text"
		cat last.wall >>walls.$j
		cat last.pss >>psss.$j
		sed -n 's/.*counted in \([0-9.]*\) s, saved in \([0-9.]*\) s.*/\1 \2/p' \
			run.err >cs
		awk '{ print $1 }' cs >>count.$j
		awk '{ print $2 }' cs >>save.$j
	done
	echo "$(median walls.$j) $(median psss.$j) $(median count.$j) $(median save.$j)" >med.$j
	[ $j = t ] || cp hc.hc hc.$j.hc
done
# The three dump the same lines in the same order.
"$HC" dump hc.1.hc >d.1
"$HC" dump hc.2.hc >d.2
"$HC" dump hc.hc >d.t
cmp -s d.1 d.2 || { echo "-j 1 and -j 2 dump differently" >&2; exit 1; }
cmp -s d.2 d.t || { echo "word ids and --no-ids dump differently" >&2; exit 1; }
rm -f d.1 d.2 d.t
"$HC" stats hc.hc >stats.txt
distinct=$(awk '/^Distinct:/ { print $2 }' stats.txt)
total=$(awk '/^Total:/ { print $2 }' stats.txt)
file=$(stat -c %s hc.hc)

cat >counter.py <<PY
import collections, sys
c = collections.Counter()
words = open(sys.argv[1], "rb").read().split()
c.update(zip(*(words[i:] for i in range($K))))
print(len(c), sum(c.values()))
PY
sync
run "Python Counter of word tuples, one process" python3 counter.py "$text"
counter_wall=$(cat last.wall)
counter_pss=$(cat last.pss)
set -- $(cat run.out)
if [ "$1" != "$distinct" ] || [ "$2" != "$total" ]; then
	echo "Counter: $1 distinct, $2 total; hogcount: $distinct, $total" >&2
	exit 1
fi

ngt_wall= ngt_pss=
if [ -x "$NGT" ]; then
	sync
	run "IRSTLM ngt -n=$K" "$NGT" -i="$text" -n="$K" -o=ngt.out -b=yes
	ngt_wall=$(cat last.wall)
	ngt_pss=$(cat last.pss)
	rm -f ngt.out
fi

set -- $(cat med.1)
w1=$1 p1=$2 c1=$3 s1=$4
set -- $(cat med.2)
w2=$1 p2=$2 c2=$3 s2=$4
set -- $(cat med.t)
wt=$1 pt=$2 ct=$3 st=$4
{
	echo
	echo "$distinct distinct, $total in all; medians of $REPS"
	echo
	echo "| measure | value |"
	echo "|---|--:|"
	printf '| -j 1 wall s (counting, saving), peak PSS GiB | %.2f (%.2f, %.2f), %.2f |\n' "$w1" "$c1" "$s1" "$(echo "$p1 / 1048576" | bc -l)"
	printf '| -j 2 wall s (counting, saving), peak PSS GiB | %.2f (%.2f, %.2f), %.2f |\n' "$w2" "$c2" "$s2" "$(echo "$p2 / 1048576" | bc -l)"
	printf '| -j 2 --no-ids wall s (counting, saving), peak PSS GiB | %.2f (%.2f, %.2f), %.2f |\n' "$wt" "$ct" "$st" "$(echo "$pt / 1048576" | bc -l)"
	printf '| Counter wall s, peak PSS GiB | %.2f, %.2f |\n' "$counter_wall" "$(echo "$counter_pss / 1048576" | bc -l)"
	[ -n "$ngt_pss" ] && printf '| ngt wall s, peak PSS GiB | %.2f, %.2f |\n' "$ngt_wall" "$(echo "$ngt_pss / 1048576" | bc -l)"
	printf '| -j 1 / Counter wall | %.3f |\n' "$(echo "$w1 / $counter_wall" | bc -l)"
	printf '| -j 2 / -j 1 wall | %.3f |\n' "$(echo "$w2 / $w1" | bc -l)"
	[ -n "$ngt_pss" ] && printf '| -j 2 peak PSS / ngt | %.3f |\n' "$(echo "$p2 / $ngt_pss" | bc -l)"
	[ -n "$ngt_wall" ] && printf '| -j 2 wall / ngt | %.3f |\n' "$(echo "$w2 / $ngt_wall" | bc -l)"
	printf '| file bytes per distinct n-gram | %.1f |\n' "$(echo "$file / $distinct" | bc -l)"
} | tee -a results.md
