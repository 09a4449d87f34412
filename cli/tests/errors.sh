# SPDX-License-Identifier: MIT
# Each error gives one line on standard error naming the file or option,
# a non-zero exit status, and no output file.
. "$(dirname "$0")/lib.sh"

"$GEN_TEXT" --bytes 100000 --seed 9 >t.txt
gzip -c t.txt >good.gz
# Corrupt: flip bytes inside the deflate data.  Truncated: cut it.
perl -e 'local $/; my $d = <STDIN>; substr($d, 200, 8) = "\xff" x 8;
	print $d' <good.gz >corrupt.gz
head -c 3000 good.gz >trunc.gz
mkdir adir

# expect STATUS WHAT-IN-MESSAGE ARGS...: run count, check one line.
expect() {
	want=$1
	pat=$2
	shift 2
	rm -f out.hc
	set +e
	"$HC" "$@" >/dev/null 2>err.txt
	st=$?
	set -e
	[ "$st" -eq "$want" ] ||
		fail "$*: exit $st, want $want ($(cat err.txt))"
	[ "$(wc -l <err.txt)" -eq 1 ] ||
		fail "$*: stderr is not one line: $(cat err.txt)"
	grep -q -- "$pat" err.txt || fail "$*: message lacks '$pat': $(cat err.txt)"
	[ ! -e out.hc ] || fail "$*: left an output file"
	if ls .out.hc* out.hc.* >/dev/null 2>&1; then
		fail "$*: left a temporary file"
	fi
}

expect 1 "missing.txt: No such file" count -k 3 -o out.hc missing.txt
expect 1 "adir: Is a directory" count -k 3 -o out.hc t.txt adir
if [ "$(id -u)" -ne 0 ]; then
	cp t.txt locked.txt
	chmod 000 locked.txt
	expect 1 "locked.txt: Permission denied" count -k 3 -o out.hc locked.txt
fi
expect 1 "corrupt.gz: corrupt gzip" count -k 3 -q -o out.hc corrupt.gz
expect 1 "trunc.gz: corrupt gzip" count -k 3 -q -o out.hc trunc.gz
expect 1 "<stdin>: corrupt gzip" count -k 3 -q -o out.hc - <trunc.gz
# The same through zlib, where the build inflates with ISA-L.
export HOGCOUNT_INFLATE=zlib
expect 1 "corrupt.gz: corrupt gzip" count -k 3 -q -o out.hc corrupt.gz
expect 1 "trunc.gz: corrupt gzip" count -k 3 -q -o out.hc trunc.gz
unset HOGCOUNT_INFLATE
# xz, bzip2, zstd: a flipped byte and a cut, on files and stdin.
for z in "xz -c" "bzip2 -c" "zstd -q -c"; do
	n=${z%% *}
	need "$n" "$( [ "$n" = xz ] && echo xz-utils || echo "$n")"
	$z t.txt >good.$n
	perl -e 'local $/; my $d = <STDIN>; substr($d, 300, 8) = "\xff" x 8;
		print $d' <good.$n >corrupt.$n
	head -c 3000 good.$n >trunc.$n
	expect 1 "corrupt.$n: corrupt $n" count -k 3 -q -o out.hc corrupt.$n
	expect 1 "trunc.$n: corrupt $n stream (truncated)" count -k 3 -q \
		-o out.hc trunc.$n
	expect 1 "<stdin>: corrupt $n" count -k 3 -q -o out.hc - <trunc.$n
done
expect 2 "--order" count -k 0 -o out.hc t.txt
expect 2 "--order" count -k x -o out.hc t.txt
expect 2 "--order" count --dna -k 33 -o out.hc t.txt
expect 2 "--order" count -o out.hc t.txt
expect 2 "--workers" count -k 3 -j 0 -o out.hc t.txt
expect 2 "--size" count -k 3 -s 12q -o out.hc t.txt
# A size out of range names the range.
expect 2 "--size: invalid size '10T': give 1 to 512Gi (2^39) keys" \
	count -k 3 -s 10T -o out.hc t.txt
expect 2 "--max-size: invalid size '600G': give 1 to 512Gi" \
	count -k 3 --max-size 600G -o out.hc t.txt
expect 2 "--size: invalid size '10T': give 1 to 512Gi" \
	merge -s 10T -o out.hc t.txt
