# SPDX-License-Identifier: MIT
# count --shm NAME: the live table is read as shm:NAME by stats, query,
# dump, histo and model while the count runs (a FIFO keeps it running),
# each reading no more than the final counts; it is removed at the end,
# on an error and on SIGINT/SIGTERM, and kept by --keep-shm after a
# count that succeeds.  A NAME that exists is refused, and left as it
# was.
. "$(dirname "$0")/lib.sh"

N=/hc-test-$$
made=""
cleanup() {
	for n in $made; do rm -f "/dev/shm$n"; done
}
trap cleanup EXIT

# shm_gone NAME WHY: the object NAME is not in /dev/shm.
shm_gone() {
	[ ! -e "/dev/shm$1" ] || fail "$2: /dev/shm$1 left behind"
}

# attachable TABLE: stats reads TABLE.
attachable() {
	"$HC" stats "$1" >/dev/null 2>&1
}

# stat_of TABLE FIELD: one figure of hogcount stats.
stat_of() {
	"$HC" stats "$1" | awk -v f="$2:" '$1 == f { print $2 }'
}

"$GEN_TEXT" --bytes 200000 --seed 21 >t.txt
"$GEN_TEXT" --bytes 50000 --seed 22 >u.txt
nt=$(($(wc -c <t.txt) - 3))
nu=$(($(wc -c <u.txt) - 3))
mkfifo slow

# 1. Read mid-run.  The count waits on the FIFO (in its open, until a
# writer comes), which gets u.txt only after the readings: a writer
# that opens it after the worker has, so the data cannot be lost.
made="$made $N-1"
"$HC" count -k 4 -j 2 -q --shm "$N-1" -o final.hc t.txt slow &
pid=$!
holds_t() {
	[ "$(stat_of "shm:$N-1" Total 2>/dev/null)" = "$nt" ]
}
poll "$pid" "shm:$N-1 holding the counts of t.txt" holds_t
[ -e "/dev/shm$N-1" ] || fail "no /dev/shm$N-1 while counting"
"$HC" stats "shm:$N-1" >mid-stats.txt
"$HC" stats --json "shm:${N#/}-1" >/dev/null
"$HC" dump "shm:$N-1" | sort >mid.txt
"$HC" query "shm:$N-1" ' the' 'qqqq' >mid-query.txt
"$HC" histo "shm:$N-1" >/dev/null
"$HC" model info "shm:$N-1" >/dev/null
"$HC" model unseen "shm:$N-1" >/dev/null
[ "$(wc -l <mid.txt)" = "$(stat_of "shm:$N-1" Distinct)" ] ||
	fail "mid-run dump and stats disagree"
kill -0 "$pid" || fail "count ended before the FIFO closed"
timeout 60 sh -c 'cat u.txt >slow' || fail "no reader of the FIFO"
wait "$pid" || fail "count --shm failed"
shm_gone "$N-1" "a finished count"
[ "$(stat_of final.hc Total)" = "$((nt + nu))" ] ||
	fail "final total is not t.txt + u.txt"
sdump final.hc >final.txt
# Every key read mid-run is in the final table with at least its count.
awk -F '\t' 'NR == FNR { c[$1] = $2; next }
	!($1 in c) || $2 > c[$1] { print; bad = 1 }
	END { exit bad }' final.txt mid.txt >bad.txt ||
	fail "mid-run keys above their final counts: $(head -3 bad.txt)"
awk -F '\t' 'NR == FNR { c[$1] = $2; next }
	$2 > c[$1] { bad = 1 } END { exit bad }' final.txt mid-query.txt ||
	fail "a query mid-run above the final count"
[ "$(awk -F '\t' '{ s += $2 } END { print s }' mid.txt)" = "$nt" ] ||
	fail "mid-run dump does not hold the counts of t.txt"

# 2. --keep-shm: the table stays and is read later; no -o, no file.
made="$made $N-2"
"$HC" count -k 4 -j 2 -q --shm "$N-2" --keep-shm t.txt u.txt
[ -e "/dev/shm$N-2" ] || fail "--keep-shm: no /dev/shm$N-2"
[ ! -e counts.hc ] || fail "--shm wrote counts.hc without -o"
sdump "shm:$N-2" >kept.txt
cmp -s kept.txt final.txt || fail "the kept table differs from the file"

# 3. A NAME that exists is refused with one line, and left as it was.
set +e
"$HC" count -k 4 -q --shm "$N-2" u.txt 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] || fail "an existing --shm NAME: exit $st"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "collision: not one line: $(cat err.txt)"
grep -q "shm:${N#/}-2 exists" err.txt || fail "collision: $(cat err.txt)"
sdump "shm:$N-2" | cmp -s - kept.txt || fail "a refused count changed NAME"
rm -f "/dev/shm$N-2"

# 4. Errors: a bad name, --keep-shm alone, --shm with --into, a missing
# table; then a corrupt input mid-run: one line, nothing left.
for args in "--shm a/b" "--keep-shm" "--shm $N-3 --into final.hc"; do
	set +e
	"$HC" count -k 4 -q $args u.txt 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 2 ] || fail "count $args: exit $st"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "count $args: $(cat err.txt)"
done
set +e
"$HC" stats "shm:$N-none" 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] && grep -q "shm:$N-none: no such" err.txt ||
	fail "stats of a missing shm table: $st $(cat err.txt)"
gzip -c t.txt >good.gz
perl -e 'local $/; my $d = <STDIN>; substr($d, 200, 8) = "\xff" x 8;
	print $d' <good.gz >corrupt.gz
made="$made $N-4"
set +e
"$HC" count -k 4 -j 2 -q --shm "$N-4" --keep-shm t.txt corrupt.gz 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] || fail "corrupt input with --shm: exit $st"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "corrupt input: $(cat err.txt)"
shm_gone "$N-4" "a failed count"

# 5. SIGINT and SIGTERM mid-run: 128+N, the object removed, even with
# --keep-shm (its counts are partial).
for sig in INT TERM; do
	made="$made $N-$sig"
	exec 3<>slow
	"$HC" count -k 4 -j 2 -q --shm "$N-$sig" --keep-shm t.txt slow 3>&- &
	pid=$!
	poll "$pid" "SIG$sig: shm:$N-$sig" attachable "shm:$N-$sig"
	stop_with "$pid" "$sig"
	exec 3>&-
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	[ "$st" -eq "$want" ] || fail "SIG$sig: exit $st, want $want"
	shm_gone "$N-$sig" "SIG$sig"
done
echo ok
