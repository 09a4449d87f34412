# SPDX-License-Identifier: MIT
# Sourced by the MPI tests.  Arguments of every test:
#   HOGCOUNT HOGCOUNT_MPI MPIEXEC GEN_READS GEN_TEXT WORKDIR
set -eu
HC=$1
HCMPI=$2
MPIEXEC=$3
GEN_READS=$4
GEN_TEXT=$5
W=$6
rm -rf "$W"
mkdir -p "$W"
cd "$W"
export LC_ALL=C
# CI runs as root; Open MPI refuses that without these two.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One machine, no network: keep Open MPI on shared memory and loopback.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# 4 ranks, each group of R ranks one node: mpi4 R ARGS...
mpi4() {
	r=$1
	shift
	HOGCOUNT_MPI_RANKS_PER_NODE=$r "$MPIEXEC" --oversubscribe -np 4 \
		"$HCMPI" count "$@"
}

# The shared-memory segments of hogcount-mpi left in /dev/shm.
shm_left() {
	ls /dev/shm 2>/dev/null | grep '^hc-mpi-' || true
}

# one_line NAME PATTERN: err.txt holds exactly one line of hogcount-mpi,
# and it matches PATTERN (grep).
one_line() {
	n=$(grep -c "^hogcount mpi count: " err.txt || true)
	[ "$n" = 1 ] || { cat err.txt >&2; fail "$1: $n lines, not 1"; }
	grep -q "$2" err.txt || { cat err.txt >&2; fail "$1: no '$2'"; }
}
