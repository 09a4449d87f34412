# SPDX-License-Identifier: MIT
# k-mer counts (k = 1, 21, 31; canonical and not) equal jellyfish count +
# jellyfish dump on the same reads, with N and lower-case bases, FASTQ and
# multi-line FASTA, big files cut into many chunks; histo equals
# jellyfish histo; query agrees with dump.
. "$(dirname "$0")/lib.sh"
need jellyfish jellyfish

"$GEN_READS" --reads 3000 --len 120 --genome 20000 --seed 7 --error 0.02 \
	--n-rate 0.005 --lower 0.05 >reads.fq
"$GEN_READS" --reads 1000 --len 200 --genome 20000 --seed 8 --n-rate 0.01 \
	--lower 0.05 --fasta --width 70 >reads.fa
grep -q N reads.fq || fail "test data has no N"
grep -q '[acgt]' reads.fq || fail "test data has no lower case"

for k in 1 21 31; do
	for c in "" -C; do
		for f in reads.fq reads.fa; do
			"$HC" count --dna -k $k $c -j 3 --chunk-size 5000 -q \
				-o hc.hc $f
			jellyfish count -m $k $c -s 1M -t 2 -o jf.jf $f
			sdump hc.hc >hc.txt
			jellyfish dump -c jf.jf | tr ' ' '\t' | sort >jf.txt
			[ -s jf.txt ] || fail "jellyfish gave no k-mers"
			cmp -s hc.txt jf.txt ||
				fail "k=$k $c $f: dump differs from jellyfish"
			"$HC" histo hc.hc >hc.histo
			jellyfish histo jf.jf >jf.histo
			cmp -s hc.histo jf.histo ||
				fail "k=$k $c $f: histo differs"
			"$HC" histo -l 2 --high 5 -f hc.hc >hc.histo
			jellyfish histo -l 2 -h 5 -f jf.jf >jf.histo
			cmp -s hc.histo jf.histo ||
				fail "k=$k $c $f: histo -l 2 --high 5 -f differs"
		done
	done
done

# Slot kinds: k-mers go in narrow slots (4 bytes at k = 21 once the
# table is large, 8 at k = 31), --wide in 16-byte ones; the counts are
# the same.
for k in 21 31; do
	"$HC" count --dna -k $k -C -q -o p.hc reads.fq
	# -s 2M: a table too big for workers to combine batches (sink.c)
	"$HC" count --dna -k $k -C -q --wide -s 2M -o w.hc reads.fq
	want=narrow
	"$HC" stats p.hc | grep -q "^Keys: *$want," ||
		fail "k=$k: expected $want slots"
	"$HC" stats w.hc | grep -q "^Keys: *u64," || fail "k=$k --wide"
	sdump p.hc >p.txt
	sdump w.hc >w.txt
	cmp -s p.txt w.txt || fail "k=$k: packed and --wide differ"
	"$HC" merge -o m.hc p.hc p.hc
	"$HC" stats m.hc | grep -q "^Keys: *$want," || fail "merge kind"
	sdump m.hc | awk -F'\t' '{ print $1 "\t" $2 / 2 }' >m.txt
	cmp -s p.txt m.txt || fail "k=$k: merge of two copies"
done
# k = 27 (54 bits): narrow 8-byte slots with or without a size, the
# counts --wide's; live tables (--no-compact) of both, read back whole.
"$HC" count --dna -k 27 -C -q -s 400K -o p.hc reads.fq
"$HC" count --dna -k 27 -C -q --wide -o w.hc reads.fq
"$HC" count --dna -k 27 -C -q --no-compact -o u.hc reads.fq
"$HC" stats p.hc | grep -q "^Keys: *narrow," || fail "k=27 -s 400K: not narrow"
"$HC" stats u.hc | grep -q "^Keys: *narrow," || fail "k=27: not narrow"
sdump p.hc >p.txt
sdump w.hc >w.txt
cmp -s p.txt w.txt || fail "k=27: narrow and --wide differ"
sdump u.hc >u.txt
cmp -s u.txt w.txt || fail "k=27: live narrow and --wide differ"

# query: the counts of the dump, keys from stdin and arguments.
"$HC" count --dna -k 21 -C -q -o q.hc reads.fq
sdump q.hc | head -50 >q.want
cut -f1 q.want | "$HC" query q.hc | sort >q.got
cmp -s q.want q.got || fail "query from stdin differs from dump"
set -- $(head -1 q.want)
[ "$("$HC" query q.hc "$1")" = "$1	$2" ] || fail "query argument"
echo ok
