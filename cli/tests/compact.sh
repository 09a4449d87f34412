# SPDX-License-Identifier: MIT
# Compact files (docs/format.md, "Compact files"): count -o writes them
# for integer keys, every reading command reads them in place, and
# they hold what the live layout (--no-compact) holds, in a fraction
# of the bytes.  Jellyfish is the oracle for the k-mers.
. "$(dirname "$0")/lib.sh"
need jellyfish jellyfish

magic() { head -c 8 "$1"; }
size() { stat -c %s "$1"; }

"$GEN_READS" --reads 20000 --len 100 --genome 200000 --seed 5 >r.fq
"$GEN_READS" --reads 5000 --len 100 --genome 200000 --seed 6 >r2.fq

# k = 21 canonical (narrow, 4-byte slots once large) and k = 31 (8-byte
# ones): both layouts.
for k in 21 31; do
	"$HC" count --dna -k $k -C -j 2 -q -o c$k.hc r.fq
	"$HC" count --dna -k $k -C -j 2 -q --no-compact -o l$k.hc r.fq
	[ "$(magic c$k.hc)" = HOGCOMPT ] || fail "k=$k: not compact"
	[ "$(magic l$k.hc)" = HOGCOUNT ] || fail "k=$k: --no-compact"
	sdump c$k.hc >c.txt
	sdump l$k.hc >l.txt
	[ -s c.txt ] || fail "k=$k: empty dump"
	cmp -s c.txt l.txt || fail "k=$k: compact dump differs"
	[ $(($(size c$k.hc) * 2)) -lt "$(size l$k.hc)" ] ||
		fail "k=$k: compact $(size c$k.hc) vs live $(size l$k.hc)"
	"$HC" histo c$k.hc >hc.txt
	"$HC" histo l$k.hc >hl.txt
	cmp -s hc.txt hl.txt || fail "k=$k: histo differs"
	for f in Unique Distinct Total Max_count Tokens Keys; do
		a=$("$HC" stats c$k.hc | grep "^$f:")
		b=$("$HC" stats l$k.hc | grep "^$f:")
		[ "$a" = "$b" ] || fail "k=$k: stats $a vs $b"
	done
	# The compact file's capacity and load are the live table's: the
	# capacity in its header, the load distinct / capacity, not 1.
	"$HC" stats c$k.hc >st.txt
	grep -q '^Layout: *compact, read-only' st.txt || fail "k=$k: layout"
	"$HC" stats l$k.hc | grep -q '^Layout: *live$' ||
		fail "k=$k: live layout"
	awk '/^Distinct:/ { d = $2 } /^Capacity:/ { c = $2; w = $3 $4 }
		/^Load:/ { l = $2; lw = $3 $4 }
		END { exit !(c > d && w == "whilelive" && lw == "whilelive" &&
			l != "1.0000" && l == sprintf("%.4f", d / c)) }' st.txt ||
		fail "k=$k: compact stats: $(cat st.txt)"
	"$HC" stats --json c$k.hc | grep -q '"layout": "compact"' ||
		fail "k=$k: --json layout"
	# Present and absent k-mers.
	q=$(head -n 50 c.txt | cut -f1 | tr '\n' ' ')
	[ "$("$HC" query c$k.hc $q AAAAAAAAAAAAAAAAAAAAA)" = \
		"$("$HC" query l$k.hc $q AAAAAAAAAAAAAAAAAAAAA)" ] ||
		fail "k=$k: query differs"
done
jellyfish count -m 21 -C -s 1M -t 2 -o jf.jf r.fq
jellyfish dump -c jf.jf | tr ' ' '\t' | sort >jf.txt
sdump c21.hc >c.txt
cmp -s jf.txt c.txt || fail "compact k=21 differs from jellyfish"

# merge: compact and live inputs, compact and live outputs.
"$HC" merge -o m.hc c21.hc l21.hc
"$HC" merge --no-compact -o ml.hc l21.hc l21.hc
[ "$(magic m.hc)" = HOGCOMPT ] || fail "merge output not compact"
[ "$(magic ml.hc)" = HOGCOUNT ] || fail "merge --no-compact"
sdump m.hc >a.txt
sdump ml.hc >b.txt
cmp -s a.txt b.txt || fail "merge of compact differs"

