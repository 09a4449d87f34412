# SPDX-License-Identifier: MIT
# The newcomer cases of issue 9: no size given, the table starts small
# and grows.  Each case finishes (no "table full"), ends with a load of
# at least 0.4, and gives the oracle's counts: jellyfish for k-mers, a
# sorted Perl reference for text.
. "$(dirname "$0")/lib.sh"
need jellyfish jellyfish
need gzip gzip

# load TABLE: the final load, checked >= 0.4.
load_ok() {
	l=$("$HC" stats "$1" | awk '/^Load:/ { print $2 }')
	[ -n "$l" ] || fail "$1: no load in stats"
	awk -v l="$l" 'BEGIN { exit !(l >= 0.4) }' ||
		fail "$1: final load $l < 0.4"
}

# jf_same TABLE K FILE...: the dump equals jellyfish's (canonical).
jf_same() {
	t=$1
	k=$2
	shift 2
	jellyfish count -m "$k" -C -s 1M -t 2 -o jf.jf "$@"
	jellyfish dump -c jf.jf | tr ' ' '\t' | sort >jf.txt
	sdump "$t" >hc.txt
	[ -s jf.txt ] || fail "jellyfish gave no k-mers"
	cmp -s jf.txt hc.txt || fail "$t: dump differs from jellyfish"
}

# 1. Reads, k = 21 canonical.
"$GEN_READS" --reads 20000 --len 100 --genome 200000 --seed 11 >r.fq
"$HC" count --dna -k 21 -C -j 2 -q -o reads.hc r.fq
load_ok reads.hc
jf_same reads.hc 21 r.fq

# 2. The same reads as one gzip file.
gzip -c r.fq >r.fq.gz
"$HC" count --dna -k 21 -C -j 2 -q -o gz.hc r.fq.gz
load_ok gz.hc
cmp -s hc.txt "$(sdump gz.hc >gz.txt && echo gz.txt)" ||
	fail "gzip and plain reads differ"

# 3. Word 3-grams of generated text.
"$GEN_TEXT" --bytes 400000 --seed 12 >t.txt
"$HC" count --words -k 3 -j 2 -q -o words.hc t.txt
load_ok words.hc
ref_words 3 t.txt | uniq_ref >ref.txt
sdump words.hc >hc.txt
cmp -s ref.txt hc.txt || fail "word 3-grams differ from the reference"

# 4. 1.5 KB on standard input, bytes k = 12: a small table file.
head -c 1536 t.txt >small.txt
"$HC" count --bytes -k 12 -q -o stdin.hc - <small.txt
load_ok stdin.hc
sz=$(wc -c <stdin.hc)
[ "$sz" -lt 1048576 ] || fail "1.5 KB of input gave a table file of $sz bytes"
ref_bytes 12 small.txt | uniq_ref >ref.txt
sdump stdin.hc >hc.txt
cmp -s ref.txt hc.txt || fail "stdin bytes k=12 differ from the reference"

# 5. A small plain FASTQ plus a small gzip FASTQ: no failure.
"$GEN_READS" --reads 30000 --len 100 --genome 400000 --seed 13 >a.fq
"$GEN_READS" --reads 30000 --len 100 --genome 400000 --seed 14 >b.fq
gzip -c b.fq >b.fq.gz
"$HC" count --dna -k 21 -C -j 2 -q -o two.hc a.fq b.fq.gz ||
	fail "plain + gzip FASTQ failed"
load_ok two.hc
jf_same two.hc 21 a.fq b.fq

# A --size hint far too small still finishes, and grows.
"$HC" count --dna -k 21 -C -j 2 -s 10 -q -o hint.hc r.fq
sdump hint.hc | cmp -s - "$(sdump reads.hc >r.txt && echo r.txt)" ||
	fail "a small --size hint changed the counts"
# --into: a day's new reads added to yesterday's table equal one count
# of both, the file grown in place (same inode); a table of other
# tokens, k or -C is refused with one line and left byte for byte.
cp a.fq day1.fq
cp b.fq day2.fq
"$HC" count --dna -k 21 -C -j 2 -q --no-compact -o days.hc day1.fq
ino=$(stat -c %i days.hc)
"$HC" count --dna -k 21 -C -j 2 -q --into days.hc day2.fq
[ "$(stat -c %i days.hc)" = "$ino" ] || fail "--into did not count in place"
sdump days.hc >days.txt
sdump two.hc >two.txt
cmp -s days.txt two.txt || fail "--into differs from one count of both"
load_ok days.hc
# The same for byte keys (their key area grows too) and words.
"$HC" count --words -k 3 -j 2 -q -o w.hc small.txt
"$HC" count --words -k 3 -j 2 -q --into w.hc t.txt
"$HC" count --words -k 3 -j 2 -q -o w2.hc small.txt t.txt
sdump w.hc | cmp -s - "$(sdump w2.hc >w2.txt && echo w2.txt)" ||
	fail "--into of word 3-grams differs from one count of both"
# A new limit (--max-size) asks for a new table: the copy path, which
# replaces the file (another inode) with the same counts.
"$HC" count --words -k 3 -j 2 -q -o copy.hc small.txt
ino=$(stat -c %i copy.hc)
"$HC" count --words -k 3 -j 2 -q --max-size 10M --into copy.hc t.txt
[ "$(stat -c %i copy.hc)" != "$ino" ] || fail "--into --max-size in place"
sdump copy.hc | cmp -s - w2.txt || fail "--into by copy differs"
cp days.hc before.hc
for bad in "-k 25 -C" "-k 21"; do
	set +e
	"$HC" count --dna $bad -q --into days.hc day2.fq 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "--into a mismatch ($bad): exit $st"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "--into: not one line: $(cat err.txt)"
	grep -q "holds dna k=21 canonical" err.txt || fail "--into: $(cat err.txt)"
	cmp -s days.hc before.hc || fail "--into a mismatch changed the table"
done
set +e
"$HC" count --dna -k 21 -C -q --into days.hc -o x.hc day2.fq 2>err.txt
st=$?
set -e
[ "$st" -eq 2 ] || fail "--into with --output: exit $st"
ls -a | grep -q '^\.days' && fail "--into left a temporary file"
# Interrupted in place: a valid table, each count between the old one
# and the old plus the new (docs/cli.md: what a crash costs).
mkfifo slow
cp w.hc cut.hc
exec 3<>slow
"$HC" count --words -k 3 -j 2 -q --into cut.hc t.txt slow 3>&- &
pid=$!
poll "$pid" "--into: workers" has_workers "$pid"
stop_with "$pid" INT
exec 3>&-
[ "$st" -eq 130 ] || fail "--into interrupted: exit $st"
"$HC" count --words -k 3 -j 2 -q -o all.hc small.txt t.txt t.txt
sdump cut.hc >cut.txt
sdump all.hc >all.txt
awk -F '\t' 'FILENAME == ARGV[1] { lo[$1] = $2; next }
	FILENAME == ARGV[2] { hi[$1] = $2; next }
	$2 < lo[$1] || !($1 in hi) || $2 > hi[$1] { bad = 1 }
	END { exit bad }' w2.txt all.txt cut.txt ||
	fail "--into interrupted: counts outside old..old+new"
[ "$(wc -l <cut.txt)" -ge "$(wc -l <w2.txt)" ] ||
	fail "--into interrupted: keys lost"
echo ok
