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

# poll PID WHAT CMD...: run CMD every 0.1 s until it succeeds; fail if
# the process PID (a count in the background) ends first, or after 30 s.
poll() {
	poll_pid=$1
	poll_what=$2
	shift 2
	poll_n=0
	until "$@"; do
		kill -0 "$poll_pid" 2>/dev/null ||
			fail "$poll_what: the count is not running"
		poll_n=$((poll_n + 1))
		[ $poll_n -lt 300 ] || fail "$poll_what: not after 30 s"
		sleep 0.1
	done
}

# has_workers PID: the process PID has children (count's workers).
has_workers() {
	[ -n "$(cat /proc/"$1"/task/*/children 2>/dev/null)" ]
}

# stop_with PID SIG: send SIG to the background process PID and wait
# for it; its exit status in $st.
stop_with() {
	kill -s "$2" "$1"
	set +e
	wait "$1"
	st=$?
	set -e
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
				# Longer than HC_KEY_BYTES_MAX: skipped.
				next if length($s) > 65536;
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
