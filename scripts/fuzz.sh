#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for N seconds on a copy of its committed corpus.
#   scripts/fuzz.sh <fuzz-build-dir> <seconds>
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
secs=$2
fail=0
ran=0
for bin in "$dir"/tests/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d)
  if [ -d "$here/tests/fuzz/corpus/$name" ]; then cp -r "$here/tests/fuzz/corpus/$name/." "$work/"; fi
  echo "-- $name"
  if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work" > "$work.log" 2>&1; then
    grep -E "stat::number_of_executed_units" "$work.log" | sed 's/^/   /' || true
    ran=$((ran + 1))
  else
    echo "FUZZ FAILURE in $name:"; tail -40 "$work.log"
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null || true
    fail=1
  fi
  rm -rf "$work" "$work.log"
done
echo "fuzz: $ran targets ran, $fail failures"
exit $fail
