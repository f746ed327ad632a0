#!/usr/bin/env bash
# Concurrency campaign (issue 8): verify, inspect, merge and catalog changes started together on
# one working dir, round after round; after each round an independent checker (st-check: format
# layer only) proves that no record was lost or duplicated, the catalog is valid, and no lease,
# lock holder or temporary file was left behind.
#   concurrency.sh <shardtool> <shardtool-gen> <shared-dir> <st-check>
#   ROUNDS=N (default 4; the long campaign uses hundreds)
set -uo pipefail
st=$1 gen=$2 check=$4
rounds=${ROUNDS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL (round $round): $*"; exit 1; }
round=0

"$gen" --out "$work/c" --shards 2 --mirrors 0 --docs 600 --files 4 --words 20 --page-bytes 900 --seed 11 >/dev/null
"$st" --workdir "$work/c/host0" init --hosts "$work/c/hosts.conf" --host-id 0 >/dev/null || fail init
cp -a "$work/c/host0" "$work/pristine"
rdbs="posdb titledb indexdb clusterdb"
for r in $rdbs; do "$check" visible "$work/pristine/coll.main.0" $r > "$work/want.$r" || fail "checker"; done
zero=000000000000000000000000000000000000
half=800000000000000000000000000000000000

for round in $(seq 1 "$rounds"); do
  h="$work/r$round"
  cp -a "$work/pristine" "$h"
  pids=()
  names=()
  start() { local name=$1; shift; ("$@" >"$work/$name.out" 2>"$work/$name.err"; echo $? >"$work/$name.rc") & pids+=($!); names+=("$name"); }
  start verify   "$st" --workdir "$h" --json verify main --threads 2
  start merge_p  "$st" --workdir "$h" merge main --rdb posdb --all
  start verify_q "$st" --workdir "$h" verify main --quick
  start merge_t  "$st" --workdir "$h" merge main --rdb titledb --files 1,3,5
  start inspect  "$st" --workdir "$h" --json inspect file coll.main.0/posdb0001.dat
  start view     "$st" --workdir "$h" catalog create-view main.v$round --on main.posdb --min $zero --max $half
  start merge_i  "$st" --workdir "$h" merge main --rdb indexdb --all
  for p in "${pids[@]}"; do wait "$p"; done
  rc() { cat "$work/$1.rc"; }
  # Readers: a merge committing under them must not disturb them.
  [ "$(rc verify)" = 0 ] || fail "verify exit $(rc verify): $(tail -3 "$work/verify.err")"
  [ "$(rc verify_q)" = 0 ] || fail "verify --quick exit $(rc verify_q): $(tail -3 "$work/verify_q.err")"
  case $(rc inspect) in 0|3) ;; *) fail "inspect exit $(rc inspect): $(tail -3 "$work/inspect.err")";; esac
  [ "$(rc view)" = 0 ] || fail "create-view exit $(rc view): $(tail -3 "$work/view.err")"
  # Writers: done, or told to retry (busy 4, stale placement 5); a rerun then finishes.
  for m in merge_p merge_t merge_i; do
    case $(rc $m) in
      0) ;;
      4|5) ;;
      *) fail "$m exit $(rc $m): $(tail -3 "$work/$m.err")";;
    esac
  done
  "$st" --workdir "$h" merge main --rdb posdb --all >/dev/null 2>&1 || fail "posdb merge rerun"
  # Invariants.
  for r in $rdbs; do
    "$check" visible "$h/coll.main.0" $r > "$work/got.$r" || fail "checker on $r"
    cmp -s "$work/want.$r" "$work/got.$r" || fail "$r: visible records changed ($(diff "$work/want.$r" "$work/got.$r" | wc -l) lines)"
  done
  [ -z "$("$check" leftovers "$h/coll.main.0")" ] || fail "leftovers: $("$check" leftovers "$h/coll.main.0")"
  "$st" --workdir "$h" catalog show >/dev/null || fail "catalog invalid"
  "$st" --workdir "$h" verify main >/dev/null || fail "final verify not clean"
  if [ -d "$h/shardtool/leases" ]; then
    left=$(find "$h/shardtool/leases" -type f | wc -l)
    [ "$left" = 0 ] || fail "$left lease files left: $(find "$h/shardtool/leases" -type f | head -3)"
  fi
  for l in "$h/shardtool/locks/"*; do
    flock -n -x "$l" true || fail "lock $l is still held by somebody"
  done
  rm -rf "$h"
done
echo "concurrency.sh: $rounds rounds passed"
