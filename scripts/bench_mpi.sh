#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_mpi.sh - hogcount-mpi's two exchanges side by side, 1 to N ranks
# each its own node (HOGCOUNT_MPI_RANKS_PER_NODE=1), against one
# single-process count.  Not a test.
#
#   scripts/bench_mpi.sh BUILD_DIR READS.fq [RANKS...]
#
# BUILD_DIR holds hogcount and hogcount-mpi.  RANKS defaults to "1 2 4".
# Prints, per rank count and exchange, medians of $REPS (default 3):
# wall seconds of the whole job, seconds counting (hogcount-mpi -v),
# CPU seconds (user + system, all ranks), bytes sent per k-mer, and
# checks that every sharded table dumps like the single count.
# Environment: REPS, K (default 21), MPIRUN (default mpirun).
set -eu
b=$1
reads=$2
shift 2
ranks=${*:-1 2 4}
REPS=${REPS:-3}
K=${K:-21}
MPIRUN=${MPIRUN:-mpirun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/bench-mpi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

/usr/bin/time -f "%e %U %S" -o "$tmp/t" "$b/hogcount" count --dna -k "$K" \
	-C -j 1 -q -o "$tmp/one.hc" "$reads"
"$b/hogcount" dump --sort "$tmp/one.hc" | md5sum >"$tmp/one.md5"
echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores; $(wc -c <"$reads") bytes of reads, k=$K -C; median of $REPS"
echo "# count -j 1: $(awk '{printf "%.2f s wall, %.2f s CPU", $1, $2 + $3}' "$tmp/t")"
echo "| ranks (nodes) | exchange | wall s | counting s | CPU s | messages (rank 0) | bytes sent / k-mer |"
echo "|---|---|--:|--:|--:|--:|--:|"
for np in $ranks; do
	for x in p2p alltoallv; do
		: >"$tmp/w" && : >"$tmp/c" && : >"$tmp/u"
		r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			rm -f "$tmp"/sh.hc*
			HOGCOUNT_MPI_RANKS_PER_NODE=1 /usr/bin/time \
				-f "%e %U %S" -o "$tmp/t" "$MPIRUN" \
				--oversubscribe -np "$np" "$b/hogcount-mpi" \
				count --exchange "$x" --dna -k "$K" -C -v \
				-o "$tmp/sh.hc" "$reads" 2>"$tmp/v"
			awk '{print $1}' "$tmp/t" >>"$tmp/w"
			awk '{print $2 + $3}' "$tmp/t" >>"$tmp/u"
			sed -n 's/.*counted in \([0-9.]*\) s.*/\1/p' "$tmp/v" >>"$tmp/c"
		done
		"$b/hogcount" dump --sort "$tmp/sh.hc" | md5sum |
			cmp -s - "$tmp/one.md5" ||
			{ echo "bench_mpi.sh: $np $x: differs from count" >&2; exit 1; }
		msgs=$(sed -n 's/.*saved in [0-9.]* s; \([0-9]*\) .*/\1/p' "$tmp/v")
		per=$(sed -n 's/.*bytes sent to other ranks (\([0-9.]*\) per key).*/\1/p' "$tmp/v")
		echo "| $np | $x | $(median <"$tmp/w") | $(median <"$tmp/c") | $(median <"$tmp/u") | $msgs | $per |"
	done
done
