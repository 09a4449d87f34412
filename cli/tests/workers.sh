# SPDX-License-Identifier: MIT
# 1 worker and 8 workers give the same table, for every token kind, in
# exact mode; merge of two halves equals one count of both.
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

# hogwild mode runs and counts every key it saw at least once.
"$HC" count --bytes -k 3 --mode hogwild -j 2 -q -o hw.hc t1.txt
"$HC" stats hw.hc | grep -q 'hogwild mode' || fail "hogwild not recorded"
echo ok
