# SPDX-License-Identifier: MIT
# SIGINT and SIGTERM during a count: exit 128+N, no output, no temporary
# file, no worker left; the table never lives in /dev/shm.
. "$(dirname "$0")/lib.sh"

"$GEN_TEXT" --bytes 200000 --seed 10 >t.txt
mkfifo slow

for sig in INT TERM; do
	# A FIFO that stays open keeps one worker waiting for input.
	exec 3<>slow
	"$HC" count -k 4 -j 2 -q -o sigtest.hc t.txt slow &
	pid=$!
	# Wait until the workers run (sampling comes first).
	poll "$pid" "SIG$sig: workers" has_workers "$pid"
	workers=$(cat /proc/$pid/task/*/children)
	# The table is an anonymous mapping: nothing in /dev/shm to leave.
	for p in $pid $workers; do
		if grep -q /dev/shm /proc/$p/maps; then
			fail "process $p maps a /dev/shm object"
		fi
	done
	stop_with "$pid" "$sig"
	exec 3>&-
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	[ "$st" -eq "$want" ] || fail "SIG$sig: exit $st, want $want"
	[ ! -e sigtest.hc ] || fail "SIG$sig: left an output"
	if ls .sigtest.hc* sigtest.hc.* >/dev/null 2>&1; then
		fail "SIG$sig: left a temporary file"
	fi
	sleep 0.2
	for p in $workers; do
		if kill -0 "$p" 2>/dev/null; then
			fail "SIG$sig: worker $p survived"
		fi
	done
done
echo ok
