# SPDX-License-Identifier: MIT
# gzip and plain inputs give the same table (files and standard input,
# single and concatenated gzip members), for reads and for text.
. "$(dirname "$0")/lib.sh"
need gzip gzip

"$GEN_READS" --reads 4000 --len 100 --genome 30000 --seed 5 --n-rate 0.01 \
	--lower 0.02 >r.fq
"$GEN_TEXT" --bytes 150000 --seed 6 >t.txt
gzip -c r.fq >r.fq.gz
gzip -c t.txt >t.txt.gz
head -c 70000 t.txt >t1
tail -c +70001 t.txt >t2
{ gzip -c t1; gzip -c t2; } >multi.gz

same() {
	sdump a.hc >a.txt
	sdump b.hc >b.txt
	[ -s a.txt ] || fail "$1: empty"
	cmp -s a.txt b.txt || fail "$1: gzip and plain differ"
}
"$HC" count --dna -k 21 -C -q -o a.hc r.fq
"$HC" count --dna -k 21 -C -q -o b.hc r.fq.gz
same "fastq.gz"
"$HC" count --dna -k 21 -C -q -o b.hc - <r.fq.gz
same "fastq.gz on stdin"
"$HC" count --bytes -k 4 -q -o a.hc t.txt
"$HC" count --bytes -k 4 -q -o b.hc t.txt.gz
same "text.gz"
"$HC" count --words -k 2 -q -o a.hc t.txt
"$HC" count --words -k 2 -q -o b.hc multi.gz
same "concatenated gzip members"
echo ok
