#!/usr/bin/env bash
# `shardtool ingest` under real kill -9 (issue 8): an import with --stage-dir writes shard 1's
# records of a foreign cluster as bundles while host1 is away; host1 then ingests them. The built
# binary is SIGKILLed at random instants (and, in builds with test points, at every named point
# an ingest passes), then rerun until it exits 0; host1 must then hold exactly what an
# uninterrupted ingest gives it (st-check, the format layer only), and a further rerun must say
# the bundles are already ingested.
#   ingest_kill.sh <shardtool> <shardtool-gen> <golden-dir> <st-check>
#   INGEST_KILL_ITERATIONS=N   random kills (default 6)
set -euo pipefail
st=$1
gen=$2
check=$4
iterations=${INGEST_KILL_ITERATIONS:-6}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gen" --out "$work/c" --shards 2 --mirrors 0 --docs 200 --files 1 --rdbs titledb \
  --page-bytes 3000 >/dev/null || fail "shardtool-gen (cluster)"
for h in 0 1; do
  "$st" --workdir "$work/c/host$h" init --hosts "$work/c/hosts.conf" --host-id $h >/dev/null \
    || fail "init host$h"
done
"$gen" --out "$work/f" --shards 1 --mirrors 0 --docs 2000 --files 2 --rdbs titledb --seed 8 \
  --page-bytes 3000 >/dev/null || fail "shardtool-gen (foreign)"
# Host1 away: the import stages its shard as bundles (several, with a small --memory).
mv "$work/c/host1" "$work/host1.away"
"$st" --workdir "$work/c/host0" import --dir "$work/f/host0/coll.main.0" --db main \
  --stage-dir "$work/stage" --memory 1M --commit-every 1M >/dev/null 2>"$work/err" \
  || fail "staging import: $(cat "$work/err")"
mv "$work/host1.away" "$work/c/host1"
bundles=$(find "$work/stage" -mindepth 1 -maxdepth 1 -type d -name 'main.titledb.s1.*' | sort)
[ "$(wc -w <<<"$bundles")" -ge 2 ] || fail "expected several bundles for shard 1, got: $bundles"
# hosts.conf names the hosts' absolute dirs, so every run works on $work/c, restored from a copy.
cp -a "$work/c" "$work/pristine"
fresh() { rm -rf "$work/c"; cp -a "$work/pristine" "$work/c"; }

run_ingest() {
  # shellcheck disable=SC2086
  "$st" --workdir "$work/c/host1" ingest $bundles >/dev/null 2>"$work/err"
}
finish() {
  local code i
  for i in 1 2 3 4 5 6; do
    code=0
    run_ingest || code=$?
    [ $code -eq 0 ] && break
    fail "rerun exited $code: $(cat "$work/err")"
  done
  local out
  # shellcheck disable=SC2086
  out=$("$st" --workdir "$work/c/host1" --json ingest $bundles)
  [ "$(jq '[.bundles[] | select(.already_ingested == false)] | length' <<<"$out")" = 0 ] ||
    fail "a rerun of a finished ingest did something: $out"
}
check_host1() {
  "$check" visible "$work/c/host1/coll.main.0" titledb >"$work/got" || fail "$1: checker"
  cmp -s "$work/got" "$work/want" || fail "$1: host1 differs from an uninterrupted ingest: $(diff "$work/want" "$work/got" | head -3)"
  [ -z "$("$check" leftovers "$work/c/host1/coll.main.0")" ] || fail "$1: leftovers"
  return 0
}

fresh
run_ingest || fail "reference ingest: $(cat "$work/err")"
"$check" visible "$work/c/host1/coll.main.0" titledb >"$work/want"
[ "$(wc -l <"$work/want")" -gt 1000 ] || fail "reference ingest added too little"
"$st" --workdir "$work/c/host1" verify main --rdb titledb >/dev/null || fail "verify after ingest"

random_delay() { awk -v s="$RANDOM$1" -v m="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }'; }
for i in $(seq 1 "$iterations"); do
  fresh
  # shellcheck disable=SC2086
  "$st" --workdir "$work/c/host1" ingest $bundles >/dev/null 2>&1 &
  pid=$!
  sleep "$(random_delay "$i" 120)"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  finish
  check_host1 "kill -9 at a random instant ($i)"
done

for p in import.after_target_write import.before_ledger_commit import.after_ledger_commit \
  import.after_target_publish ingest.after_publish; do
  fresh
  code=0
  # shellcheck disable=SC2086
  (SHARDTOOL_TEST_KILL_AT=$p "$st" --workdir "$work/c/host1" ingest $bundles >/dev/null 2>&1; exit $?) || code=$?
  [ $code -eq 0 ] || [ $code -eq 137 ] || fail "$p: exit $code"
  finish
  check_host1 "kill -9 at $p"
done
echo "ingest_kill: ok ($iterations random kills, 5 named points)"
