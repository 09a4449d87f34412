# SPDX-License-Identifier: MIT
# cli.model: hogcount model end to end on a small text, and its errors
# (one line naming the file or option, exit 1 or 2).
# Usage: sh model_cli.sh HOGCOUNT
set -eu
HC=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/hc-model-cli.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
export LC_ALL=C

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

printf 'abab' >toy.txt
printf 'the cat sat on the mat\nthe cat ran\n' >words.txt
"$HC" count -q -k 2 --bytes -j 1 -o toy.hc toy.txt
"$HC" count -q -k 2 --words -j 1 -o w2.hc words.txt

# The hand-computed toy of check_model.c: P(b | a) with D = 0.5.
p=$("$HC" model prob -d 0.5 toy.hc a b | cut -f2)
[ "$p" = "0.812988" ] || fail "P(b|a) = $p, want 0.812988"
ppl=$("$HC" model perplexity -d 0.5 toy.hc toy.txt | awk '$1 == "perplexity" { print $2 }')
[ "$ppl" = "1.342016" ] || fail "perplexity $ppl, want 1.342016"
# Sums to one over the vocabulary.
"$HC" model prob w2.hc the | grep -q '^# sum over the vocabulary: 1.0000000000' ||
	fail "words: P(. | the) does not sum to 1"
"$HC" model prob toy.hc '\n' | grep -q '^# sum over the vocabulary: 1.0000000000' ||
	fail "bytes: P(. | \\n) does not sum to 1"
# Sampling is reproducible with a seed.
a=$("$HC" model sample --length 50 --seed 3 w2.hc)
b=$("$HC" model sample --tokens 50 --seed 3 w2.hc)
[ "$a" = "$b" ] || fail "sample: same seed, different text"
# -n is --top, as in dump: prob takes it, sample refuses it.
[ "$("$HC" model prob -n 1 w2.hc the | grep -vc '^#')" = 1 ] ||
	fail "prob -n 1: not one line"
# Walk by context, reduce to order 1, unseen mass.
[ "$("$HC" model walk w2.hc the | sort | tr '\t\n' ' :')" = "the cat 2:the mat 1:" ] ||
	fail "walk w2.hc the: $("$HC" model walk w2.hc the)"
"$HC" model reduce -o w1.hc w2.hc
[ "$("$HC" query w1.hc the | cut -f2)" = 3 ] || fail "reduce: c(the .) != 3"
"$HC" model reduce --drop first --distinct -o c1.hc w2.hc
[ "$("$HC" query c1.hc cat | cut -f2)" = 1 ] || fail "reduce: N1+(. cat) != 1"
"$HC" model unseen w2.hc | grep -q '^chao1	' || fail "unseen: no chao1"
"$HC" model --help | grep -q '^Usage: hogcount model' || fail "--help"

# heaps: the vocabulary of real prefixes (2^10, 2^11, ... tokens and
# the end) against a Perl reference that reads the files in order.
awk 'BEGIN { srand(7); for (i = 0; i < 30000; i++)
	printf "w%d%s", int(rand() ^ 3 * 4000), (i % 13 == 12 ? "\n" : " ") }' >z1.txt
awk 'BEGIN { srand(8); for (i = 0; i < 9000; i++)
	printf "v%d%s", int(rand() ^ 2 * 3000), (i % 7 == 6 ? "\n" : "\t") }' >z2.txt
heaps_ref() {
	perl -e '
		my ($kind, $k, @f) = @ARGV; my (%s, $n, $next, @out);
		$next = 1024;
		sub tok { my $t = shift; $n++; $s{$t} = 1;
			if ($n == $next) { push @out, "$n\t" . keys(%s); $next *= 2 } }
		for my $f (@f) {
			open(my $h, "<:raw", $f) or die; local $/; my $d = <$h>;
			if ($kind eq "words") {
				my @w = grep { length } split /[ \t\n\x0b\f\r]+/, $d;
				tok(join(" ", @w[$_ .. $_ + $k - 1])) for 0 .. @w - $k;
			} else {
				tok(substr($d, $_, $k)) for 0 .. length($d) - $k;
			}
		}
		push @out, "$n\t" . keys(%s) unless $out[-1] =~ /^$n\t/;
		print "prefix\t$_\n" for @out;' "$@"
}
for spec in "words 1" "words 2" "bytes 3" "bytes 9"; do
	set -- $spec
	"$HC" count -q --$1 -k "$2" -o z.hc z1.txt z2.txt
	"$HC" model heaps z.hc z1.txt z2.txt >heaps.txt 2>err.txt
	[ ! -s err.txt ] || fail "heaps $spec: $(cat err.txt)"
	heaps_ref "$1" "$2" z1.txt z2.txt >want.txt
	grep '^prefix' heaps.txt | cmp -s - want.txt ||
		fail "heaps $spec: prefixes differ: $(diff heaps.txt want.txt | head -5)"
	grep -q '^heaps_beta	0\.[0-9]* (K .*, [0-9]* prefixes)$' heaps.txt ||
		fail "heaps $spec: $(tail -1 heaps.txt)"
done
"$HC" model heaps --json z.hc z1.txt z2.txt | grep -q '"method": "prefixes"' ||
	fail "heaps --json"
"$HC" model heaps z.hc z2.txt >/dev/null 2>err.txt
grep -q 'warning: the files hold .* are they its inputs' err.txt ||
	fail "heaps: no warning for other files"

# expect STATUS PATTERN ARGS...: one line on stderr, matching.
expect() {
	want=$1
	pat=$2
	shift 2
	set +e
	"$HC" model "$@" >/dev/null 2>err.txt
	st=$?
	set -e
	[ "$st" -eq "$want" ] || fail "model $*: exit $st, want $want"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "model $*: $(cat err.txt)"
	grep -q -- "$pat" err.txt || fail "model $*: '$pat' not in: $(cat err.txt)"
}
expect 2 'give a command' 
expect 2 'unknown command' frobnicate toy.hc
expect 2 'give a table and the files' heaps toy.hc
expect 1 'nope.txt: No such file' heaps toy.hc nope.txt
expect 2 -- '--discount' info -d 2 toy.hc
expect 2 -- '--length' sample --length x toy.hc
expect 2 -- '--top' sample -n 5 toy.hc
expect 2 -- '-t: invalid option' prob -t 5 toy.hc a
expect 2 -- '--drop' reduce --drop middle -o x.hc toy.hc
expect 2 -- '--output' reduce toy.hc
expect 1 'missing.hc' info missing.hc
expect 1 'not-a-table' info not-a-table
expect 2 'NEXT must be one byte' prob toy.hc a bc
expect 1 'nope.txt' perplexity toy.hc nope.txt
echo ok
