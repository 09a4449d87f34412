# SPDX-License-Identifier: MIT
# hogcount-mpi count with 4 ranks as 4 nodes and as 2 nodes of 2 equals
# a single-process hogcount count: dump --sort, histo, stats, query,
# merge, model perplexity (words) and model genome (k = 21) of the
# sharded table, for DNA k = 21 and 31 canonical (FASTQ and gzip'd
# FASTA), byte fragments (integer and byte keys) and words, and DNA
# filtered by -L/-U.
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 3000 --len 120 --genome 20000 --seed 7 --error 0.02 \
	--n-rate 0.005 --lower 0.05 >reads.fq
"$GEN_READS" --reads 1000 --len 200 --genome 20000 --seed 8 --n-rate 0.01 \
	--fasta --width 70 | gzip >reads.fa.gz
# A genome large next to the reads: k-mers rarely repeat, and after the
# first round the ranks send them raw (8 bytes each, no combine).
"$GEN_READS" --reads 2000 --len 150 --genome 2000000 --seed 9 >sparse.fq
"$GEN_TEXT" --bytes 200000 --seed 3 --vocab 300 >a.txt
"$GEN_TEXT" --bytes 50000 --seed 4 --vocab 50 >b.txt

check() {
	name=$1
	shift
	inputs=$(echo "$@" | sed 's/.* -- //')
	opts=$(echo "$@" | sed 's/ -- .*//')
	# shellcheck disable=SC2086
	"$HC" count $opts -j 2 -q -o one.hc $inputs
	"$HC" dump --sort one.hc >one.txt
	"$HC" dump one.hc | sort >one.sorted
	"$HC" histo one.hc >one.histo
	"$HC" stats one.hc | head -4 >one.stats
	[ -s one.txt ] || fail "$name: no keys"
	head -5 one.txt | cut -f1 >keys.txt
	# R ranks a node, and the exchange: p2p (the default) in blocks of
	# 2 KiB, and alltoallv rounds.
	for rx in 1:p2p 1:alltoallv 2:p2p; do
		r=${rx%:*}
		x=${rx#*:}
		rm -f sh.hc sh.hc.shard-*
		# Many windows of a few thousand keys each, many blocks
		# (testing aids).
		# shellcheck disable=SC2086
		HOGCOUNT_MPI_TEST_ROUND_KEYS=3000 HOGCOUNT_MPI_TEST_BLOCK=2048 \
			mpi4 $r $opts --exchange $x --chunk-size 20000 \
			-o sh.hc $inputs ||
			fail "$name R=$r $x: hogcount-mpi failed"
		n=$((4 / r))
		grep -q "^shards $n\$" sh.hc || fail "$name R=$r $x: not $n shards"
		[ "$(ls sh.hc.shard-*-of-$n | wc -l)" = $n ] ||
			fail "$name R=$r $x: shard files"
		"$HC" dump --sort sh.hc >sh.txt
		cmp -s one.txt sh.txt || fail "$name R=$r $x: dump --sort differs"
		"$HC" histo sh.hc >sh.histo
		cmp -s one.histo sh.histo || fail "$name R=$r $x: histo differs"
		"$HC" stats sh.hc | head -4 >sh.stats
		cmp -s one.stats sh.stats || fail "$name R=$r $x: stats differ"
		"$HC" query one.hc <keys.txt >q1.txt
		"$HC" query sh.hc <keys.txt >q2.txt
		cmp -s q1.txt q2.txt || fail "$name R=$r $x: query differs"
		"$HC" dump sh.hc | sort | cmp -s one.sorted - ||
			fail "$name R=$r $x: dump differs"
		rm -f m.hc
		"$HC" merge -o m.hc sh.hc
		"$HC" dump --sort m.hc | cmp -s one.txt - ||
			fail "$name R=$r $x: merge of the shards differs"
		case $name in
		words*) m="perplexity" mf=b.txt ;;
		dna21) m="genome" mf= ;;
		*) m= ;;
		esac
		if [ -n "$m" ]; then
			# shellcheck disable=SC2086
			"$HC" model $m one.hc $mf >m1.txt
			# shellcheck disable=SC2086
			"$HC" model $m sh.hc $mf >m2.txt
			cmp -s m1.txt m2.txt || fail "$name R=$r $x: model $m differs"
		fi
		[ -z "$(shm_left)" ] || fail "$name R=$r $x: /dev/shm: $(shm_left)"
	done
	echo "ok: $name"
}

check dna21 --dna -k 21 -C -- reads.fq reads.fa.gz
check dna31 --dna -k 31 -C -- reads.fq reads.fa.gz
check sparse21 --dna -k 21 -C -- sparse.fq
check bytes4 --bytes -k 4 -- a.txt b.txt
check bytes12 --bytes -k 12 -- a.txt b.txt
check words2 --words -k 2 -- a.txt b.txt
# -L/-U: each node filters its own shard (every key lives in one).
check dna21-L2-U40 --dna -k 21 -C -L 2 -U 40 -- reads.fq
