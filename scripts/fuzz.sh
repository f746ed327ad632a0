#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for N seconds on a copy of its committed corpus,
# as many targets at once as there are cores (each target is one process).
#   scripts/fuzz.sh <fuzz-build-dir> <seconds>
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
secs=$2
par=${FUZZ_JOBS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One target: its result line in $out/<name>.res, its log kept only on failure.
one() {
  local bin=$1 name work
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d)
  if [ -d "$here/tests/fuzz/corpus/$name" ]; then cp -r "$here/tests/fuzz/corpus/$name/." "$work/"; fi
  if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work" > "$work.log" 2>&1; then
    echo "-- $name: $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work.log" | grep -oE '[0-9]+$') runs" \
      > "$out/$name.res"
  else
    { echo "FUZZ FAILURE in $name:"; tail -40 "$work.log"
      ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null || true; } > "$out/$name.fail"
  fi
  rm -rf "$work" "$work.log"
}

bins=()
for bin in "$dir"/tests/fuzz/*_fuzz; do [ -x "$bin" ] && bins+=("$bin"); done
running=0
for bin in "${bins[@]}"; do
  one "$bin" &
  running=$((running + 1))
  if [ "$running" -ge "$par" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true
cat "$out"/*.res 2>/dev/null || true
fail=0
for f in "$out"/*.fail; do [ -e "$f" ] && { cat "$f"; fail=1; }; done
echo "fuzz: ${#bins[@]} targets, $(ls "$out"/*.fail 2>/dev/null | wc -l) failures"
exit $fail
