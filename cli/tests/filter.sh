# SPDX-License-Identifier: MIT
# count -L/-U and merge -L/-U (issue 11 target 3): the saved table holds
# exactly the keys of the unfiltered count whose count is in [L, U]
# (dump --sort against the unfiltered dump filtered with awk), for DNA
# k-mers (packed), byte fragments (dense, packed, byte keys) and word
# bigrams; with -L 2 on reads the file is a fraction of the all-keys
# file; -L above the largest count gives an empty valid table; bad
# values give one line and status 2.
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 10000 --len 120 --genome 100000 --seed 7 \
	--error 0.01 >reads.fq
"$GEN_TEXT" --bytes 150000 --seed 3 --vocab 400 >a.txt

# check NAME L U OPTS...: count with and without -L/-U, compare.
check() {
	name=$1 lo=$2 hi=$3
	shift 3
	"$HC" count "$@" -j 2 -q -o all.hc
	"$HC" dump --sort all.hc |
		awk -F'\t' -v lo="$lo" -v hi="$hi" '$2 >= lo && $2 <= hi' \
			>want.txt
	"$HC" count "$@" -j 2 -q -L "$lo" -U "$hi" -o f.hc
	"$HC" dump --sort f.hc >got.txt
	cmp -s want.txt got.txt || fail "$name -L $lo -U $hi: dump differs"
	[ -s got.txt ] || fail "$name -L $lo -U $hi: no keys kept"
	"$HC" stats f.hc | grep -q "^Distinct: *$(wc -l <want.txt)\$" ||
		fail "$name: stats"
	echo "ok: $name -L $lo -U $hi ($(wc -l <got.txt) keys)"
}

check dna21 2 100000 --dna -k 21 -C reads.fq
check dna21 1 1 --dna -k 21 -C reads.fq
check dna21 3 7 --dna -k 21 -C reads.fq
check dna12 2 100000 --dna -k 12 reads.fq
check bytes2 5 50 --bytes -k 2 a.txt
check bytes5 2 3 --bytes -k 5 a.txt
check bytes12 2 100000 --bytes -k 12 a.txt
check words2 3 100000 --words -k 2 a.txt

# -L 2 on reads: the file sized to the keys kept, a fraction of all.
"$HC" count --dna -k 21 -C -q -o all.hc reads.fq
"$HC" count --dna -k 21 -C -q -L 2 -o l2.hc reads.fq
all=$(wc -c <all.hc)
l2=$(wc -c <l2.hc)
[ "$l2" -lt $((all / 2)) ] || fail "-L 2: $l2 bytes, all keys $all"
echo "ok: -L 2 file $l2 bytes, all keys $all"

# Long names, as jellyfish's.
"$HC" count --dna -k 21 -C -q --lower-count 2 --upper-count=1000000 \
	-o long.hc reads.fq
"$HC" dump --sort l2.hc >l2.txt
"$HC" dump --sort long.hc | cmp -s - l2.txt || fail "long option names"

# -L above the largest count: an empty table every reader takes.
"$HC" count --dna -k 21 -C -q -L 1G -o e.hc reads.fq
"$HC" stats e.hc | grep -q '^Distinct: *0$' || fail "empty: stats"
[ -z "$("$HC" dump e.hc)" ] || fail "empty: dump"
"$HC" histo e.hc >/dev/null || fail "empty: histo"
"$HC" merge -o e2.hc e.hc all.hc
"$HC" dump --sort all.hc >all.txt
"$HC" dump --sort e2.hc | cmp -s - all.txt || fail "empty: merge"
echo "ok: -L above the largest count"

# merge -L/-U: the filter on the sums.
"$GEN_TEXT" --bytes 100000 --seed 4 --vocab 400 >b.txt
"$HC" count --words -k 1 -q -o wa.hc a.txt
"$HC" count --words -k 1 -q -o wb.hc b.txt
"$HC" count --words -k 1 -q -o wab.hc a.txt b.txt
"$HC" merge -L 10 -U 500 -o m.hc wa.hc wb.hc
"$HC" dump --sort wab.hc | awk -F'\t' '$2 >= 10 && $2 <= 500' >want.txt
"$HC" dump --sort m.hc | cmp -s - want.txt || fail "merge -L/-U"
echo "ok: merge -L 10 -U 500"

# count --into -L: the filter on the counts after adding.
cp wa.hc into.hc
"$HC" count --words -k 1 -q -L 10 --into into.hc b.txt
"$HC" dump --sort wab.hc | awk -F'\t' '$2 >= 10' >want.txt
"$HC" dump --sort into.hc | cmp -s - want.txt || fail "--into -L"
echo "ok: count --into -L 10"

# Bad values: one line naming the option, status 2, nothing written.
bad() {
	rm -f z.hc
	if "$@" 2>err.txt; then
		fail "$*: succeeded"
	else
		rc=$?
	fi
	[ "$rc" = 2 ] || fail "$*: status $rc"
	[ "$(wc -l <err.txt)" = 1 ] || fail "$*: $(cat err.txt)"
	[ ! -e z.hc ] || fail "$*: wrote z.hc"
}
for v in 0 x -1 2k2 ""; do
	bad "$HC" count --dna -k 21 -L "$v" -o z.hc reads.fq
	grep -q "^hogcount count: --lower-count: invalid count '$v'" err.txt ||
		fail "-L '$v': $(cat err.txt)"
	bad "$HC" count --dna -k 21 -U "$v" -o z.hc reads.fq
	grep -q "^hogcount count: --upper-count: invalid count '$v'" err.txt ||
		fail "-U '$v': $(cat err.txt)"
	bad "$HC" merge -L "$v" -o z.hc all.hc
	grep -q "^hogcount merge: --lower-count: invalid count '$v'" err.txt ||
		fail "merge -L '$v': $(cat err.txt)"
done
bad "$HC" count --dna -k 21 -L 5 -U 3 -o z.hc reads.fq
grep -q "^hogcount count: --upper-count: 3 is below --lower-count 5" \
	err.txt || fail "U < L: $(cat err.txt)"
bad "$HC" merge -L 5 -U 3 -o z.hc all.hc
grep -q "^hogcount merge: --upper-count: 3 is below --lower-count 5" \
	err.txt || fail "merge U < L: $(cat err.txt)"
echo "ok: bad values"
