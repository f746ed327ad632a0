#!/usr/bin/env bash
# The long reliability campaigns of doc/RELIABILITY.md (issue 8). CI runs the short form of each
# through ctest (scripts/test.sh); this runs them long and prints the table's figures.
#   scripts/reliability.sh [build-dir]        (default build/release, built with test points)
# Knobs (defaults are the long campaign):
#   KILLS=N          random kill -9 instants per Rdb for merge (per run for import, ingest) (100)
#   ROUNDS=N         concurrency rounds                                                    (200)
#   FUZZ_SECONDS=N   seconds per fuzz target (needs build/asan of scripts/test.sh; 0 skips) (600)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$here/build/release}
st=$bdir/tools/shardtool gen=$bdir/tools/shardtool-gen check=$bdir/tests/st-check
kills=${KILLS:-100} rounds=${ROUNDS:-200} fuzz=${FUZZ_SECONDS:-600}
golden=$here/tests/data/gigablast
status=0
step() {
  local name=$1; shift
  local t0=$SECONDS
  if "$@" > "/tmp/reliability.$name.log" 2>&1; then
    echo "$name: passed in $((SECONDS - t0)) s: $(tail -1 "/tmp/reliability.$name.log")"
  else
    echo "$name: FAILED (log /tmp/reliability.$name.log): $(tail -3 "/tmp/reliability.$name.log")"
    status=1
  fi
}
for suite in "$here"/tests/cli/*_kill.sh "$here"/tests/cli/catalog_crash.sh; do
  [ -f "$suite" ] || continue
  step "$(basename "$suite" .sh)" env MERGE_KILL_ITERATIONS="$kills" IMPORT_KILL_ITERATIONS="$kills" \
    INGEST_KILL_ITERATIONS="$kills" \
    bash "$suite" "$st" "$gen" "$golden" "$check"
done
step concurrency env ROUNDS="$rounds" bash "$here/tests/cli/concurrency.sh" "$st" "$gen" "$golden" "$check"
step hostile bash "$here/tests/cli/hostile.sh" "$st" "$gen" "$golden" "$check"
if [ "$fuzz" -gt 0 ] && [ -d "$here/build/asan/tests/fuzz" ]; then
  step fuzz "$here/scripts/fuzz.sh" "$here/build/asan" "$fuzz"
fi
exit $status
