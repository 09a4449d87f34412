# SPDX-License-Identifier: MIT
# The README's main command on the bundled sample.
. "$(dirname "$0")/lib.sh"

"$HC" count -k 4 --bytes "$SRC"/examples/sample/*.txt -o sample.hc
"$HC" dump --top 20 sample.hc >top.txt
[ "$(wc -l <top.txt)" -eq 20 ] || fail "dump --top 20 gave $(wc -l <top.txt) lines"
"$HC" count -k 21 -C --dna "$SRC"/examples/sample/*.fastq -o reads.hc
"$HC" stats reads.hc | grep -q '^Distinct:' || fail "stats"
"$HC" histo reads.hc | head -1 | grep -q '^1 ' || fail "histo"

# The README's count then model perplexity, for every order and both
# token kinds (tables of every slot kind).
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	for tok in bytes words; do
		[ $tok = words ] && [ $k -gt 5 ] && continue
		rm -f m.hc
		"$HC" count -q -k $k --$tok "$SRC"/examples/sample/*.txt -o m.hc
		"$HC" model perplexity m.hc "$SRC"/examples/sample/prose.txt \
			>pp.txt || fail "model perplexity on --$tok -k $k"
		grep -q '^perplexity' pp.txt || fail "no perplexity, -k $k"
	done
done

# The man page names every subcommand, model's included.
man=$SRC/cli/hogcount.1
for c in $("$HC" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'); do
	grep -q "^\.B hogcount $c" "$man" || fail "hogcount.1 lacks $c"
done
for c in info prob perplexity sample unseen walk reduce; do
	grep -q "^\.BI \"$c " "$man" || fail "hogcount.1 lacks model $c"
done
echo ok
