#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_lib.sh - what the bench scripts share; sourced, not run.
#
# Memory: the peak over time of what the command and all its
# descendants hold, sampled every second (reading smaps_rollup walks the
# page tables of every process, which slows the measured processes down
# when it is done often: at 0.2 s it cost hogcount's workers a third of
# their speed).  What they hold: their summed proportional set size
# (Pss, /proc/PID/smaps_rollup) less its shared-memory part (Pss_Shmem),
# plus the growth of the machine's shared memory since the run started
# (Shmem, /proc/meminfo).  Pss counts a page shared by n processes as
# 1/n in each, so the shared table of hogcount's workers counts once;
# but pages of a shared-memory object that no process maps (yet) count
# in no Pss, and a table's object holds such pages (a region backed
# before it is mapped).  The Shmem term counts every page of the object,
# mapped or not; so the machine must run nothing else that changes its
# shared memory meanwhile.  GNU time's "maximum resident set size" is
# printed too: it is the largest single process (not a sum), and counts
# shared pages in full.

shmem_kb() {
	awk '/^Shmem:/ { print $2 }' /proc/meminfo
}

tree_pss() {
	# What $1 and its descendants hold (kB): summed Pss less Pss_Shmem,
	# plus the machine's Shmem above $2 (kB).
	pids=$1
	all=
	while [ -n "$pids" ]; do
		all="$all $pids"
		next=
		for p in $pids; do
			next="$next $(cat /proc/$p/task/*/children 2>/dev/null || true)"
		done
		pids=$(echo $next)
	done
	for p in $all; do
		cat /proc/$p/smaps_rollup 2>/dev/null
	done | awk -v shm="$(shmem_kb)" -v base="$2" '
		/^Pss:/ { s += $2 } /^Pss_Shmem:/ { s -= $2 }
		END { d = shm - base; print s + (d > 0 ? d : 0) }'
}

# run NAME CMD...: wall time, CPU time, peak memory (above), GNU time max
# RSS, a row of results.md; the wall time in last.wall, the peak memory
# (kB) in last.pss.  PSS_EVERY: seconds between samples (default 1).
run() {
	name=$1
	shift
	echo "# load average before $name: $(cut -d' ' -f1-3 /proc/loadavg)" |
		tee -a results.md
	shm0=$(shmem_kb)
	/usr/bin/time -f "%e %U %S %M" -o time.out "$@" >run.out 2>run.err &
	pid=$!
	peak=0
	while kill -0 $pid 2>/dev/null; do
		m=$(tree_pss $pid "$shm0" || echo 0)
		[ "$m" -gt "$peak" ] && peak=$m
		sleep "${PSS_EVERY:-1}"
	done
	wait $pid || { echo "$name failed:"; cat run.err; exit 1; }
	set -- $(grep . time.out | tail -1)
	printf '| %s | %.1f | %.1f | %.2f | %.2f |\n' "$name" "$1" \
		"$(echo "$2 + $3" | bc)" "$(echo "$peak / 1048576" | bc -l)" \
		"$(echo "$4 / 1048576" | bc -l)" | tee -a results.md
	echo "$1" >last.wall
	echo "$peak" >last.pss
}

# median X...: the middle value (the mean of the two middle ones).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

header() {
	echo | tee -a results.md
	echo "$1" | tee -a results.md
	echo | tee -a results.md
	echo "| run | wall s | CPU s | peak memory GiB (Pss + shm) | max RSS GiB (largest) |" | tee -a results.md
	echo "|---|---|---|---|---|" | tee -a results.md
}

