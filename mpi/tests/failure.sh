# SPDX-License-Identifier: MIT
# hogcount-mpi count fails cleanly: one line, a non-zero status, nothing
# under the output name (manifest or shards), no segment in /dev/shm.
# Cases: a missing input, an input only some ranks see, an output
# directory the ranks do not share, a corrupt gzip met mid-run, a
# --max-size too small, --into (refused), and a rank killed mid-run
# (HOGCOUNT_MPI_TEST_KILL).  A sharded table belongs to one run: a
# shard of another run is refused by every reader, a leader killed in
# the save (HOGCOUNT_MPI_TEST_KILL_SAVE) leaves no manifest that reads,
# and the next run removes its temporary shard.
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 3000 --len 120 --genome 20000 --seed 7 >reads.fq
gzip -c reads.fq | head -c 20000 >cut.fq.gz

# nothing_left NAME: no manifest, shard or segment of out.hc is left.
nothing_left() {
	[ ! -e out.hc ] || fail "$1: out.hc was written"
	! ls out.hc.* >/dev/null 2>&1 || fail "$1: left $(ls out.hc.*)"
	[ -z "$(shm_left)" ] || fail "$1: /dev/shm: $(shm_left)"
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

# Every rank (a node each) writes out.hc in its own directory: node 0
# does not see the others' shards.
cp reads.fq d2/ && cp reads.fq d3/
if HOGCOUNT_MPI_RANKS_PER_NODE=1 "$MPIEXEC" --oversubscribe -np 4 \
	sh rank.sh count --dna -k 21 -o out.hc "$W/reads.fq" 2>err.txt; then
	fail "unshared output: succeeded"
fi
one_line "unshared output" "out.hc: rank 0 cannot see the shards of nodes 1 (.*), 2 (.*), 3 (.*) as written (out.hc.shard-1-of-4: No such file or directory): the output directory must be on a file system every node shares; no manifest written"
for i in 0 1 2 3; do
	! ls d$i/out.hc* >/dev/null 2>&1 || fail "unshared output: left $(ls d$i)"
done
[ -z "$(shm_left)" ] || fail "unshared output: /dev/shm: $(shm_left)"
echo "ok: output directory not shared"

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

# Two runs into one name: the manifest refuses a shard of the other run.
"$GEN_READS" --reads 2000 --len 120 --genome 20000 --seed 8 >more.fq
"$HC" count --dna -k 21 -q -o one.hc reads.fq
"$HC" dump --sort one.hc >one.txt
mpi4 2 --dna -k 21 -o mix.hc reads.fq || fail "mix: first run failed"
cp mix.hc.shard-1-of-2 old-1
mpi4 2 --dna -k 21 -o mix.hc reads.fq more.fq || fail "mix: second run failed"
cp old-1 mix.hc.shard-1-of-2
for c in stats verify "dump --sort"; do
	if "$HC" $c mix.hc >/dev/null 2>err.txt; then
		fail "mix: $c read a mix of two runs"
	fi
	[ "$(wc -l <err.txt)" = 1 ] &&
		grep -q "mix.hc: shard 1 (./mix.hc.shard-1-of-2) is not the one run [0-9a-f]\{16\} wrote (size differs)" err.txt ||
		fail "mix: $c: $(cat err.txt)"
done
echo "ok: a shard of another run refused"

# A leader killed once its shard is saved: the old manifest is already
# gone, so nothing reads as either run.  The next run removes the
# temporary shard of a dead process, keeps one of a live one, and
# reads as itself.
mpi4 2 --dna -k 21 -o kill.hc more.fq || fail "kill: first run failed"
if HOGCOUNT_MPI_TEST_KILL_SAVE=2 mpi4 2 --dna -k 21 -o kill.hc reads.fq \
	2>err.txt; then
	fail "killed in the save: succeeded"
fi
if "$HC" stats kill.hc >/dev/null 2>err.txt; then
	fail "killed in the save: kill.hc reads"
fi
grep -q "kill.hc: No such file or directory" err.txt ||
	fail "killed in the save: $(cat err.txt)"
sh -c 'exit 0' &
dead=$!
wait $dead
: >kill.hc.shard-1-of-2.tmp.$dead
: >kill.hc.shard-0-of-2.tmp.$$
mpi4 2 --dna -k 21 -o kill.hc reads.fq || fail "kill: rerun failed"
[ ! -e kill.hc.shard-1-of-2.tmp.$dead ] || fail "kill: stale temporary kept"
[ -e kill.hc.shard-0-of-2.tmp.$$ ] || fail "kill: a live one's removed"
rm -f kill.hc.shard-0-of-2.tmp.$$
"$HC" dump --sort kill.hc | cmp -s one.txt - || fail "kill: rerun differs"
[ -z "$(shm_left)" ] || fail "kill: /dev/shm: $(shm_left)"
echo "ok: a leader killed in the save"
