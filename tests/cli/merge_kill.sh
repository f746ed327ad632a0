#!/usr/bin/env bash
# `shardtool merge` under real kill -9 (doc/architecture.md §6): the built binary is SIGKILLed at random
# instants (and, in builds with test points, at every named merge test point), then rerun until it
# finishes; the result must be byte for byte what an uninterrupted merge of the same files gives
# (data, map, sidecar), verify must find nothing, and no journal, retired list or merge file may be
# left. SIGTERM must stop it with exit 9 (or let it finish with 0) and a rerun continues.
#   merge_kill.sh <shardtool> <shardtool-gen> <golden-dir>
#   MERGE_KILL_ITERATIONS=N   random kills per Rdb (default 4)
set -euo pipefail
st=$1
gen=$2
iterations=${MERGE_KILL_ITERATIONS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gen" --out "$work/c" --shards 1 --mirrors 0 --docs 8000 --files 4 --words 100 \
  --page-bytes 6000 --rdbs posdb,titledb >/dev/null || fail "shardtool-gen"
base=$work/c/host0
"$st" --workdir "$base" init --hosts "$work/c/hosts.conf" --host-id 0 >/dev/null || fail "init"

# The reference: uninterrupted merges of the same files.
cp -a "$base" "$work/ref"
for rdb in posdb titledb; do
  "$st" --workdir "$work/ref" merge main --rdb $rdb --all >/dev/null || fail "reference merge $rdb"
done
outputs="posdb0001.dat posdb0001.map posdb0001.crc titledb0001-000.dat titledb0001.map titledb0001.crc"

# Reruns both merges until each exits 0 (9 means stopped at a checkpoint: run again).
finish() {
  local w=$1 rdb code i
  for rdb in posdb titledb; do
    for i in 1 2 3 4 5; do
      code=0
      "$st" --workdir "$w" merge main --rdb $rdb --all >/dev/null 2>"$work/err" || code=$?
      [ $code -eq 0 ] && break
      [ $code -eq 9 ] || fail "$w: rerun of $rdb exited $code: $(cat "$work/err")"
    done
    [ $code -eq 0 ] || fail "$w: $rdb does not finish"
  done
}

check() {
  local w=$1 what=$2 f
  for f in $outputs; do
    cmp -s "$w/coll.main.0/$f" "$work/ref/coll.main.0/$f" || fail "$what: $f differs from an uninterrupted merge"
  done
  [ "$(ls "$w/coll.main.0" | wc -l)" -eq 6 ] || fail "$what: leftover files: $(ls "$w/coll.main.0")"
  [ -z "$(ls "$w/shardtool/journal" 2>/dev/null)" ] || fail "$what: journal left: $(ls "$w/shardtool/journal")"
  "$st" --workdir "$w" verify main >/dev/null || fail "$what: verify finds problems"
}

# A value in [0, max) milliseconds as seconds for sleep.
random_delay() { awk -v s="$RANDOM$1" -v m="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }'; }

# 1. kill -9 at random instants, slowed by --rate so that the kills land inside the merges.
for i in $(seq 1 "$iterations"); do
  for rdb in posdb titledb; do
    w=$work/kill-$rdb-$i
    cp -a "$base" "$w"
    "$st" --workdir "$w" merge main --rdb $rdb --all --rate 60 >/dev/null 2>&1 &
    pid=$!
    sleep "$(random_delay "$i$rdb" 400)"
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    finish "$w"
    check "$w" "kill -9 during the $rdb merge ($i)"
    rm -rf "$w"
  done
done

# 2. SIGTERM: a clean stop with exit 9 (or 0 when it had finished), and a rerun continues.
w=$work/term
cp -a "$base" "$w"
"$st" --workdir "$w" merge main --rdb posdb --all --rate 40 >/dev/null 2>&1 &
pid=$!
sleep 0.15
kill -TERM $pid 2>/dev/null || true
code=0
wait $pid || code=$?
[ $code -eq 9 ] || [ $code -eq 0 ] || fail "SIGTERM: exit $code, want 9 (or 0)"
finish "$w"
check "$w" "SIGTERM"
rm -rf "$w"

# 2b. --quarantine-bad under kill -9: a damaged page of posdb0001.dat (it has a sidecar) is left out
# and kept in the quarantine; reruns after kills end with the uninterrupted run's output and one
# quarantine entry holding the same byte ranges (exit 1: findings).
damaged=$work/damaged
cp -a "$base" "$damaged"
[ -f "$damaged/coll.main.0/posdb0001.crc" ] || fail "posdb0001.dat has no sidecar"
size=$(stat -c %s "$damaged/coll.main.0/posdb0001.dat")
at=$((size / 2))
old=$(od -An -tu1 -j "$at" -N1 "$damaged/coll.main.0/posdb0001.dat" | tr -d ' ')
printf "\\$(printf '%03o' $(((old + 1) % 256)))" |
  dd of="$damaged/coll.main.0/posdb0001.dat" bs=1 seek="$at" conv=notrunc status=none
ranges() { grep -ho '"\(offset\|length\|rule\)": [^,}]*' "$1"/shardtool/quarantine/*/manifest.json; }
cp -a "$damaged" "$work/qref"
code=0
"$st" --workdir "$work/qref" merge main --rdb posdb --all --quarantine-bad >/dev/null 2>&1 || code=$?
[ $code -eq 1 ] || fail "merge --quarantine-bad of a damaged page: exit $code, want 1"
[ "$(ranges "$work/qref" | wc -l)" -ge 3 ] || fail "no quarantined range in the reference"
for i in 1 2; do
  w=$work/qkill-$i
  cp -a "$damaged" "$w"
  "$st" --workdir "$w" merge main --rdb posdb --all --quarantine-bad --rate 60 >/dev/null 2>&1 &
  pid=$!
  sleep "$(random_delay "q$i" 400)"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  for j in 1 2 3 4 5; do
    code=0
    "$st" --workdir "$w" merge main --rdb posdb --all --quarantine-bad >/dev/null 2>"$work/err" ||
      code=$?
    [ $code -eq 9 ] || break
  done
  [ $code -eq 1 ] || fail "quarantine-bad rerun $i exited $code: $(cat "$work/err")"
  for f in posdb0001.dat posdb0001.map posdb0001.crc; do
    cmp -s "$w/coll.main.0/$f" "$work/qref/coll.main.0/$f" || fail "quarantine-bad kill $i: $f differs"
  done
  [ "$(ls -d "$w"/shardtool/quarantine/*/ | wc -l)" -eq 1 ] || fail "quarantine-bad kill $i: entries"
  [ "$(ranges "$w")" = "$(ranges "$work/qref")" ] || fail "quarantine-bad kill $i: other ranges"
  rm -rf "$w"
done

# 3. kill -9 at every named test point (builds with test points only).
points="merge.after_journal_start merge.after_target_create merge.after_target_sync
        merge.after_target_map merge.before_incorporate merge.after_bundles_commit
        merge.after_retire merge.after_remove_inputs merge.after_unretire
        merge.after_rename_target merge.after_journal_remove"
w=$work/probe
cp -a "$base" "$w"
code=0
{ SHARDTOOL_TEST_KILL_AT=merge.after_journal_start "$st" --workdir "$w" merge main --rdb posdb \
    --all; } >/dev/null 2>&1 || code=$?
rm -rf "$w"
if [ $code -eq 137 ]; then
  for point in $points; do
    w=$work/point
    cp -a "$base" "$w"
    code=0
    { SHARDTOOL_TEST_KILL_AT=$point "$st" --workdir "$w" merge main --rdb posdb --all; } \
      >/dev/null 2>&1 || code=$?
    [ $code -eq 137 ] || fail "$point: expected death by SIGKILL (137), got $code"
    finish "$w"
    check "$w" "kill -9 at $point"
    rm -rf "$w"
  done
else
  echo "test points are compiled out: named kill points skipped"
fi
echo "merge_kill: OK"
