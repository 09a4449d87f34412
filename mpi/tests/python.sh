# SPDX-License-Identifier: MIT
# python/examples/mpi_count.py (mpi4py) with 4 ranks as 4 nodes and as
# 2 nodes of 2 writes a sharded table equal to a single-process
# hogcount count --bytes -k 4: dump --sort, histo and stats of the
# manifest; no segment left in /dev/shm; a missing input gives one line
# and a non-zero status.  Extra arguments: PYTHON3 SOURCE_DIR.
. "$(dirname "$0")/lib.sh"
PY=$7
SRC=$8
"$PY" -c "import mpi4py, numpy" 2>/dev/null ||
	fail "python3-mpi4py or python3-numpy not found: install them (scripts/deps.sh test)"
export PYTHONPATH="$SRC/python"
EX="$SRC/python/examples/mpi_count.py"

"$GEN_TEXT" --bytes 300000 --seed 3 --vocab 300 >a.txt
"$GEN_TEXT" --bytes 50000 --seed 4 --vocab 50 >b.txt
: >empty.txt
"$HC" count --bytes -k 4 -q -o one.hc a.txt b.txt empty.txt
"$HC" dump --sort one.hc >one.txt
"$HC" histo one.hc >one.histo
"$HC" stats one.hc | head -4 >one.stats

# The example's segments (/hc-mpipy-*) this test leaves behind: those
# not there before it started (other jobs may share /dev/shm).
py_segs() {
	ls /dev/shm 2>/dev/null | grep '^hc-mpipy-' || true
}
py_segs >shm.before
py_left() {
	py_segs | grep -vxF -f shm.before || true
}

for r in 1 2; do
	rm -f sh.hc sh.hc.shard-*
	# Blocks of 64 KiB: several rounds, and ranks with no block left.
	HOGCOUNT_MPI_RANKS_PER_NODE=$r "$MPIEXEC" --oversubscribe -np 4 \
		"$PY" "$EX" -k 4 --block 65536 -o sh.hc a.txt b.txt empty.txt ||
		fail "R=$r: mpi_count.py failed"
	n=$((4 / r))
	grep -q "^shards $n\$" sh.hc || fail "R=$r: not $n shards"
	"$HC" dump --sort sh.hc | cmp -s one.txt - || fail "R=$r: dump differs"
	"$HC" histo sh.hc | cmp -s one.histo - || fail "R=$r: histo differs"
	"$HC" stats sh.hc | head -4 | cmp -s one.stats - ||
		fail "R=$r: stats differ"
	[ -z "$(py_left)" ] || fail "R=$r: /dev/shm: $(py_left)"
	echo "ok: mpi_count.py, $n nodes"
done

if "$MPIEXEC" --oversubscribe -np 4 "$PY" "$EX" -k 4 -o out.hc a.txt \
	nope.txt 2>err.txt; then
	fail "missing input: succeeded"
fi
[ "$(grep -c '^mpi_count.py: ' err.txt)" = 1 ] || fail "missing: $(cat err.txt)"
grep -q "nope.txt" err.txt || fail "missing: $(cat err.txt)"
[ ! -e out.hc ] || fail "missing: out.hc written"
echo "ok: missing input"
