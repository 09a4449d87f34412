# SPDX-License-Identifier: MIT
# Sourced by the CLI tests.  Arguments of every test:
#   HOGCOUNT GEN_READS GEN_TEXT WORKDIR SOURCE_DIR
set -eu
HC=$1
GEN_READS=$2
GEN_TEXT=$3
W=$4
SRC=$5
rm -rf "$W"
mkdir -p "$W"
cd "$W"
export LC_ALL=C

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 not found: install it (Debian package $2); it is the oracle of this test"
}

# Sorted dump of a table, tab-separated.
sdump() {
	"$HC" dump "$@" | sort
}

# Perl reference for byte fragments of order K, escaped as dump writes
# keys, one per line, for each file given.
ref_bytes() {
	k=$1
	shift
	perl -e '
		my $k = shift;
		local $/;
		for my $f (@ARGV) {
			open(my $fh, "<:raw", $f) or die "$f: $!";
			my $d = <$fh>;
			$d = "" unless defined $d;
			for (my $i = 0; $i + $k <= length($d); $i++) {
				my $s = substr($d, $i, $k);
				$s =~ s/\\/\\\\/g;
				$s =~ s/\t/\\t/g;
				$s =~ s/\n/\\n/g;
				$s =~ s/\r/\\r/g;
				$s =~ s/([\x00-\x1f\x7f])/sprintf("\\x%02x", ord($1))/ge;
				print "$s\n";
			}
		}' "$k" "$@"
}

# Perl reference for word n-grams of order K.
ref_words() {
	k=$1
	shift
	perl -e '
		my $k = shift;
		local $/;
		for my $f (@ARGV) {
			open(my $fh, "<:raw", $f) or die "$f: $!";
			my $d = <$fh>;
			$d = "" unless defined $d;
			my @w = grep { length } split(/[ \t\n\x0b\f\r]+/, $d);
			for (my $i = 0; $i + $k <= @w; $i++) {
				my $s = join(" ", @w[$i .. $i + $k - 1]);
				$s =~ s/\\/\\\\/g;
				$s =~ s/([\x00-\x1f\x7f])/sprintf("\\x%02x", ord($1))/ge;
				print "$s\n";
			}
		}' "$k" "$@"
}

# "sort | uniq -c" turned into dump lines (key TAB count), sorted.
uniq_ref() {
	sort | uniq -c | perl -ne 'chomp; print "$2\t$1\n" if /^\s*(\d+) (.*)$/s' |
		sort
}
