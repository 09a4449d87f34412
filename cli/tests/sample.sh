# SPDX-License-Identifier: MIT
# The README's main command on the bundled sample.
. "$(dirname "$0")/lib.sh"

"$HC" count -k 4 --bytes "$SRC"/examples/sample/*.txt -o sample.hc
"$HC" dump --top 20 sample.hc >top.txt
[ "$(wc -l <top.txt)" -eq 20 ] || fail "dump --top 20 gave $(wc -l <top.txt) lines"
"$HC" count -k 21 -C --dna "$SRC"/examples/sample/*.fastq -o reads.hc
"$HC" stats reads.hc | grep -q '^Distinct:' || fail "stats"
"$HC" histo reads.hc | head -1 | grep -q '^1 ' || fail "histo"
echo ok