# --into a compact table: one count of both inputs.
cp c21.hc days.hc
"$HC" count --dna -k 21 -C -j 2 -q --into days.hc r2.fq
"$HC" count --dna -k 21 -C -j 2 -q -o both.hc r.fq r2.fq
[ "$(magic days.hc)" = HOGCOMPT ] || fail "--into: not compact"
sdump days.hc >a.txt
sdump both.hc >b.txt
cmp -s a.txt b.txt || fail "--into a compact table"

# Byte keys (word n-grams, byte fragments past 8 bytes): compact too,
# sorted and front-coded, read alike, a fraction of the live bytes.
"$GEN_TEXT" --seed 3 --bytes 300000 >t.txt
"$GEN_TEXT" --seed 4 --bytes 100000 >t2.txt
for o in "--words -k 3" "--bytes -k 12"; do
	"$HC" count $o -j 2 -q -o w.hc t.txt
	"$HC" count $o -j 2 -q --no-compact -o wl.hc t.txt
	[ "$(magic w.hc)" = HOGCOMPT ] || fail "$o: not compact"
	[ "$(magic wl.hc)" = HOGCOUNT ] || fail "$o: --no-compact"
	sdump w.hc >a.txt
	sdump wl.hc >b.txt
	[ -s a.txt ] || fail "$o: empty dump"
	cmp -s a.txt b.txt || fail "$o: compact dump differs"
	# dump walks the keys in byte order already.
	"$HC" dump w.hc | cut -f1 >k.txt
	LC_ALL=C sort -c k.txt 2>/dev/null || [ "$o" != "--words -k 3" ] ||
		fail "$o: dump not in byte order"
	[ $(($(size w.hc) * 3)) -lt "$(size wl.hc)" ] ||
		fail "$o: compact $(size w.hc) vs live $(size wl.hc)"
	"$HC" histo w.hc >hc.txt
	"$HC" histo wl.hc >hl.txt
	cmp -s hc.txt hl.txt || fail "$o: histo differs"
	for f in Unique Distinct Total Max_count Tokens Keys; do
		a=$("$HC" stats w.hc | grep "^$f:")
		b=$("$HC" stats wl.hc | grep "^$f:")
		[ "$a" = "$b" ] || fail "$o: stats $a vs $b"
	done
	"$HC" stats w.hc | grep -q '^Layout: *compact, read-only' ||
		fail "$o: layout"
	"$HC" verify w.hc | grep -q ': OK$' || fail "$o: verify"
	head -n 40 a.txt | cut -f1 >q.txt
	[ "$("$HC" query w.hc <q.txt)" = "$("$HC" query wl.hc <q.txt)" ] ||
		fail "$o: query differs"
	# merge and --into, as for k-mers.
	"$HC" merge -o m.hc w.hc wl.hc
	"$HC" merge --no-compact -o ml.hc wl.hc wl.hc
	[ "$(magic m.hc)" = HOGCOMPT ] || fail "$o: merge output not compact"
	sdump m.hc >a.txt
	sdump ml.hc >b.txt
	cmp -s a.txt b.txt || fail "$o: merge of compact differs"
	cp w.hc days.hc
	"$HC" count $o -j 2 -q --into days.hc t2.txt
	"$HC" count $o -j 2 -q -o both.hc t.txt t2.txt
	[ "$(magic days.hc)" = HOGCOMPT ] || fail "$o: --into: not compact"
	sdump days.hc >a.txt
	sdump both.hc >b.txt
	cmp -s a.txt b.txt || fail "$o: --into a compact table"
done

# A damaged compact file: one line, exit 1.
head -c 2000 c21.hc >cut.hc
set +e
"$HC" stats cut.hc >/dev/null 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] || fail "truncated: exit $st"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "truncated: $(cat err.txt)"
echo ok
