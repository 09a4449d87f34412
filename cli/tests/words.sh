# SPDX-License-Identifier: MIT
# Word n-grams of orders 2..4 counted by word ids (the default for a new
# compact file) equal a "sort | uniq -c" reference built with perl, and
# the file dumps exactly as a count of the texts (--no-ids) does, in
# the same order: words that are prefixes of others, bytes below ' '
# and above 0x7f inside words (the order of the texts at a word's end
# and before a space differ there), CR, tabs, long words, empty files,
# many workers and small chunks.  Order 4 with more than 2^16 words
# keeps the n-grams of the later words as texts (the spill), which the
# save merges with the others.
. "$(dirname "$0")/lib.sh"
need perl perl

"$GEN_TEXT" --bytes 80000 --seed 5 --vocab 400 >a.txt
{
	printf 'a a! a\001 a\037 a\t a  ab a\377 a\200 ab! ab\n'
	printf 'a\001 a a! a\377 ab a\037x a a\r\nx\001 x x\001y x x!\n'
	printf 'nul\000byte \001\177 caf\303\251 caf\303 caf \342\202\254\n'
	# Words that share 8 and 16 bytes, then end, or go on with a
	# NUL, bytes below and above ' ': the save's ranks, byte by byte
	# past the first 8 (inside a text, and at its end).
	for w in abcdefgh abcdefgh\\000 abcdefgh\\000\\000 abcdefgh\\001 \
		abcdefgh! abcdefghi abcdefgh\\377 abcdefghabcdefgh \
		abcdefghabcdefgh\\000 abcdefghabcdefgh\\037z \
		abcdefghabcdefghX abcdefghabcdefghabcdefgh; do
		printf "$w x $w\\n$w $w\\n"
	done
	perl -e 'print "long" x 5000, " a b ", "w" x 70000, " a b a\n"'
	"$GEN_TEXT" --bytes 30000 --seed 6 --vocab 60
	printf 'last words  without newline a'
} >b.txt
printf 'x' >c.txt
: >empty.txt
set -- a.txt b.txt c.txt empty.txt

for k in 2 3 4; do
	"$HC" count --words -k $k -j 3 --chunk-size 777 -q -o ids.hc "$@"
	"$HC" count --words -k $k -j 3 --chunk-size 777 -q --no-ids \
		-o txt.hc "$@"
	"$HC" dump ids.hc >ids.txt
	"$HC" dump txt.hc >txt.txt
	cmp -s ids.txt txt.txt ||
		fail "words k=$k: by ids and --no-ids dump differently"
	sort ids.txt >hc.txt
	ref_words $k "$@" | uniq_ref >ref.txt
	cmp -s hc.txt ref.txt || fail "words k=$k differ from sort | uniq -c"
	"$HC" verify ids.hc >/dev/null || fail "words k=$k: verify failed"
done

# Orders 1 and 5 are counted as texts (no ids) and equal the reference.
for k in 1 5; do
	"$HC" count --words -k $k -j 3 --chunk-size 777 -q -o t$k.hc "$@"
	"$HC" dump t$k.hc | sort >hc.txt
	ref_words $k "$@" | uniq_ref >ref.txt
	cmp -s hc.txt ref.txt || fail "words k=$k differ from sort | uniq -c"
done

# The model reads a table counted by ids as it reads one of texts.
"$GEN_TEXT" --bytes 20000 --seed 9 --vocab 400 >held.txt
"$HC" count --words -k 3 -q -o m3.hc a.txt
"$HC" count --words -k 3 -q --no-ids -o m3t.hc a.txt
"$HC" model perplexity m3.hc held.txt >pp.txt
"$HC" model perplexity m3t.hc held.txt >ppt.txt
cmp -s pp.txt ppt.txt || fail "perplexity differs between ids and texts"
"$HC" model info m3.hc >info.txt
"$HC" model info m3t.hc >infot.txt
cmp -s info.txt infot.txt || fail "model info differs between ids and texts"

# -v says the n-grams were counted by ids.
"$HC" count --words -k 3 -j 2 -v -o v.hc a.txt 2>v.err
grep -q "by word ids of 20 bits" v.err || fail "count -v names no word ids"

# More than 2^16 distinct words at order 4: the later ones spill.
perl -e 'srand(7); for my $i (1 .. 150000) {
	print "w", int(rand(80000)), ($i % 9 ? " " : "\n") }' >many.txt
"$HC" count --words -k 4 -j 2 -v -o m.hc many.txt b.txt 2>m.err
grep -q "n-grams kept as texts" m.err || fail "count -v: no spill line"
if grep -q " 0 n-grams kept as texts" m.err; then
	fail "order 4 over 2^16 words spilled nothing"
fi
"$HC" count --words -k 4 -j 2 -q --no-ids -o mt.hc many.txt b.txt
"$HC" dump m.hc >m.txt
"$HC" dump mt.hc >mt.txt
cmp -s m.txt mt.txt || fail "words k=4 with a spill differ from --no-ids"
sort m.txt >hc.txt
ref_words 4 many.txt b.txt | uniq_ref >ref.txt
cmp -s hc.txt ref.txt || fail "words k=4 with a spill differ from the reference"

# The live capacity the file records holds its keys, as a count of the
# texts' does: stats shows a load below 1, not the spill table's few
# slots under every n-gram (a load of hundreds).
for f in m.hc mt.hc; do
	"$HC" stats --json $f | perl -ne '
		/"load": ([0-9.e+-]+)/ or exit 1; exit($1 < 1 ? 0 : 1)' ||
		fail "stats of $f: a load of 1 or more while live"
done

# Standard input: one stream, read in blocks.
cat a.txt | "$HC" count --words -k 2 -q -o s.hc -
"$HC" dump s.hc | sort >hc.txt
ref_words 2 a.txt | uniq_ref >ref.txt
cmp -s hc.txt ref.txt || fail "words k=2 from stdin differ"
echo ok
