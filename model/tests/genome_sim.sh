# SPDX-License-Identifier: MIT
# cli.genome: hogcount model genome on reads simulated with dwgsim from a
# real genome that Debian ships (ragout-examples: Helicobacter pylori
# G27, a 300 kb slice), at 20x and 60x with 1% errors: the estimate must
# lie within 5% of the slice's length and the haploid reads must not be
# flagged diploid.  A diploid sample at 60x (dwgsim's mutations, 1% of the
# bases, heterozygous or homozygous) must be flagged.  The JSON is
# parsed with python3.  Exit 77 (skipped) when dwgsim or the genome is
# not installed (scripts/deps.sh test installs both).
# Usage: sh genome_sim.sh HOGCOUNT
set -eu
HC=$1
REF=/usr/share/doc/ragout/examples/H.Pylori/references/G27.fasta.gz
LEN=300000
if ! command -v dwgsim >/dev/null || [ ! -r "$REF" ]; then
	echo "SKIP: needs dwgsim and ragout-examples (scripts/deps.sh test)"
	exit 77
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/hc-genome.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
export LC_ALL=C

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The first LEN bases of the chromosome, as one FASTA record.
{
	echo ">G27_slice"
	gzip -dc "$REF" | grep -v '^>' | tr -d '\n' | head -c "$LEN" | fold -w 70
	echo
} >ref.fa
[ "$(grep -v '^>' ref.fa | tr -d '\n' | wc -c)" -eq "$LEN" ] ||
	fail "slice is not $LEN bases"

# sim NAME COVERAGE DWGSIM_OPTIONS...: 100 bp pairs, 1% errors, no
# random reads, a fixed seed; count canonical 21-mers.
sim() {
	name=$1
	cov=$2
	shift 2
	dwgsim -e 0.01 -E 0.01 -1 100 -2 100 -y 0 -C "$cov" -z 11 -o 1 \
		"$@" ref.fa "$name" >/dev/null 2>&1 || fail "dwgsim $name"
	"$HC" count -q -k 21 --tokens dna --canonical -j 2 -s 8M \
		-o "$name.hc" "$name.bwa.read1.fastq.gz" \
		"$name.bwa.read2.fastq.gz"
	rm -f "$name".bwa.* "$name".mutations.*
	"$HC" model genome --json "$name.hc" >"$name.json"
}

# field NAME KEY: one field of NAME.json, through a JSON parser.
field() {
	python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(str(v).lower() if isinstance(v, bool) else v)' \
		"$1.json" "$2"
}

# The three samples, two at a time (dwgsim is single-threaded).
sim h20 20 -H -r 0 &
p1=$!
sim h60 60 -H -r 0 &
p2=$!
sim d60 60 -r 0.01 -R 0 || fail "d60"
wait $p1 || fail "h20"
wait $p2 || fail "h60"

for cov in 20 60; do
	size=$(field "h$cov" genome_size)
	echo "haploid ${cov}x: genome_size $size (true $LEN)," \
		"valley $(field "h$cov" valley), peak $(field "h$cov" peak)," \
		"coverage $(field "h$cov" coverage)," \
		"errors $(field "h$cov" error_distinct) of keys"
	awk -v s="$size" -v t="$LEN" 'BEGIN { d = s / t - 1; exit !(d < 0.05 && d > -0.05) }' ||
		fail "haploid ${cov}x: genome_size $size, not within 5% of $LEN"
	[ "$(field "h$cov" diploid)" = false ] || fail "haploid ${cov}x flagged diploid"
	[ "$(field "h$cov" valley)" -ge 2 ] || fail "haploid ${cov}x: valley"
done

size=$(field d60 genome_size)
echo "diploid 60x: genome_size $size (true $LEN), diploid $(field d60 diploid)," \
	"half_peak $(field d60 half_peak), peak $(field d60 peak)"
[ "$(field d60 diploid)" = true ] || fail "diploid 60x not flagged"
awk -v s="$size" -v t="$LEN" 'BEGIN { d = s / t - 1; exit !(d < 0.05 && d > -0.05) }' ||
	fail "diploid 60x: genome_size $size, not within 5% of $LEN"

# The text form carries the same figures; byte tables are refused.
"$HC" model genome h60.hc | grep -q '^genome_size	' || fail "text output"
printf 'acgtacgt' >t.txt
"$HC" count -q -k 2 --bytes -j 1 -o b.hc t.txt
set +e
"$HC" model genome b.hc 2>err.txt
st=$?
set -e
[ "$st" -eq 1 ] && grep -q 'not a k-mer table' err.txt ||
	fail "byte table: exit $st, $(cat err.txt)"
echo ok
