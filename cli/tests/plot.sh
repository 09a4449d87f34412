# SPDX-License-Identifier: MIT
# histo --plot and the --json outputs: the SVG parses as XML and marks
# the valley and the peak, PNG comes through rsvg-convert (or is refused
# with a message without it), word tables get the rank plot with its
# Zipf fit; stats, histo, model info, unseen and genome --json parse
# with python3 and agree with the text output.  A headless Chromium
# opens the SVG and takes a screenshot, whose pixels must show the
# curve and the coloured marks (skipped with a message without
# chromium).
. "$(dirname "$0")/lib.sh"
need python3 python3

# j FILE EXPR: evaluate EXPR on the JSON object of FILE (as d).
j() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# A 200 kb random genome at 30x, 1% errors.
"$GEN_READS" --reads 60000 --len 100 --genome 200000 --seed 5 \
	--error 0.01 >reads.fq
"$HC" count -q -k 21 --tokens dna --canonical -j 2 -o k.hc reads.fq

"$HC" histo --plot spec.svg k.hc >histo.txt
"$HC" histo k.hc | cmp -s - histo.txt || fail "--plot changed the text"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' \
	spec.svg || fail "spec.svg is not XML"
grep -q 'coverage peak' spec.svg || fail "no peak mark"
grep -q 'solid threshold' spec.svg || fail "no valley mark"
grep -q '<polyline' spec.svg || fail "no curve"

# JSON: stats, histo, genome agree with each other and the text.
"$HC" stats --json k.hc >stats.json
"$HC" histo --json k.hc >histo.json
"$HC" model genome --json k.hc >genome.json
[ "$(j stats.json 'd["distinct"]')" = "$("$HC" stats k.hc | awk '/^Distinct/ { print $2 }')" ] ||
	fail "stats --json distinct"
[ "$(j stats.json 'd["tokens"], d["k"], d["canonical"]')" = "('dna', 21, True)" ] ||
	fail "stats --json tokens: $(cat stats.json)"
[ "$(j histo.json 'sum(f for c, f in d["bins"]) == d["distinct"]')" = True ] ||
	fail "histo --json bins do not sum to distinct"
[ "$(j histo.json '"\n".join("%d %d" % (c, f) for c, f in d["bins"])')" = "$(cat histo.txt)" ] ||
	fail "histo --json bins differ from the text"
[ "$(j genome.json 'abs(d["genome_size"] / 200000 - 1) < 0.05 and not d["diploid"]')" = True ] ||
	fail "genome: $(cat genome.json)"
[ "$(j genome.json 'd["valley"] < d["peak"] and 0 < d["error_distinct"] < 1')" = True ] ||
	fail "genome: $(cat genome.json)"

# PNG through rsvg-convert; without it, one clear line and exit 1.
if command -v rsvg-convert >/dev/null; then
	"$HC" histo --plot spec.png k.hc >/dev/null
	[ "$(head -c 4 spec.png | tail -c 3)" = PNG ] || fail "spec.png is not PNG"
fi
set +e
PATH=/nonexistent "$HC" histo --plot nope.png k.hc >/dev/null 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] && grep -q 'rsvg-convert' err.txt ||
	fail "PNG without rsvg-convert: exit $st: $(cat err.txt)"

# Words: the rank plot, Zipf in unseen, model info.
"$GEN_TEXT" --bytes 300000 --seed 9 --vocab 2000 >text.txt
"$HC" count -q -k 1 --words -j 2 -o w1.hc text.txt
"$HC" count -q -k 2 --words -j 2 -o w2.hc text.txt
"$HC" histo --plot rank.svg w1.hc >/dev/null
grep -q 'Zipf fit: s = ' rank.svg || fail "rank plot without the fit"
"$HC" histo --plot-kind spectrum --plot wspec.svg w1.hc >/dev/null
grep -q 'Zipf' wspec.svg && fail "--plot-kind spectrum drew the rank plot"
"$HC" model unseen --json w1.hc >unseen.json
[ "$(j unseen.json '0.5 < d["zipf"]["exponent"] < 2 and d["zipf"]["r2"] > 0.8')" = True ] ||
	fail "unseen zipf: $(cat unseen.json)"
[ "$(j unseen.json '0 < d["heaps"]["beta"] <= 1 and len(d["heaps"]["points"]) == 8')" = True ] ||
	fail "unseen heaps: $(cat unseen.json)"
[ "$(j unseen.json 'd["heaps"]["points"][-1][1] == d["distinct"]')" = True ] ||
	fail "heaps: the last point is not the whole vocabulary"
"$HC" model unseen w1.hc | grep -q '^zipf_exponent	' || fail "unseen text: no zipf"
"$HC" model info --json w2.hc >info.json
[ "$(j info.json 'd["order"] == 2 and len(d["orders"]) == 2 and d["tokens"] == "words"')" = True ] ||
	fail "info --json: $(cat info.json)"
[ "$(j info.json 'd["orders"][1]["grams"]')" = "$("$HC" stats w2.hc | awk '/^Distinct/ { print $2 }')" ] ||
	fail "info --json: order-2 grams differ from stats"

# Errors: a bad --plot-kind, an unwritable plot file.
set +e
"$HC" histo --plot-kind pie --plot x.svg k.hc >/dev/null 2>err.txt
st=$?
set -e
[ "$st" -eq 2 ] && grep -q -- '--plot-kind' err.txt || fail "--plot-kind pie: $st"
set +e
"$HC" histo --plot /nonexistent/x.svg k.hc >/dev/null 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] && grep -q '/nonexistent/x.svg' err.txt || fail "unwritable: $st"

# The browser: Chromium renders the SVG; the screenshot must show the
# curve, the blue peak line and the red valley line.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "SKIP screenshot: chromium not installed (Debian package chromium)"
else
	prof=$(mktemp -d "${TMPDIR:-/tmp}/hc-chromium.XXXXXX")
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$prof" --hide-scrollbars \
		--screenshot="$W/shot.png" --window-size=800,500 \
		"file://$W/spec.svg" >chrome.log 2>&1 || true
	rm -rf "$prof"
	[ -s shot.png ] || fail "chromium wrote no screenshot: $(tail -3 chrome.log)"
	set -- $(python3 "$SRC/cli/tests/pngstat.py" shot.png)
	echo "screenshot: ${1}x$2, $3 non-white, $4 blue, $5 red pixels"
	[ "$1" -eq 800 ] && [ "$2" -eq 500 ] || fail "screenshot size $1x$2"
	[ "$3" -gt 5000 ] || fail "screenshot nearly blank ($3 pixels)"
	[ "$4" -gt 300 ] || fail "no blue peak line in the screenshot ($4)"
	[ "$5" -gt 150 ] || fail "no red valley line in the screenshot ($5)"
fi
echo ok
