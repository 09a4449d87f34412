# SPDX-License-Identifier: MIT
# gzip and plain inputs give the same table (files and standard input,
# single and concatenated gzip members), for reads and for text.  A DNA
# stream is cut into blocks of whole records for the other workers
# (input/job.c): with small blocks (HOGCOUNT_TEST_SPLIT_BLOCK) and 3
# workers, FASTQ, multi-line FASTA and one-sequence-a-line streams,
# records longer than a block (the reader goes on alone), and a mix of
# both, all count as the plain file does.
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

# Split streams: many small blocks, 3 workers, against the plain file
# counted by one.
"$GEN_READS" --reads 3000 --len 150 --genome 40000 --seed 7 --fasta \
	--width 60 >r.fa
awk 'NR % 4 == 2' r.fq >r.seq
"$GEN_READS" --reads 40 --len 9000 --genome 40000 --seed 8 >long.fq
cat r.fq long.fq r.fq >mix.fq
for f in r.fq r.fa r.seq long.fq mix.fq; do
	gzip -c $f >$f.gz
	"$HC" count --dna -k 25 -C -q -j 1 -o a.hc $f
	HOGCOUNT_TEST_SPLIT_BLOCK=4096 "$HC" count --dna -k 25 -C -q -j 3 \
		-o b.hc $f.gz
	same "$f.gz split"
done
HOGCOUNT_TEST_SPLIT_BLOCK=4096 "$HC" count --dna -k 25 -C -q -j 3 \
	-o b.hc - <mix.fq.gz
same "mix.fq.gz split, on stdin"
HOGCOUNT_TEST_SPLIT_BLOCK=4096 "$HC" count --dna -k 25 -C -q -j 3 \
	-o b.hc - <mix.fq
same "mix.fq split, plain on stdin"
# One .gz and more workers: all of them are used, and blocks change
# hands (the reader waits for a free block rather than count one itself:
# HOGCOUNT_TEST_SPLIT_WAIT; --verbose says how many went to others).
"$HC" count --dna -k 25 -C -q -j 1 -o a.hc r.fq
HOGCOUNT_TEST_SPLIT_BLOCK=4096 HOGCOUNT_TEST_SPLIT_WAIT=1 "$HC" count \
	--dna -k 25 -C -v -j 3 -o b.hc r.fq.gz 2>v.err
same "r.fq.gz, reader waiting"
grep -q "3 workers, 1 work items" v.err || fail "split: $(cat v.err)"
n=$(sed -n 's/.*: \([0-9]*\) blocks of DNA streams counted by a worker other.*/\1/p' v.err)
[ "${n:-0}" -gt 0 ] || fail "split: no block changed hands: $(cat v.err)"
: | gzip -c >empty.gz
"$HC" count --dna -k 25 -C -q -j 3 -o b.hc empty.gz ||
	fail "split: an empty .gz"
echo ok
