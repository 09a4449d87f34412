# SPDX-License-Identifier: MIT
# hogcount-mpi count fails cleanly: one line, a non-zero status, nothing
# under the output name (manifest or shards), no segment in /dev/shm.
# Cases: a missing input, an input only some ranks see, a corrupt gzip
# met mid-run, a --max-size too small, --into (refused), and a rank
# killed mid-run (HOGCOUNT_MPI_TEST_KILL).
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 3000 --len 120 --genome 20000 --seed 7 >reads.fq
gzip -c reads.fq | head -c 20000 >cut.fq.gz

# expect_fail NAME PATTERN: the last command's stderr is in err.txt.
nothing_left() {
	[ ! -e out.hc ] || fail "$1: out.hc was written"
	! ls out.hc.* >/dev/null 2>&1 || fail "$1: left $(ls out.hc.*)"
	[ -z "$(shm_left)" ] || fail "$1: /dev/shm: $(shm_left)"
}

one_line() {
	n=$(grep -c "^hogcount mpi count: " err.txt || true)
	[ "$n" = 1 ] || { cat err.txt >&2; fail "$1: $n lines, not 1"; }
	grep -q "$2" err.txt || { cat err.txt >&2; fail "$1: no '$2'"; }
}

if mpi4 1 --dna -k 21 -o out.hc reads.fq nope.fq 2>err.txt; then
	fail "missing: succeeded"
fi
one_line missing "nope.fq: No such file or directory"
nothing_left missing
echo "ok: missing input"

if mpi4 2 --dna -k 21 -o nodir/out.hc reads.fq 2>err.txt; then
	fail "no output directory: succeeded"
fi
one_line nodir "nodir/out.hc: No such file or directory"
[ -z "$(shm_left)" ] || fail "no output directory: /dev/shm: $(shm_left)"
echo "ok: missing output directory"

# Ranks 0 and 1 run in a directory that has the input, 2 and 3 in one
# that does not: a file system the ranks do not share.
mkdir -p d0 d1 d2 d3
cp reads.fq d0/ && cp reads.fq d1/
cat >rank.sh <<EOS
cd "$W/d\$OMPI_COMM_WORLD_RANK" && exec "$HCMPI" "\$@"
EOS
if HOGCOUNT_MPI_RANKS_PER_NODE=1 "$MPIEXEC" --oversubscribe -np 4 \
	sh rank.sh count --dna -k 21 -o "$W/out.hc" reads.fq 2>err.txt; then
	fail "unshared: succeeded"
fi
one_line unshared "on 2 of 4 ranks.*file system every rank shares"
nothing_left unshared
echo "ok: input on some ranks only"

if mpi4 2 --dna -k 21 -o out.hc reads.fq cut.fq.gz 2>err.txt; then
	fail "corrupt: succeeded"
fi
one_line corrupt "cut.fq.gz: corrupt gzip stream"
nothing_left corrupt
echo "ok: corrupt input mid-run"

for x in p2p alltoallv; do
	if mpi4 2 --dna -k 21 --max-size 1000 --exchange $x -o out.hc \
		reads.fq 2>err.txt; then
		fail "max-size $x: succeeded"
	fi
	one_line "max-size $x" "full at the limit of --max-size"
	nothing_left "max-size $x"
done
echo "ok: --max-size too small"
mpi4 2 --dna -k 21 --max-size 1M -o big.hc reads.fq ||
	fail "max-size 1M: failed"
"$HC" count --dna -k 21 -q -o one.hc reads.fq
"$HC" dump --sort one.hc >one.txt
"$HC" dump --sort big.hc | cmp -s one.txt - || fail "max-size 1M: differs"
echo "ok: --max-size large enough"

if mpi4 2 --dna -k 21 --into out.hc reads.fq 2>err.txt; then
	fail "into: succeeded"
fi
one_line into "^hogcount mpi count: --into: not with hogcount-mpi"
nothing_left into
echo "ok: --into refused"

for rx in 1:p2p 2:p2p 2:alltoallv; do
	r=${rx%:*}
	x=${rx#*:}
	if HOGCOUNT_MPI_TEST_KILL=2:1 mpi4 $r --dna -k 21 -o out.hc \
		--exchange $x --chunk-size 20000 reads.fq 2>err.txt; then
		fail "killed R=$r $x: succeeded"
	fi
	nothing_left "killed R=$r $x"
done
echo "ok: a rank killed mid-run"
