# SPDX-License-Identifier: MIT
# Many writers of one table file (design.md L1-L5, issue 21): two
# count --into runs at once add up, on a live and on a compact table; a
# run that would replace a table another process writes is refused with
# one line naming it, and loses nothing; a table whose writers were
# killed reads as "not sealed: its last writer died" until verify
# --reseal; a forged "live" seal is not trusted; a killed save's
# temporary file goes with the next save.  The oracle is one count of
# all the inputs.
. "$(dirname "$0")/lib.sh"

"$GEN_READS" --reads 4000 --len 100 --genome 60000 --seed 21 >a.fq
"$GEN_READS" --reads 4000 --len 100 --genome 60000 --seed 22 >b.fq
"$GEN_READS" --reads 4000 --len 100 --genome 60000 --seed 23 >c.fq
"$GEN_READS" --reads 4000 --len 100 --genome 60000 --seed 24 >d.fq
K="--dna -k 21 -C -q"
"$HC" count $K -j 1 -o all.hc a.fq b.fq c.fq d.fq
sdump all.hc >all.txt

# start_held TABLE FILE...: count --into TABLE in the background, FILEs
# then the FIFO "held" (fd 3 open here), and wait until it counts in
# place (its workers run).  Its pid in $held.
start_held() {
	rm -f held
	mkfifo held
	exec 3<>held
	t=$1
	shift
	"$HC" count $K -j 2 --into "$t" "$@" held 3>&- 2>held.err &
	held=$!
	poll "$held" "--into $t: workers" has_workers "$held"
}

# finish_held FILE: feed FILE through the FIFO, close it, and wait for
# the held count; it must succeed.
finish_held() {
	cat "$1" >&3
	exec 3>&-
	set +e
	wait "$held"
	st=$?
	set -e
	[ "$st" -eq 0 ] || fail "held count: exit $st: $(cat held.err)"
}

# 1. Two --into at once on a live table: both in place, the sum of both.
"$HC" count $K --no-compact -o live.hc a.fq
ino=$(stat -c %i live.hc)
start_held live.hc b.fq
"$HC" count $K -j 1 --into live.hc c.fq 2>second.err ||
	fail "second --into: $(cat second.err)"
finish_held d.fq
[ "$(stat -c %i live.hc)" = "$ino" ] || fail "live: --into replaced the file"
sdump live.hc | cmp -s - all.txt || fail "live: two --into lost counts"
"$HC" verify live.hc | grep -q ': OK$' || fail "live: not sealed"
echo "ok: two --into at once on a live table"

# 2. The same on a compact table: converted once, both add in place,
# and it is compact again at the end.
"$HC" count $K -o comp.hc a.fq
start_held comp.hc b.fq
"$HC" count $K -j 1 --into comp.hc c.fq 2>second.err ||
	fail "second --into (compact): $(cat second.err)"
finish_held d.fq
sdump comp.hc | cmp -s - all.txt || fail "compact: two --into lost counts"
[ "$(head -c 8 comp.hc)" = HOGCOMPT ] || fail "compact: not compact at the end"
"$HC" verify comp.hc | grep -q ': OK$' || fail "compact: not sealed"
echo "ok: two --into at once on a compact table"

# 2b. Ctrl-C while a run waits for the others to write the table compact
# again: status 130, and the line says every count of it is in (it is).
"$HC" count $K -o ci.hc a.fq
"$HC" count $K -j 1 -o abc.hc a.fq b.fq c.fq
rm -f fa fb
mkfifo fa fb
exec 4<>fa 5<>fb
"$HC" count $K -j 1 --into ci.hc fa 4>&- 5>&- 2>a.err &
pa=$!
poll "$pa" "--into ci.hc (a): workers" has_workers "$pa"
"$HC" count $K -j 1 --into ci.hc fb 4>&- 5>&- 2>b.err &
pb=$!
poll "$pb" "--into ci.hc (b): workers" has_workers "$pb"
cat b.fq >&4
exec 4>&-
n=0
until grep -q "to write it compact again" a.err; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "run a does not wait to compact: $(cat a.err)"
	sleep 0.1
