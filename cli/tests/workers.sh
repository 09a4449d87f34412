# SPDX-License-Identifier: MIT
# 1 worker and 8 workers give the same table, for every token kind, in
# exact mode; merge of two halves equals one count of both; HogWild
# mode keeps every key with a count no larger than the exact one.
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 5000 --len 100 --genome 50000 --seed 11 >r.fq
"$GEN_TEXT" --bytes 200000 --seed 12 >t1.txt
"$GEN_TEXT" --bytes 100000 --seed 13 >t2.txt

check() {
	"$HC" count "$@" -j 1 -q -o one.hc
	"$HC" count "$@" -j 8 --chunk-size 4096 -q -o eight.hc
	sdump one.hc >one.txt
	sdump eight.hc >eight.txt
	[ -s one.txt ] || fail "$*: empty dump"
	cmp -s one.txt eight.txt || fail "$*: 1 and 8 workers differ"
	"$HC" stats one.hc >one.st
	"$HC" stats eight.hc >eight.st
	head -4 one.st >a
	head -4 eight.st >b
	cmp -s a b || fail "$*: stats differ"
}
check --dna -k 25 -C r.fq
check --dna -k 5 r.fq
check --bytes -k 3 t1.txt t2.txt
check --bytes -k 6 t1.txt t2.txt
check --bytes -k 16 t1.txt t2.txt
check --words -k 2 t1.txt t2.txt

# merge: two tables of halves equal one table of both.
for kind in "--bytes -k 6" "--words -k 2" "--dna -k 21 -C"; do
	if [ "$kind" = "--dna -k 21 -C" ]; then a=r.fq b=r.fq; else a=t1.txt b=t2.txt; fi
	"$HC" count $kind -q -o a.hc $a
	"$HC" count $kind -q -o b.hc $b
	"$HC" count $kind -q -o ab.hc $a $b
	"$HC" merge -o m.hc a.hc b.hc
	sdump m.hc >m.txt
	sdump ab.hc >ab.txt
	cmp -s m.txt ab.txt || fail "merge $kind differs from one count"
done
"$HC" count --bytes -k 5 -q -o x.hc t1.txt
if "$HC" merge -o bad.hc a.hc x.hc 2>err.txt; then
	fail "merge of different kinds succeeded"
fi
[ "$(wc -l <err.txt)" -eq 1 ] || fail "merge error is not one line"
[ ! -e bad.hc ] || fail "failed merge left an output"

# HogWild mode (design.md H1): the same keys as exact mode, each with a
# count between 1 and its exact count (a lost update only makes a count
# smaller), for integer and byte keys, in packed and u64 slots.
hogwild() {
	"$HC" count "$@" -j 1 -q -o ex.hc
	"$HC" count "$@" --mode hogwild -j 8 --chunk-size 4096 -q -o hw.hc
	"$HC" stats hw.hc | grep -q 'hogwild mode' ||
		fail "$*: hogwild not recorded"
	sdump ex.hc >ex.txt
	sdump hw.hc >hw.txt
	[ -s ex.txt ] || fail "$*: empty dump"
	cut -f1 ex.txt >ex.keys
	cut -f1 hw.txt >hw.keys
	cmp -s ex.keys hw.keys || fail "$*: hogwild keys differ from exact"
	paste ex.txt hw.txt | awk -F'\t' -v what="$*" '
		$4 < 1 || $4 > $2 { bad++ }
		{ ex += $2; hw += $4 }
		END {
			if (bad) { print what ": " bad " hogwild counts out of [1, exact]" > "/dev/stderr"; exit 1 }
			if (hw > ex) { print what ": hogwild total above exact" > "/dev/stderr"; exit 1 }
		}' || fail "$*: hogwild counts"
}
hogwild --bytes -k 3 t1.txt t2.txt
hogwild --bytes -k 6 t1.txt t2.txt
hogwild --bytes -k 16 t1.txt t2.txt
hogwild --dna -k 21 -C --wide r.fq
echo ok
