# SPDX-License-Identifier: MIT
# SIGINT and SIGTERM during a count: exit 128+N, no output, no temporary
# file, no worker left, no new /dev/shm segment.
. "$(dirname "$0")/lib.sh"

"$GEN_TEXT" --bytes 200000 --seed 10 >t.txt
ls /dev/shm >shm.before 2>/dev/null || : >shm.before
mkfifo slow

for sig in INT TERM; do
	# A FIFO that stays open keeps one worker waiting for input.
	exec 3<>slow
	"$HC" count -k 4 -j 2 -q -o sigtest.hc t.txt slow &
	pid=$!
	# Wait until the workers run (sampling comes first).
	n=0
	while [ -z "$(cat /proc/$pid/task/*/children 2>/dev/null)" ]; do
		kill -0 "$pid" || fail "count is not running"
		n=$((n + 1))
		[ $n -lt 300 ] || fail "no worker after 30 s"
		sleep 0.1
	done
	kill -s $sig "$pid"
	set +e
	wait "$pid"
	st=$?
	set -e
	exec 3>&-
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	[ "$st" -eq "$want" ] || fail "SIG$sig: exit $st, want $want"
	[ ! -e sigtest.hc ] || fail "SIG$sig: left an output"
	if ls .sigtest.hc* sigtest.hc.* >/dev/null 2>&1; then
		fail "SIG$sig: left a temporary file"
	fi
	sleep 0.2
	if pgrep -f "o sigtest.hc" >/dev/null; then
		fail "SIG$sig: a worker survived"
	fi
done
ls /dev/shm >shm.after 2>/dev/null || : >shm.after
cmp -s shm.before shm.after || fail "a /dev/shm segment was left"
echo ok
