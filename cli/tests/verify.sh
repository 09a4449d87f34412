# SPDX-License-Identifier: MIT
# Files that say when they are damaged (issue 12, section 2):
# - verify prints OK for a table count wrote, and names the region of a
#   byte changed in the header, the slots, the key area or the packed
#   overflow area, with exit 1;
# - dump, histo, stats, merge, query and model refuse a damaged table
#   with one line naming the file, and read it with --unchecked;
# - a live table (a process writes it) and a file of format 2.0 (no
#   seal) are not damaged: "no checksum", and the readers read them; a
#   seal word that says writers while none lives is "not sealed: its
#   last writer died" (status 1, readers warn) until verify --reseal;
# - every shard of a manifest is verified, and a damaged shard refused;
#   a manifest of format 1 (no shard sums) is read with a warning.
. "$(dirname "$0")/lib.sh"

"$GEN_TEXT" --seed 5 --bytes 200000 >t.txt
"$GEN_READS" --seed 5 --reads 2000 --len 100 >r.fa
"$HC" count -q -k 2 --words --no-compact -o b.hc t.txt
"$HC" count -q -k 21 --dna --no-compact -o d.hc r.fa
sdump b.hc >b.dump

# u64 at byte offset OFF of FILE
u64() {
	od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

# b.hc: byte keys (slots, key area); d.hc: packed (slots, overflow).

# flip FILE OFF: change one bit of the byte at OFF
flip() {
	perl -e 'open(my $f, "+<:raw", $ARGV[0]) or die; seek($f, $ARGV[1], 0);
		read($f, my $b, 1); seek($f, $ARGV[1], 0);
		print $f chr(ord($b) ^ 0x10); close($f)' "$1" "$2"
}

# put FILE OFF HEX: write bytes at OFF
put() {
	perl -e 'open(my $f, "+<:raw", $ARGV[0]) or die; seek($f, $ARGV[1], 0);
		print $f pack("H*", $ARGV[2]); close($f)' "$1" "$2" "$3"
}

out=$("$HC" verify b.hc d.hc) || fail "verify of clean tables: exit $?"
[ "$out" = "b.hc: OK
d.hc: OK" ] || fail "verify of clean tables: $out"

# damaged SRC OFF REGION: a copy of SRC with a byte changed at OFF
damaged() {
	cp "$1" x.hc
	flip x.hc "$2"
	set +e
	out=$("$HC" verify x.hc)
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "verify, $3 at $2: exit $st"
	[ "$out" = "x.hc: damaged: $3" ] || fail "verify, $3 at $2: $out"
}

slots=4096
arena=$(u64 b.hc 80)
used=$(u64 b.hc 256)
damaged b.hc 392 header
damaged b.hc 664 header
damaged b.hc $((slots + 17)) "slots of generation 0"
damaged b.hc $((arena - 1)) "slots of generation 0"
damaged b.hc $((arena + 8)) "key area chunk 0"
damaged b.hc $((arena + used - 1)) "key area chunk 0"
ovf=$(u64 d.hc 80)
damaged d.hc $((slots + 5)) "slots of generation 0"
damaged d.hc $((ovf + 3)) "overflow area"
damaged d.hc 1000 header

# Every reader refuses x.hc (a count changed) with one line naming it.
cp b.hc x.hc
flip x.hc $((slots + 24))
refuse() {
	set +e
	"$HC" "$@" >/dev/null 2>err.txt
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "$*: exit $st, want 1 ($(cat err.txt))"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "$*: not one line: $(cat err.txt)"
	grep -q "x.hc: damaged: slots of generation 0" err.txt ||
		fail "$*: $(cat err.txt)"
	grep -q -- "--unchecked" err.txt || fail "$*: no hint: $(cat err.txt)"
}
refuse dump x.hc
refuse histo x.hc
refuse stats x.hc
refuse merge -o m.hc x.hc b.hc
[ ! -e m.hc ] || fail "merge of a damaged table wrote its output"
refuse query x.hc abc
refuse model info x.hc
refuse model unseen x.hc
refuse model prob x.hc ab
refuse count -q -k 2 --words --into x.hc t.txt
# --unchecked reads it, before or after the other options.
"$HC" stats --unchecked x.hc >/dev/null || fail "stats --unchecked"
"$HC" dump x.hc --unchecked >/dev/null || fail "dump --unchecked"
"$HC" model --unchecked info x.hc >/dev/null || fail "model --unchecked"
set +e
"$HC" verify --unchecked x.hc >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify takes no --unchecked"
set -e

# The seal word says one writer (LIVE, epoch 1, 1 writer), and no
# process writes it: not live, "its last writer died" (design.md L2);
# read with one warning line, resealed by verify --reseal.
cp b.hc l.hc
put l.hc 664 0100010000000000
put l.hc 670 c3a5
set +e
out=$("$HC" verify l.hc)
st=$?
set -e
[ "$st" -eq 1 ] || fail "verify of a writerless live table: exit $st"
[ "$out" = "l.hc: not sealed: its last writer died (hogcount verify --reseal checks and seals it)" ] ||
	fail "dead: $out"
[ "$(sdump l.hc 2>err.txt)" = "$(cat b.dump)" ] || fail "dead: counts differ"
[ "$(wc -l <err.txt)" -eq 1 ] && grep -q "warning: not sealed" err.txt ||
	fail "dead: no warning: $(cat err.txt)"
[ "$("$HC" verify --reseal l.hc)" = "l.hc: OK" ] || fail "reseal"
[ "$("$HC" verify l.hc)" = "l.hc: OK" ] || fail "resealed: not OK"
[ "$(sdump l.hc)" = "$(cat b.dump)" ] || fail "resealed: counts differ"

# Live: a count --into holds it open (its last input a FIFO).
cp b.hc l.hc
mkfifo slow
exec 3<>slow
"$HC" count -q -k 2 --words --into l.hc slow 3>&- &
pid=$!
poll "$pid" "--into: workers" has_workers "$pid"
out=$("$HC" verify l.hc) || fail "verify of a live table: exit $?"
[ "$out" = "l.hc: no checksum (live)" ] || fail "live: $out"
[ "$(sdump l.hc)" = "$(cat b.dump)" ] || fail "live: counts differ"
exec 3>&-
wait "$pid" || fail "the held --into failed"
[ "$("$HC" verify l.hc)" = "l.hc: OK" ] || fail "--into: not sealed"

# Format 2.0: zeros where the seal, the header sum and the sums are.
cp b.hc o.hc
put o.hc 664 00000000000000000000000000000000
put o.hc $((1280 + 40)) 00000000000000000000000000000000
out=$("$HC" verify o.hc) || fail "verify of a 2.0 table: exit $?"
[ "$out" = "o.hc: no checksum (older file)" ] || fail "2.0: $out"
[ "$(sdump o.hc)" = "$(cat b.dump)" ] || fail "2.0: counts differ"

# Every count read from a checked file is the one written: the dump of
# the clean table is the reference's.
ref_words 2 t.txt | uniq_ref >ref.txt
cmp -s ref.txt b.dump || fail "counts of the checked table differ"

# A manifest of two shards: both verified, a damaged one refused.
"$HC" count -q -k 3 -o s.hc.shard-0-of-2 t.txt
"$HC" count -q -k 3 -o s.hc.shard-1-of-2 t.txt
printf 'hogcount-sharded 1\npartition hck-part-1\nshards 2\nrecord hogcount-cli 1 tokens=bytes k=3 canonical=0\nshard 0 s.hc.shard-0-of-2\nshard 1 s.hc.shard-1-of-2\n' >s.hc
out=$("$HC" verify s.hc 2>err.txt) || fail "verify of a manifest: exit $?"
[ "$out" = "./s.hc.shard-0-of-2: OK
./s.hc.shard-1-of-2: OK" ] || fail "manifest: $out"
# A manifest of format 1 has no shard sums: read with a warning.
grep -q "^hogcount verify: s.hc: warning: manifest format 1" err.txt ||
	fail "format 1 manifest: no warning: $(cat err.txt)"
flip s.hc.shard-1-of-2 $((slots + 17))
set +e
out=$("$HC" verify s.hc)
st=$?
"$HC" stats s.hc >/dev/null 2>err.txt
st2=$?
set -e
[ "$st" -eq 1 ] || fail "verify of a damaged shard: exit $st"
echo "$out" | grep -q "shard-1-of-2: damaged: slots of generation 0" ||
	fail "damaged shard: $out"
[ "$st2" -eq 1 ] && grep -q "shard-1-of-2: damaged" err.txt ||
	fail "stats of a damaged shard: $st2 $(cat err.txt)"

# A compact file (count's default for k-mers): its own body sum.
"$HC" count -q -k 21 --dna -o c.hc r.fa
out=$("$HC" verify c.hc) || fail "verify of a compact file: exit $?"
[ "$out" = "c.hc: OK" ] || fail "compact: $out"
flip c.hc $(($(stat -c %s c.hc) - 9))
set +e
out=$("$HC" verify c.hc)
st=$?
"$HC" dump c.hc >/dev/null 2>err.txt
st2=$?
set -e
[ "$st" -eq 1 ] && [ "$out" = "c.hc: damaged: slots of generation 0" ] ||
	fail "verify of a damaged compact file: $st $out"
[ "$st2" -eq 1 ] && grep -q "c.hc: damaged" err.txt ||
	fail "dump of a damaged compact file: $st2 $(cat err.txt)"

# Not a table, and no file.
set +e
"$HC" verify t.txt >out.txt 2>&1
st=$?
"$HC" verify nothing.hc >/dev/null 2>&1
st2=$?
set -e
[ "$st" -eq 1 ] && grep -q "t.txt: damaged: header" out.txt ||
	fail "verify of a text file: $st $(cat out.txt)"
[ "$st2" -eq 1 ] || fail "verify of a missing file: exit $st2"
echo "verify: ok"
