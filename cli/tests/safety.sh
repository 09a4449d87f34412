# SPDX-License-Identifier: MIT
# Data safety (issue 12, section 4):
# - count, merge, model reduce, dump -o and histo --plot refuse an output
#   that is one of their inputs (same device and inode: the same path,
#   ./ spellings, symlinks, hard links, standard input), with one line
#   naming it, exit 1, and the input untouched;
# - every output is written under a temporary name and renamed (the
#   old file's inode is replaced, not rewritten), and a failed write
#   leaves the old output and no temporary file;
# - input that is not what the tokens expect is never silently misread:
#   a warning line with the count of skipped bytes (DNA) or n-grams.
. "$(dirname "$0")/lib.sh"

printf 'the cat sat on the mat and the cat ate the rat\n' >t.txt
"$HC" count -q -k 2 --words -o t.hc t.txt
"$HC" count -q -k 3 -o b.hc t.txt
cp t.txt t.orig
cp t.hc t.hc.orig
mkdir sub
ln -s ../t.txt sub/link.txt
ln t.txt hard.txt

# refused STATUS WHAT-IN-MESSAGE FILE ARGS...: one line, FILE unchanged.
refused() {
	pat=$1
	file=$2
	shift 2
	cp "$file" before.tmp
	set +e
	"$HC" "$@" >/dev/null 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "$*: exit $st, want 1 ($(cat err.txt))"
	[ "$(wc -l <err.txt)" -eq 1 ] ||
		fail "$*: stderr is not one line: $(cat err.txt)"
	grep -q -- "$pat" err.txt ||
		fail "$*: message lacks '$pat': $(cat err.txt)"
	cmp -s before.tmp "$file" || fail "$*: changed $file"
	if ls ./*.tmp-* ./*.tmp.* sub/*.tmp* >/dev/null 2>&1; then
		fail "$*: left a temporary file"
	fi
	rm -f before.tmp
}

msg="refusing to overwrite an input"
refused "t.txt: is also an input: $msg" t.txt count -q -k 3 -o t.txt t.txt
refused "$msg" t.txt count -q -k 3 -o ./t.txt t.txt
refused "sub/link.txt: is the input t.txt: $msg" t.txt \
	count -q -k 3 -o sub/link.txt t.txt
refused "t.txt: is the input sub/../hard.txt: $msg" t.txt \
	count -q -k 3 -o t.txt sub/../hard.txt
refused "$msg" t.txt count -q -k 3 -o "$PWD/t.txt" - <t.txt
refused "t.hc: is the input ./t.hc: $msg" t.hc merge -o t.hc b.hc ./t.hc
refused "$msg" t.hc model reduce t.hc -o t.hc
refused "$msg" t.hc dump -o t.hc t.hc
refused "$msg" t.hc histo --plot t.hc t.hc
cmp -s t.txt t.orig || fail "t.txt changed"
cmp -s t.hc t.hc.orig || fail "t.hc changed"

# renamed CMD...: the output "out" is replaced by a new file (a hard link
# to the old one keeps the old bytes), with no temporary file left.
renamed() {
	printf 'old\n' >out
	ln -f out out.old
	"$@" 2>err.txt || fail "$*: exit $? ($(cat err.txt))"
	cmp -s out out.old && fail "$*: out not rewritten"
	[ "$(cat out.old)" = old ] || fail "$*: wrote into the old file"
	if ls ./out.tmp* >/dev/null 2>&1; then
		fail "$*: left a temporary file"
	fi
	rm -f out.old
}
renamed "$HC" count -q -k 3 -o out t.txt
renamed "$HC" merge -o out t.hc t.hc
renamed "$HC" model reduce t.hc -o out
renamed "$HC" dump -o out t.hc
renamed "$HC" histo --plot out t.hc
[ "$(sort out 2>/dev/null | head -c 4)" != old ] || fail "plot not written"
"$HC" dump -o out t.hc
[ "$(stat -c %a out)" = "$(touch fresh && stat -c %a fresh)" ] ||
	fail "dump -o: mode $(stat -c %a out), not as a new file"
# Written in place: a FIFO or a device.
"$HC" dump -o /dev/null t.hc || fail "dump -o /dev/null"

# A failed write leaves the old output and no temporary file: a PNG
# without rsvg-convert on the PATH.
printf 'old\n' >pic.png
set +e
PATH=/nonexistent "$HC" histo --plot pic.png t.hc 2>err.txt
st=$?
set -e
[ "$st" -ne 0 ] || fail "histo --plot without rsvg-convert: exit 0"
[ "$(cat pic.png)" = old ] || fail "histo --plot: damaged the old output"
if ls ./pic.png.tmp* >/dev/null 2>&1; then
	fail "histo --plot: left a temporary file"
fi

# Not DNA given as DNA: a warning with the count of skipped bytes (the
# bytes of sequence lines that are not letters, '-', '.', '*', blanks).
perl -e 'print "x"; print chr($_ % 256) for 0 .. 2499999' >bin.dat
want=$(perl -e 'local $/; my $d = <STDIN>;
	print scalar(() = $d =~ /[^A-Za-z\-.* \t\r\n]/g)' <bin.dat)
"$HC" count -q --dna -k 5 -o out.hc bin.dat 2>err.txt ||
	fail "count of a binary file: exit $?"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "binary: not one line: $(cat err.txt)"
grep -q "bin.dat: warning: $want bytes skipped" err.txt ||
	fail "binary: want $want bytes skipped: $(cat err.txt)"
printf '>r1\nACGTNNRYacgt-ACG\n>r2\nGATTACA\n' >ok.fa
"$HC" count -q --dna -k 5 -o out.hc ok.fa 2>err.txt
[ ! -s err.txt ] || fail "FASTA: unexpected message: $(cat err.txt)"
# Same total with 3 workers on 1 MiB ranges.
"$HC" count -q --dna -k 5 -j 3 --chunk-size 1M -o out.hc bin.dat 2>err.txt
grep -q "warning: $want bytes skipped" err.txt ||
	fail "binary, 3 workers: $(cat err.txt)"
# Word n-grams over the key limit.
perl -e 'print "a b ", "c" x 70000, " d\n"' >long.txt
"$HC" count -q --words -k 1 -o out.hc long.txt 2>err.txt
grep -q "long.txt: warning: 1 n-grams skipped: longer than 65536" err.txt ||
	fail "long word: $(cat err.txt)"
# Multi-line FASTQ cut into ranges: every record counted once (the
# ranges after the first were dropped before hck_tok_align() checked
# record lengths).  Quality lines start with '@' now and then.
perl -e 'srand(3); for my $i (1 .. 12000) {
	my $s = join("", map { (qw(A C G T))[int rand 4] } 1 .. 100);
	my $q = join("", map { chr(64 + int rand 10) } 1 .. 100);
	print "\@r$i\n", substr($s, 0, 50), "\n", substr($s, 50), "\n+\n",
		substr($q, 0, 50), "\n", substr($q, 50), "\n" }' >ml.fq
"$HC" count -q --dna -k 11 -j 1 -o one.hc ml.fq
"$HC" count -q --dna -k 11 -j 3 --chunk-size 1M -o many.hc ml.fq
"$HC" stats one.hc | grep -q "^Total: *1080000$" ||
	fail "multi-line FASTQ, one range: $("$HC" stats one.hc | grep Total)"
[ "$(sdump one.hc | md5sum)" = "$(sdump many.hc | md5sum)" ] ||
	fail "multi-line FASTQ: 3 ranges differ from one"
echo "ok"
