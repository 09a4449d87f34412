# SPDX-License-Identifier: MIT
# Byte fragments (orders 1, 2, 4, 8, 12; tables in cache and not) and
# word n-grams (orders 1, 3) equal a "sort | uniq -c" reference built
# with perl, for several files
# cut into many small chunks, with tabs, CR, backslashes, UTF-8 and
# binary bytes in the text.
. "$(dirname "$0")/lib.sh"
need perl perl

"$GEN_TEXT" --bytes 60000 --seed 3 --vocab 300 >a.txt
{
	printf 'tabs\there  and\t\tthere\r\nback\\slash \\x41 caf\303\251 \342\202\254\n'
	printf 'nul\000byte \001\177 end'
	"$GEN_TEXT" --bytes 20000 --seed 4 --vocab 50
	printf '   trailing words without newline'
} >b.txt
printf 'x' >c.txt
: >empty.txt

# Default sizes: tables that fit in cache, where workers sum the repeats
# of each batch before adding; -s 2M: tables too big for that.
for size in "" "-s 2M"; do
	for k in 1 2 4 8 12; do
		"$HC" count --bytes -k $k -j 4 --chunk-size 997 -q $size \
			-o b.hc a.txt b.txt c.txt empty.txt
		sdump b.hc >hc.txt
		ref_bytes $k a.txt b.txt c.txt empty.txt | uniq_ref >ref.txt
		cmp -s hc.txt ref.txt ||
			fail "bytes k=$k $size differ from sort | uniq -c"
	done
done
for k in 1 3; do
	"$HC" count --words -k $k -j 4 --chunk-size 501 -q -o w.hc \
		a.txt b.txt c.txt empty.txt
	sdump w.hc >hc.txt
	ref_words $k a.txt b.txt c.txt empty.txt | uniq_ref >ref.txt
	cmp -s hc.txt ref.txt || fail "words k=$k differ from sort | uniq -c"
done

# Chunks of one byte: every fragment spans a cut.
"$HC" count --bytes -k 5 -j 2 --chunk-size 1 -q -o one.hc b.txt
sdump one.hc >hc.txt
ref_bytes 5 b.txt | uniq_ref >ref.txt
cmp -s hc.txt ref.txt || fail "bytes with 1-byte chunks differ"
"$HC" count --words -k 2 -j 2 --chunk-size 1 -q -o one.hc b.txt
sdump one.hc >hc.txt
ref_words 2 b.txt | uniq_ref >ref.txt
cmp -s hc.txt ref.txt || fail "words with 1-byte chunks differ"

# Standard input is one stream; byte keys longer than 8 stream across
# blocks.
cat a.txt | "$HC" count --bytes -k 12 -q -o s.hc -
sdump s.hc >hc.txt
ref_bytes 12 a.txt | uniq_ref >ref.txt
cmp -s hc.txt ref.txt || fail "bytes k=12 from stdin differ"

# query takes keys as dump writes them.
"$HC" count --words -k 3 -q -o q.hc b.txt
sdump q.hc >q.want
cut -f1 q.want | "$HC" query q.hc | sort >q.got
cmp -s q.want q.got || fail "words query differs from dump"

# --top: most frequent first, ties by key.
"$HC" count --bytes -k 4 -q -o t.hc a.txt
"$HC" dump --top 10 t.hc >top.txt
ref_bytes 4 a.txt | uniq_ref | sort -t '	' -k2,2nr -k1,1 | head -10 >ref.txt
cmp -s top.txt ref.txt || fail "dump --top differs"
echo ok
