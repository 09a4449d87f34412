# SPDX-License-Identifier: MIT
# A full disk or a full /dev/shm (issue 21): count -o, count --into and
# count --shm exit 1 with one line, never a signal; the table left
# behind reads (stats, dump, verify) and keeps its old counts; a sparse
# table from an older hogcount on a full device gives the SIGBUS
# handler's one line and exit 1.  Runs in a mount namespace of its own
# (unshare -m) with small tmpfs mounts that die with it; needs root, and
# prints one line and passes where mounting is refused.
SELF=$(cd "$(dirname "$0")" && pwd)/nospace.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${HC_NOSPACE_NS:-}" ]; then
	if ! unshare -m sh -c \
		'mount --make-rprivate / && mount -t tmpfs -o size=1m none "$1"' \
		sh "$W" 2>/dev/null; then
		echo "cli.nospace: skipped, cannot mount a tmpfs (not root?)"
		exit 0
	fi
	HC_NOSPACE_NS=1 exec unshare -m sh "$SELF" "$@"
fi
mount --make-rprivate /

# one_line WHAT STATUS WANT FILE: exit status WANT and one line in FILE
# that contains "no space left on the device".
one_line() {
	[ "$2" -eq "$3" ] || fail "$1: exit $2, want $3: $(cat "$4")"
	[ "$(wc -l <"$4")" -eq 1 ] || fail "$1: not one line: $(cat "$4")"
	grep -qi "no space left on" "$4" ||
		fail "$1: no word of the full device: $(cat "$4")"
}

# no_signal WHAT STATUS FILE: a reader ended by no signal, and said why
# if it failed.
no_signal() {
	[ "$2" -lt 128 ] || fail "$1: killed by signal $(($2 - 128)): $(cat "$3")"
	[ "$2" -eq 0 ] || [ -s "$3" ] || fail "$1: exit $2 and no message"
}

"$GEN_READS" --reads 60000 --len 100 --genome 1000000 --seed 21 >big.fq
"$GEN_READS" --reads 2000 --len 100 --genome 20000 --seed 22 >small.fq
"$HC" count --dna -k 21 -C -j 2 -q --no-compact -o small.hc small.fq
sdump small.hc >small.txt

mkdir mnt
mount -t tmpfs -o size=4m none mnt

# 1. count -o onto a full disk: the save says so, nothing is left;
set +e
"$HC" count --dna -k 21 -C -j 2 -q --no-compact -o mnt/t.hc big.fq 2>err
st=$?
set -e
one_line "count -o" $st 1 err
[ -z "$(ls mnt)" ] || fail "count -o left files: $(ls mnt)"

# The compact file, whose body streams to its place (kernel/compact.c):
# the same.
set +e
"$HC" count --dna -k 21 -C -j 2 -q -o mnt/c.hc big.fq 2>err
st=$?
set -e
one_line "count -o, compact" $st 1 err
[ -z "$(ls mnt)" ] || fail "count -o, compact, left files: $(ls mnt)"

# merge -o onto it: the same.
"$HC" count --dna -k 21 -C -j 2 -q --no-compact -o big.hc big.fq
set +e
"$HC" merge --no-compact -o mnt/m.hc big.hc 2>err
st=$?
set -e
one_line "merge -o" $st 1 err
[ -z "$(ls mnt)" ] || fail "merge -o left files: $(ls mnt)"

# 2. count --into, in place, until the disk is full.
"$HC" count --dna -k 21 -C -j 2 -q --no-compact -o mnt/t.hc small.fq
set +e
"$HC" count --dna -k 21 -C -j 2 -q --into mnt/t.hc big.fq 2>err
st=$?
set -e
one_line "count --into" $st 1 err
grep -q "holds its old counts" err || fail "count --into: $(cat err)"

# 3. What is left reads, and holds at least the old counts.
for cmd in stats dump verify; do
	set +e
	"$HC" $cmd mnt/t.hc >out.$cmd 2>err
	st=$?
	set -e
	no_signal "$cmd of the table left" $st err
	[ $st -eq 0 ] || fail "$cmd of the table left: exit $st: $(cat err)"
done
grep -q ": OK" out.verify || fail "verify: $(cat out.verify)"
sort out.dump >left.txt
join -t "$(printf '\t')" small.txt left.txt |
	awk -F '\t' '$3 < $2 { bad++ } END { exit bad > 0 }' ||
	fail "the table left lost old counts"
[ "$(join -t "$(printf '\t')" small.txt left.txt | wc -l)" -eq \
	"$(wc -l <small.txt)" ] || fail "the table left lost old keys"

# 4. Another --into of it: done, or refused with a line; no signal.
set +e
"$HC" count --dna -k 21 -C -j 2 -q --into mnt/t.hc big.fq 2>err
st=$?
set -e
one_line "count --into again" $st 1 err

# 5. A sparse table (as older versions wrote them) on a full device:
# its holes cannot be read; the SIGBUS handler says so in one line.
rm -f mnt/t.hc
cp --sparse=always small.hc mnt/old.hc
dd if=/dev/zero of=mnt/fill bs=64k 2>/dev/null || true
for cmd in stats verify; do
	set +e
	"$HC" $cmd mnt/old.hc >/dev/null 2>err
	st=$?
	set -e
	no_signal "$cmd of a sparse table" $st err
	[ "$(wc -l <err)" -le 1 ] || fail "$cmd of a sparse table: $(cat err)"
done
set +e
"$HC" count --dna -k 21 -C -j 2 -q --into mnt/old.hc small.fq 2>err
st=$?
set -e
no_signal "count --into a sparse table" $st err
[ "$(wc -l <err)" -eq 1 ] || fail "--into a sparse table: $(cat err)"
umount mnt

# 6. count --shm with /dev/shm full (a small tmpfs on it, in this
# namespace only): one line, the object removed.
mount -t tmpfs -o size=2m none /dev/shm
set +e
"$HC" count --dna -k 21 -C -j 2 -q --shm nospace big.fq 2>err
st=$?
set -e
one_line "count --shm" $st 1 err
[ ! -e /dev/shm/nospace ] || fail "count --shm left /dev/shm/nospace"
umount /dev/shm
echo "cli.nospace: ok"