done
stop_with "$pa" INT
[ "$st" -eq 130 ] || fail "Ctrl-C while waiting to compact: exit $st"
grep -q "interrupted while waiting; ci.hc holds every count of this run" \
	a.err || fail "Ctrl-C while waiting to compact: $(cat a.err)"
cat c.fq >&5
exec 5>&-
wait "$pb" || fail "run b: $(cat b.err)"
sdump ci.hc | cmp -s - "$(sdump abc.hc >abc.txt && echo abc.txt)" ||
	fail "Ctrl-C while waiting to compact: counts differ"
echo "ok: Ctrl-C while waiting to compact loses nothing and says so"

# 3. Replacing a table another process writes: refused, one line naming
# it, nothing lost.
"$HC" count $K --no-compact -o busy.hc a.fq
"$HC" count $K -o other.hc b.fq
start_held busy.hc c.fq
for cmd in "merge -o busy.hc other.hc" "count $K -o busy.hc b.fq"; do
	set +e
	# shellcheck disable=SC2086
	"$HC" $cmd 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "$cmd over a held table: exit $st"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$cmd: not one line: $(cat err.txt)"
	grep -q "in use: pid $held (hogcount)" err.txt ||
		fail "$cmd: does not name pid $held: $(cat err.txt)"
done
finish_held d.fq
"$HC" count $K -j 1 -o want.hc a.fq c.fq d.fq
sdump busy.hc | cmp -s - "$(sdump want.hc >want.txt && echo want.txt)" ||
	fail "a refused writer changed the table"
echo "ok: merge -o and count -o over a held table refused"

# 4. Every writer killed: not sealed, and nobody writes it.
"$HC" count $K --no-compact -o dead.hc a.fq
start_held dead.hc b.fq
kill -KILL "$held"
wait "$held" || true
exec 3>&-
# The workers die with their parent (PR_SET_PDEATHSIG).
poll_gone() { ! "$HC" verify dead.hc >/dev/null 2>&1; }
n=0
until poll_gone; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "dead.hc: verify still passes after the kill"
	sleep 0.1
done
set +e
"$HC" verify dead.hc >out.txt
st=$?
set -e
[ "$st" -eq 1 ] || fail "verify of a dead writer's table: exit $st"
grep -q "dead.hc: not sealed: its last writer died" out.txt ||
	fail "verify: $(cat out.txt)"
"$HC" stats dead.hc >/dev/null 2>err.txt || fail "stats of a dead table"
grep -q "warning: not sealed: its last writer died" err.txt ||
	fail "stats gives no warning: $(cat err.txt)"
set +e
"$HC" count $K --into dead.hc c.fq 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
	grep -q "verify --reseal" err.txt ||
	fail "--into a dead table: exit $st: $(cat err.txt)"
"$HC" verify --reseal dead.hc | grep -q 'dead.hc: OK$' || fail "reseal"
"$HC" verify dead.hc | grep -q 'dead.hc: OK$' || fail "resealed: not OK"
"$HC" count $K --into dead.hc c.fq || fail "--into a resealed table"
echo "ok: a killed writer's table is reported, refused, resealed"

# 5. A forged "live" seal (two bytes at 670) is not trusted.
"$HC" count $K --no-compact -o forged.hc a.fq
printf '\303\245' | dd of=forged.hc bs=1 seek=670 conv=notrunc 2>/dev/null
set +e
"$HC" verify forged.hc >out.txt
st=$?
set -e
[ "$st" -eq 1 ] && grep -q "not sealed: its last writer died" out.txt ||
	fail "forged live seal: exit $st: $(cat out.txt)"
echo "ok: a forged live seal is reported"

# 6. A killed save's temporary file goes with the next save.
sh -c 'exit 0' &
gone=$!
wait "$gone"
: >"out.hc.tmp.$gone"
: >"out.hc.tmp.$$"
"$HC" count $K -o out.hc a.fq
[ ! -e "out.hc.tmp.$gone" ] || fail "stale temporary file left"
[ -e "out.hc.tmp.$$" ] || fail "a live process's temporary file removed"
echo ok