expect 2 "--mode" count -k 3 --mode fast -o out.hc t.txt
expect 2 "--canonical" count -k 3 -C -o out.hc t.txt
expect 2 "--bogus: unrecognized option" count -k 3 --bogus -o out.hc t.txt
expect 1 "nodir/out.hc: No such file" count -k 3 -o nodir/out.hc t.txt
# --size is only a hint: a small one grows.  A full table happens only
# at the user's --max-size, and the message names it.
"$HC" count -k 8 -s 100 -q -o small.hc t.txt || fail "a small --size fails"
expect 1 "--max-size" count -k 8 --max-size 100 -q -o out.hc t.txt
expect 1 "--max-size" count --words -k 2 --max-size 100 -q -o out.hc t.txt
expect 1 "--max-size" count --words -k 2 --max-size 100 -q -o out.hc good.gz
expect 2 "--max-size" count -k 3 --max-size 0 -o out.hc t.txt
# The disk fills up while the table is saved.  A file size limit stands
# in for a full disk (write fails with EFBIG rather than ENOSPC, through
# the same path): one line naming the file, no output, no temporary.
(
	trap '' XFSZ
	ulimit -f 8
	expect 1 "out.hc: File too large" count -k 3 -q --no-compact \
		-o out.hc t.txt
	# The compact file of t.txt is a few KiB: 1 KiB holds its header.
	ulimit -f 1
	expect 1 "out.hc: File too large" count -k 3 -q -o out.hc t.txt
)
# Reading commands.
expect 1 "missing.hc" dump missing.hc
expect 1 "t.txt" dump t.txt
expect 1 "t.txt" stats t.txt
expect 2 "--lower-count" dump --lower-count x t.txt
"$HC" count -k 3 -q -o ok.hc t.txt
expect 1 "not a fragment" query ok.hc abcd
expect 2 "unknown command" frobnicate
# Nothing counted (an empty input, or K longer than every input): a
# valid empty table, status 0, and one warning line (-q or not).
: >empty.txt
printf 'ab' >ab.txt
printf '>s\nACGTNACG\n' >short.fa
for args in "-k 3 empty.txt" "-k 3 ab.txt" "-k 3 ab.txt empty.txt" \
	"--words -k 2 ab.txt" "--dna -k 5 short.fa"; do
	# shellcheck disable=SC2086
	"$HC" count -q $args -o none.hc 2>err.txt ||
		fail "count $args: exit $? ($(cat err.txt))"
	[ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'warning: nothing counted' err.txt ||
		fail "count $args: no warning: $(cat err.txt)"
	"$HC" stats none.hc | grep -q '^Distinct: *0$' || fail "count $args: stats"
done
# All of it skipped: the skipped-input warning says nothing was counted.
printf '12345+67890\n' >digits.txt
"$HC" count -q --dna -k 3 -o none.hc digits.txt 2>err.txt
[ "$(wc -l <err.txt)" -eq 1 ] &&
	grep -q 'warning: 11 bytes skipped: .*; nothing counted$' err.txt ||
	fail "all skipped: $(cat err.txt)"
"$HC" count -q --dna -k 4 -o none.hc short.fa 2>err.txt
[ ! -s err.txt ] || fail "a count of something warns: $(cat err.txt)"
# On a terminal, the save after the progress line says what it does.
if command -v script >/dev/null; then
	script -qec "'$HC' count -k 3 -o tty.hc t.txt" /dev/null </dev/null |
		tr '\r' '\n' >tty.txt
	grep -q '^hogcount count: saving tty.hc, [0-9]* s' tty.txt ||
		fail "no saving line on a terminal: $(cat -v tty.txt)"
	[ -s tty.hc ] || fail "count on a terminal: no table"
else
	echo "skip: the saving line on a terminal (no script(1): bsdutils)"
fi
# -h is help in every subcommand (histo's --high has no letter), and a
# letter means the same everywhere (docs/cli.md, "Option letters").
for c in count dump query histo stats merge model verify; do
	"$HC" $c -h >help.txt 2>err.txt || fail "$c -h: exit $? ($(cat err.txt))"
	head -n 1 help.txt | grep -q "^Usage: hogcount $c" ||
		fail "$c -h: no usage: $(head -n 2 help.txt err.txt)"
	[ ! -s err.txt ] || fail "$c -h: wrote to stderr: $(cat err.txt)"
done
"$HC" model sample -h | grep -q '^Usage: hogcount model' ||
	fail "model sample -h: no usage"
expect 2 "-t: invalid option" model prob -t 3 ok.hc
expect 2 "--top" model sample -n 3 ok.hc
echo ok
