#!/usr/bin/env bash
# `shardtool repair misplaced` under real kill -9 (issue 18 §1): host0 of a 2-shard cluster holds
# shard 1's posdb and titledb records (files moved over from host1, so that only host0 has them).
# The built binary is SIGKILLed at every named test point a repair passes (builds with test
# points) and at random instants, then rerun until it exits 0. Each time:
#   - the outbox holds exactly one committed bundle per Rdb, for shard 1, and nothing half-written;
#   - host0 holds exactly what an uninterrupted repair leaves it, no journal, and verify is clean;
#   - host0's records after the repair plus the bundles' records are host0's records before;
#   - ingesting the bundles on host1 gives host1 exactly what the uninterrupted repair's bundles
#     give it: each record once; a rerun of the repair finds nothing.
# SIGTERM stops it with exit 9 (or lets it finish) and a rerun continues. The checkpoint points are
# passed only with more data than this test has (64 MiB between checkpoints): the gtests
# (RepairMisplaced.CrashAnywhere...) crash there with small checkpoints.
# Also: --dry-run counts and writes nothing; nothing misplaced writes nothing; Gigablast running
# refuses (exit 4); two mirrors' bundles of the same records deduplicate on ingest.
#   repair_kill.sh <shardtool> <shardtool-gen> <golden-dir> <st-check>
#   REPAIR_KILL_ITERATIONS=N   random kills (default 6)
set -euo pipefail
st=$1
gen=$2
check=$4
iterations=${REPAIR_KILL_ITERATIONS:-6}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gen" --out "$work/c" --shards 2 --mirrors 1 --docs 6000 --files 2 --words 60 \
  --page-bytes 6000 --rdbs posdb,titledb >/dev/null || fail "shardtool-gen"
# hosts 0 and 2 are shard 0's mirrors, 1 and 3 shard 1's.
for h in 0 1 2 3; do
  "$st" --workdir "$work/c/host$h" init --hosts "$work/c/hosts.conf" --host-id $h >/dev/null \
    || fail "init host$h"
