#!/usr/bin/env bash
# Installs what is missing, builds a Release and an ASan+UBSan configuration, runs every test with
# ctest in both, then runs each fuzz target briefly. This is what CI runs (.ci/run).
#   FUZZ_SECONDS=N   seconds per fuzz target (default 12; 0 skips fuzzing)
#   TEST_BENCH=1     also build the benchmarks in the Release configuration
# The sanitizer configuration is built with clang and also holds the libFuzzer targets, so one
# build serves both; the kill -9 loops and the Ansible cluster test (label "slow") run in Release
# only. Each gtest binary runs as 4 ctest shards. doc/ci.md has the budget.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh

jobs=$(nproc)
start=$(date +%s)
lap() { echo "-- $1 done at $(( $(date +%s) - start )) s"; }
bench=OFF
[ "${TEST_BENCH:-0}" = 1 ] && bench=ON

echo "== Release build"
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DSHARDTOOL_TESTS=ON \
  -DSHARDTOOL_TEST_POINTS=ON -DSHARDTOOL_BENCH="$bench" -DSHARDTOOL_CTEST_SHARDS=4
lap "Release build"
echo "== Release tests"
(cd build/release && ctest --output-on-failure --no-tests=error -j"$jobs")
lap "Release tests"

echo "== ASan+UBSan build (clang, with the fuzz targets)"
scripts/build.sh build/asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -O1" -DSHARDTOOL_TESTS=ON -DSHARDTOOL_TEST_POINTS=ON \
  -DSHARDTOOL_SANITIZE=ON -DSHARDTOOL_FUZZ=ON -DSHARDTOOL_BENCH=OFF -DSHARDTOOL_CTEST_SHARDS=4
lap "ASan+UBSan build"
echo "== ASan+UBSan tests"
# malloc_context_size: 5 frames of each allocation's stack are enough to place a report, and
# unwinding 30 on every malloc was a sixth of the sanitizer run's time.
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:malloc_context_size=5 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --no-tests=error -j"$jobs" -LE slow)
lap "ASan+UBSan tests"

fuzz_seconds=${FUZZ_SECONDS:-12}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz targets (${fuzz_seconds}s each)"
  scripts/fuzz.sh build/asan "$fuzz_seconds"
  lap "fuzzing"
fi
echo "== all passed in $(( $(date +%s) - start )) s"
