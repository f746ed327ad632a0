#!/usr/bin/env bash
# Installs what is missing, builds Release and ASan+UBSan configurations, runs every test with
# ctest in both, then runs each fuzz target briefly. This is what CI runs (.ci/run).
#   FUZZ_SECONDS=N   seconds per fuzz target (default 12; 0 skips fuzzing)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh

jobs=$(nproc)
start=$(date +%s)

echo "== Release build"
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DSHARDTOOL_TESTS=ON -DSHARDTOOL_TEST_POINTS=ON
echo "== Release tests"
(cd build/release && ctest --output-on-failure --no-tests=error -j"$jobs")

echo "== ASan+UBSan build"
scripts/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DSHARDTOOL_TESTS=ON -DSHARDTOOL_TEST_POINTS=ON -DSHARDTOOL_SANITIZE=ON -DSHARDTOOL_BENCH=OFF
echo "== ASan+UBSan tests"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --no-tests=error -j"$jobs" -LE slow)

fuzz_seconds=${FUZZ_SECONDS:-12}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz targets (${fuzz_seconds}s each)"
  scripts/build.sh build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHARDTOOL_FUZZ=ON -DSHARDTOOL_TESTS=ON -DSHARDTOOL_BENCH=OFF -- fuzz_targets
  scripts/fuzz.sh build/fuzz "$fuzz_seconds"
fi
echo "== all passed in $(( $(date +%s) - start )) s"
