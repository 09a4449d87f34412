#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and run every test: plain (-Werror), ASan+UBSan, TSan on the
# threaded cases, the example built against the installed package, and
# the format check.  Usage: scripts/test.sh [--quick]  (plain build only)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scripts/deps.sh
jobs=$(nproc)
out=${HC_TEST_DIR:-$top/build-test}

step() { printf '\n== %s ==\n' "$*"; }

step "plain build (-Werror) and all tests"
cmake -S . -B "$out/plain" -DHC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX="$out/prefix" >/dev/null
cmake --build "$out/plain" -j"$jobs"
ctest --test-dir "$out/plain" -LE long --output-on-failure -j"$jobs"

[ "${1:-}" = "--quick" ] && exit 0

step "install, then build examples/ against the installed package"
cmake --install "$out/plain" >/dev/null
cmake -S examples -B "$out/examples" -DCMAKE_PREFIX_PATH="$out/prefix" >/dev/null
cmake --build "$out/examples" -j"$jobs"
"$out/examples/embed"
PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig" cc -std=c11 -Wall -Werror \
	examples/embed.c -o "$out/embed-pc" \
	$(PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig" pkg-config --cflags --libs hogcount) \
	-Wl,-rpath,"$out/prefix/lib"
"$out/embed-pc" >/dev/null

step "claim path without the pair CAS (HC_FORCE_NO_PAIR_CAS), unit suites"
cmake -S . -B "$out/nopair" -DHC_WERROR=ON -DHC_FORCE_NO_PAIR_CAS=ON \
	-DHC_BUILD_CLI=OFF -DHC_BUILD_STRESS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/nopair" -j"$jobs"
ctest --test-dir "$out/nopair" -L unit -LE long --output-on-failure -j"$jobs"

step "ASan+UBSan build, all tests"
cmake -S . -B "$out/asan" -DHC_WERROR=ON -DHC_SANITIZE=address,undefined \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$out/asan" -j"$jobs"
ctest --test-dir "$out/asan" -LE 'long|nosan' --output-on-failure -j"$jobs"

step "TSan build, threaded tests"
cmake -S . -B "$out/tsan" -DHC_WERROR=ON -DHC_SANITIZE=thread \
	-DCMAKE_BUILD_TYPE=Debug -DHC_BUILD_CLI=OFF >/dev/null
cmake --build "$out/tsan" -j"$jobs"
ctest --test-dir "$out/tsan" -L threads --output-on-failure

step "format (clang-format 14)"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

step "all tests passed"
