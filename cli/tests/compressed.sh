# SPDX-License-Identifier: MIT
# xz, bzip2 and zstd inputs, and gzip through each inflater, give the
# same table as the plain file: files, standard input, pipes, and
# concatenated streams, members or frames.  Formats hogcount does not
# read are refused by their magic bytes.
. "$(dirname "$0")/lib.sh"
need gzip gzip
need xz xz-utils
need bzip2 bzip2
need zstd zstd

"$GEN_READS" --reads 3000 --len 100 --genome 30000 --seed 7 --n-rate 0.01 \
	--lower 0.02 >r.fq
"$GEN_TEXT" --bytes 120000 --seed 8 >t.txt
head -c 50000 r.fq >r1
tail -c +50001 r.fq >r2

"$HC" count --dna -k 21 -C -q -o plain.hc r.fq
sdump plain.hc >plain.txt
[ -s plain.txt ] || fail "empty plain dump"
"$HC" count --words -k 2 -q -o tplain.hc t.txt
sdump tplain.hc >tplain.txt

same() {
	sdump b.hc >b.txt
	cmp -s plain.txt b.txt || fail "$1: differs from the plain file"
}

for z in "gzip -c" "xz -c" "bzip2 -c" "zstd -q -c"; do
	name=${z%% *}
	$z r.fq >r.$name
	{ $z r1; $z r2; } >multi.$name
	"$HC" count --dna -k 21 -C -q -o b.hc r.$name
	same "$name file"
	"$HC" count --dna -k 21 -C -q -o b.hc - <r.$name
	same "$name on stdin"
	cat r.$name | "$HC" count --dna -k 21 -C -q -o b.hc /dev/stdin
	same "$name from a pipe"
	"$HC" count --dna -k 21 -C -q -o b.hc multi.$name
	same "$name, concatenated"
	"$HC" count --dna -k 21 -C -q -o b.hc - <multi.$name
	same "$name, concatenated, on stdin"
	# Text, with two workers and a plain file beside it.
	$z t.txt >t.$name
	"$HC" count --words -k 2 -q -j 2 -o b.hc t.$name
	sdump b.hc >b.txt
	cmp -s tplain.txt b.txt || fail "$name text differs"
done

# gzip through zlib, in a build that inflates with ISA-L (the same
# path as a build without it).
HOGCOUNT_INFLATE=zlib "$HC" count --dna -k 21 -C -q -o b.hc multi.gzip
same "gzip (zlib), concatenated"
HOGCOUNT_INFLATE=zlib "$HC" count --dna -k 21 -C -q -o b.hc - <r.gzip
same "gzip (zlib) on stdin"
# Members of many sizes, some empty, and bytes after the last member
# that are not a member (ignored, as gzip -d does).
: >empty
{ gzip -c empty; gzip -c r1; gzip -c empty; gzip -c r2; printf '\0\0\0\0'; } >odd.gz
for inf in isa-l zlib; do
	HOGCOUNT_INFLATE=$inf "$HC" count --dna -k 21 -C -q -o b.hc odd.gz
	same "gzip ($inf) with empty members and padding"
done

# Refused by magic, whatever the name: one line naming the file and the
# format, exit 1, no output.
refuse() {
	rm -f out.hc
	set +e
	"$HC" count -k 3 -q -o out.hc "$@" 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "$*: exit $st, want 1"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$*: not one line: $(cat err.txt)"
	[ ! -e out.hc ] || fail "$*: left an output file"
}
printf '\004\042\115\030payload' >a.txt.lz4
printf 'PK\003\004payload' >a.zip
printf '7z\274\257\047\034payload' >a.7z
printf '\037\235payload' >a.Z
cp a.zip looks-plain.txt
for f in a.txt.lz4 a.zip a.7z a.Z looks-plain.txt; do
	refuse "$f"
	grep -q "^hogcount count: $f: .* data, which hogcount does not read" err.txt ||
		fail "$f: $(cat err.txt)"
done
refuse - <a.txt.lz4
grep -q "<stdin>: lz4 data" err.txt || fail "lz4 on stdin: $(cat err.txt)"
refuse plain.hc
grep -q "hogcount table data" err.txt || fail "table: $(cat err.txt)"
gzip -c a.txt.lz4 >lz4.gz
refuse lz4.gz
grep -q "lz4 data inside gzip" err.txt || fail "lz4.gz: $(cat err.txt)"
echo ok
