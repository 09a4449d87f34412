#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and run every test: plain (-Werror), the example built against
# the installed package, the Python package installed with pip into a
# venv, clang (-Werror), ASan+UBSan, TSan on the threaded cases, and the
# format check.  Installs the test tier of scripts/deps.sh first.
# Usage: scripts/test.sh [--quick]  (plain build only)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scripts/deps.sh test
jobs=$(nproc)
out=${HC_TEST_DIR:-$top/build-test}

# Each step says how long the run has taken so far: CI has 20 minutes.
step() { printf '\n== %s (at %d s) ==\n' "$*" "$SECONDS"; }

step "plain build (-Werror) and all tests"
cmake -S . -B "$out/plain" -DHC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX="$out/prefix" >/dev/null
cmake --build "$out/plain" -j"$jobs"
ctest --test-dir "$out/plain" -LE long --output-on-failure -j"$jobs"
# The mpi label (hogcount-mpi, 4 ranks) ran above; make sure it exists
# wherever Open MPI is installed, so a broken find_package is not silent.
if command -v mpiexec >/dev/null; then
	ctest --test-dir "$out/plain" -N -L mpi | grep -q 'Total Tests: [1-9]' ||
		{ echo "mpiexec is installed but no mpi test is registered"; exit 1; }
fi

[ "${1:-}" = "--quick" ] && exit 0

step "install, then build examples/ against the installed package"
cmake --install "$out/plain" >/dev/null
cmake -S examples -B "$out/examples" -DCMAKE_PREFIX_PATH="$out/prefix" >/dev/null
cmake --build "$out/examples" -j"$jobs"
"$out/examples/embed"
"$out/examples/ngrams" >/dev/null
"$out/examples/count_files" examples/sample/reads.fastq >/dev/null
# pkg-config sees only our .pc files, as on a machine without
# libatomic-ops-dev: every Requires must resolve inside the package.
pc() { PKG_CONFIG_LIBDIR="$out/prefix/lib/pkgconfig" pkg-config "$@"; }
cc -std=c11 -Wall -Werror examples/embed.c -o "$out/embed-pc" \
	$(pc --cflags --libs hogcount) -Wl,-rpath,"$out/prefix/lib"
"$out/embed-pc" >/dev/null
cc -std=c11 -Wall -Werror examples/ngrams.c -o "$out/ngrams-pc" \
	$(pc --cflags --libs hogcount-model) -Wl,-rpath,"$out/prefix/lib"
"$out/ngrams-pc" >/dev/null
pc --static --libs hogcount-model >/dev/null
cc -std=c11 -Wall -Werror examples/count_files.c -o "$out/count_files-pc" \
	$(pc --cflags --libs hogcount-input) -Wl,-rpath,"$out/prefix/lib"
"$out/count_files-pc" examples/sample/reads.fastq >/dev/null
pc --static --libs hogcount-input >/dev/null

step "the installed Python package, no PYTHONPATH"
# Installed under lib/python3.X/dist-packages, the directory Debian's
# python3 searches for /usr/local; here the prefix is $out/prefix, so
# the test adds it as a site directory, as python3 does for /usr/local.
/usr/bin/python3 -c 'import sys; v = "%d.%d" % sys.version_info[:2]
sys.exit("/usr/local/lib/python%s/dist-packages" % v not in sys.path)' ||
	{ echo "python3 does not search /usr/local/lib/python3.X/dist-packages"; exit 1; }
site=$(ls -d "$out"/prefix/lib/python3*/dist-packages)
(cd / && env -u PYTHONPATH -u HOGCOUNT_LIB -u HOGCOUNT_KEYS_LIB -u HOGCOUNT_INPUT_LIB \
	/usr/bin/python3 -c 'import site, sys; site.addsitedir(sys.argv[1])
import hogcount
assert hogcount.library_path.startswith(sys.argv[2]), hogcount.library_path
assert hogcount.keys_library_path.startswith(sys.argv[2])
assert hogcount.input_library_path.startswith(sys.argv[2])
t = hogcount.Table.for_ngrams("bytes", 3)
t.add_batch(hogcount.fragments(b"abcabc", 3))
assert dict(zip(*t.ngrams())) == {b"abc": 2, b"bca": 1, b"cab": 1}' \
	"$site" "$out/prefix/lib/")
for f in python/examples/*.py python/bench/*.py scripts/*.sh scripts/*.py; do
	[ -x "$f" ] || { echo "$f: not executable"; exit 1; }
done

step "pip install ./python into a venv, offline; the Python tests from it"
# Debian's setuptools, wheel and numpy (--system-site-packages); pip
# builds the kernel and the key layer with CMake into the package.
rm -rf "$out/venv"
/usr/bin/python3 -m venv --system-site-packages "$out/venv"
"$out/venv/bin/pip" install --no-index --no-build-isolation "$top/python"
# From outside the source tree, with the tests' own directory as the
# top: "import hogcount" is the venv's.
(cd "$out" && env -u PYTHONPATH -u HOGCOUNT_LIB -u HOGCOUNT_KEYS_LIB -u HOGCOUNT_INPUT_LIB \
	"$out/venv/bin/python" -c 'import sys, hogcount
assert hogcount.library_path.startswith(sys.prefix), hogcount.library_path
assert hogcount.keys_library_path.startswith(sys.prefix)
assert hogcount.input_library_path.startswith(sys.prefix)' &&
	env -u PYTHONPATH -u HOGCOUNT_LIB -u HOGCOUNT_KEYS_LIB -u HOGCOUNT_INPUT_LIB \
		HOGCOUNT_BIN="$out/plain/hogcount" "$out/venv/bin/python" \
		-m unittest discover -s "$top/python/tests" \
		-t "$top/python/tests")

# One build for two things, to keep CI short: the whole tree under
# clang (-Werror), and the claim path without the pair CAS, whose unit
# suites run in it (gcc builds the pair-CAS path above).
step "clang build (-Werror) of the claim path without the pair CAS (HC_FORCE_NO_PAIR_CAS), unit suites"
CC=clang cmake -S . -B "$out/clang" -DHC_WERROR=ON -DHC_FORCE_NO_PAIR_CAS=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/clang" -j"$jobs"
ctest --test-dir "$out/clang" -L unit -LE long --output-on-failure -j"$jobs"

step "ASan+UBSan build, all tests"
# -O1 (asserts kept): the sanitizers' advice, and about a fifth off the
# suites' time against -O0.
cmake -S . -B "$out/asan" -DHC_WERROR=ON -DHC_SANITIZE=address,undefined \
	-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" >/dev/null
cmake --build "$out/asan" -j"$jobs"
ctest --test-dir "$out/asan" -LE 'long|nosan' --output-on-failure -j"$jobs"

step "TSan build, threaded tests"
# -O0: at -O1 gcc inlines libatomic_ops' fences, which TSan refuses
# (-Wtsan).
cmake -S . -B "$out/tsan" -DHC_WERROR=ON -DHC_SANITIZE=thread \
	-DCMAKE_BUILD_TYPE=Debug -DHC_BUILD_CLI=OFF >/dev/null
cmake --build "$out/tsan" -j"$jobs"
ctest --test-dir "$out/tsan" -L threads --output-on-failure -j"$jobs"

step "fuzz smoke (libFuzzer, ASan+UBSan, 10 s per harness)"
HC_FUZZ_DIR="$out/fuzz" scripts/fuzz.sh -t 10

step "format (clang-format 14)"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

step "all tests passed"