done
coll=coll.main.0
# Move host1's (and host3's) newest files to host0 (and host2) under new ids: misplaced there,
# and gone from shard 1.
plant() {
  local from=$1 to=$2 name map
  for rdb in posdb titledb; do
    name=$(cd "$work/c/$from/$coll" && ls ${rdb}0*.dat | sort | tail -1)
    map=${name%.dat}; map=${map%-000}
    local id=${map#"$rdb"}
    local new=${name/$id/0021}
    mv "$work/c/$from/$coll/$name" "$work/c/$to/$coll/$new"
    mv "$work/c/$from/$coll/$map.map" "$work/c/$to/$coll/${rdb}0021.map"
    if [ -f "$work/c/$from/$coll/$map.crc" ]; then
      mv "$work/c/$from/$coll/$map.crc" "$work/c/$to/$coll/${rdb}0021.crc"
    fi
  done
}
plant host1 host0
cp -a "$work/c/host0/$coll"/*0021* "$work/c/host2/$coll/"
rm -f "$work/c/host3/$coll"/*
cp -a "$work/c/host1/$coll"/. "$work/c/host3/$coll/"

visible() { # <host dir> -> "<rdb> <key> <crc>" lines of every Rdb, sorted
  local rdb
  for rdb in posdb titledb; do
    "$check" visible "$1/$coll" $rdb | sed "s/^/$rdb /"
  done | sort
}
visible "$work/c/host0" >"$work/host0.before"
# What a run that writes nothing leaves as it was: the data files (names, sizes, mtimes), no
# journal, no outbox (lock files and leases of the run's acquisitions aside).
state() {
  find "$1/$coll" -printf '%p %s %T@\n' | sort
  ls "$1/shardtool/journal" "$1/shardtool/outbox" 2>/dev/null || true
}
visible "$work/c/host1" >"$work/host1.before"

code=0
"$st" --workdir "$work/c/host0" verify main >/dev/null 2>&1 || code=$?
[ $code -eq 1 ] || fail "verify should report the misplaced records (exit 1), got $code"

# --dry-run: counts per owner shard and Rdb, nothing written.
before_ls=$(state "$work/c/host0")
out=$("$st" --workdir "$work/c/host0" --json repair misplaced main --dry-run) || fail "dry run"
[ "$(jq -r '.command' <<<"$out")" = "repair misplaced" ] || fail "dry run: command: $out"
[ "$(jq '.summary.misplaced > 0 and (.summary.by_owner | keys) == ["1"]' <<<"$out")" = true ] ||
  fail "dry run: counts: $out"
[ "$(jq '[.rdbs[] | select(.misplaced > 0)] | length' <<<"$out")" = 2 ] || fail "dry run: rdbs: $out"
[ "$(state "$work/c/host0")" = "$before_ls" ] || fail "dry run wrote something"
want_total=$(jq '.summary.misplaced' <<<"$out")

# Gigablast at work in host0's dir (a process named gb there): refused with exit 4.
cp "$(command -v sleep)" "$work/gb"
(cd "$work/c/host0" && exec "$work/gb" 60) &
gbpid=$!
sleep 0.2
code=0
"$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>"$work/err" || code=$?
kill $gbpid 2>/dev/null || true
wait $gbpid 2>/dev/null || true
[ $code -eq 4 ] || fail "repair while Gigablast runs: exit $code, want 4: $(cat "$work/err")"
[ "$(state "$work/c/host0")" = "$before_ls" ] || fail "a refused repair wrote something"

cp -a "$work/c" "$work/pristine"
fresh() { rm -rf "$work/c"; cp -a "$work/pristine" "$work/c"; }

# The reference: an uninterrupted repair, its bundles ingested on host1.
ingest_all() { # <bundle dir> <host>
  local b
  for b in "$1"/main.*; do
    "$st" --workdir "$work/c/$2" ingest "$b" >/dev/null 2>"$work/err" ||
      fail "ingest $b on $2: $(cat "$work/err")"
  done
}
out=$("$st" --workdir "$work/c/host0" --json repair misplaced main) || fail "reference repair: $out"
[ "$(jq '.summary.misplaced' <<<"$out")" = "$want_total" ] || fail "reference: $out vs dry run $want_total"
[ "$(jq '[.rdbs[].bundles[]] | length' <<<"$out")" = 2 ] || fail "reference: bundles: $out"
[ "$(jq '[.rdbs[].bundles[].target_shard] | unique' -c <<<"$out")" = "[1]" ] || fail "reference: targets: $out"
visible "$work/c/host0" >"$work/host0.ref"
ingest_all "$work/c/host0/shardtool/outbox" host1
visible "$work/c/host1" >"$work/host1.ref"
# Each misplaced record once: host0 after plus what host1 gained is host0 before.
comm -13 "$work/host1.before" "$work/host1.ref" >"$work/gained"
[ "$(wc -l <"$work/gained")" -gt 0 ] || fail "host1 gained nothing"
sort -m "$work/host0.ref" "$work/gained" | cmp -s - "$work/host0.before" ||
  fail "host0 after + bundles != host0 before"
# The second mirror's bundles of the same records deduplicate.
"$st" --workdir "$work/c/host2" repair misplaced main --to "$work/mirror-outbox" >/dev/null 2>"$work/err" ||
  fail "repair on host2: $(cat "$work/err")"
ingest_all "$work/mirror-outbox" host1
visible "$work/c/host1" | cmp -s - "$work/host1.ref" || fail "the mirror's bundles added records twice"
"$st" --workdir "$work/c/host1" verify main >/dev/null 2>&1 || fail "verify on host1 after ingest"
# Nothing misplaced any more: exit 0, nothing written.
before_ls=$(state "$work/c/host0")
out=$("$st" --workdir "$work/c/host0" --json repair misplaced main) || fail "rerun: $out"
[ "$(jq '.summary.misplaced' <<<"$out")" = 0 ] || fail "rerun exported again: $out"
[ "$(state "$work/c/host0")" = "$before_ls" ] || fail "a repair with nothing misplaced wrote something"

finish() {
  local code i
  for i in 1 2 3 4 5 6; do
    code=0
    "$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>"$work/err" || code=$?
    [ $code -eq 0 ] && return
    [ $code -eq 9 ] || fail "rerun exited $code: $(cat "$work/err")"
  done
  fail "the repair does not finish"
}
check_run() {
  local what=$1 outbox=$work/c/host0/shardtool/outbox n
  [ -z "$(find "$outbox" -maxdepth 1 -name '*.tmp')" ] || fail "$what: half-written bundles: $(ls "$outbox")"
  n=$(find "$outbox" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ "$n" -eq 2 ] || fail "$what: $n bundles, want 2: $(ls "$outbox")"
  for rdb in posdb titledb; do
    [ "$(find "$outbox" -mindepth 1 -maxdepth 1 -type d -name "main.$rdb.s1.*" | wc -l)" -eq 1 ] ||
      fail "$what: not one $rdb bundle for shard 1: $(ls "$outbox")"
  done
  visible "$work/c/host0" | cmp -s - "$work/host0.ref" || fail "$what: host0 differs from the reference"
  [ -z "$(ls "$work/c/host0/shardtool/journal" 2>/dev/null)" ] || fail "$what: journal left: $(ls "$work/c/host0/shardtool/journal")"
  [ -z "$("$check" leftovers "$work/c/host0/$coll")" ] || fail "$what: leftovers"
  "$st" --workdir "$work/c/host0" verify main >/dev/null 2>&1 || fail "$what: verify on host0 finds problems"
  ingest_all "$outbox" host1
  visible "$work/c/host1" | cmp -s - "$work/host1.ref" || fail "$what: host1 after ingest differs from the reference"
  "$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>&1 || fail "$what: rerun after finish"
  [ "$(find "$outbox" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 2 ] || fail "$what: the rerun wrote bundles"
}

# 1. kill -9 at every named test point (builds with test points only).
points="merge.after_journal_start merge.after_target_create merge.checkpoint.after_target_sync
        merge.checkpoint.after_journal merge.after_target_sync merge.after_target_map
        merge.before_incorporate merge.after_bundles_commit merge.after_retire
        merge.after_remove_inputs merge.after_unretire merge.after_rename_target
        merge.after_journal_remove atomic_file.before_rename atomic_file.after_rename
        target.after_part_sync"
fresh
code=0
{ SHARDTOOL_TEST_KILL_AT=merge.after_journal_start "$st" --workdir "$work/c/host0" repair \
    misplaced main; } >/dev/null 2>&1 || code=$?
if [ $code -eq 137 ]; then
  for point in $points; do
    fresh
    code=0
    { SHARDTOOL_TEST_KILL_AT=$point "$st" --workdir "$work/c/host0" repair misplaced main; } \
      >/dev/null 2>&1 || code=$?
    [ $code -eq 137 ] || [ $code -eq 0 ] || fail "$point: exit $code"
    # A second kill at the same point during the rerun, when it gets there again.
    code=0
    { SHARDTOOL_TEST_KILL_AT=$point "$st" --workdir "$work/c/host0" repair misplaced main; } \
      >/dev/null 2>&1 || code=$?
    finish
    check_run "kill -9 at $point"
  done
else
  echo "test points are compiled out: named kill points skipped"
fi

# 2. kill -9 at random instants within the reference run's duration.
fresh
t0=$(date +%s%N)
"$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>&1 || fail "timed run"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
for i in $(seq 1 "$iterations"); do
  fresh
  "$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v s="$RANDOM$i" -v m="$ms" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }')"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  finish
  check_run "kill -9 at random ($i)"
done
# 3. SIGTERM: a clean stop with exit 9 (or 0 when it had finished), and a rerun continues.
for delay in 0.2 0.5 0.8; do
  fresh
  "$st" --workdir "$work/c/host0" repair misplaced main >/dev/null 2>&1 &
  pid=$!
  sleep $delay
  kill -TERM $pid 2>/dev/null || true
  code=0
  wait $pid || code=$?
  [ $code -eq 9 ] || [ $code -eq 0 ] || fail "SIGTERM after $delay s: exit $code, want 9 (or 0)"
  finish
  check_run "SIGTERM after $delay s"
done
echo "repair_kill: OK"
