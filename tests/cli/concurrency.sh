#!/usr/bin/env bash
# Concurrency campaign (issue 8): verify, inspect, merge, import and catalog changes started
# together on one working dir, round after round; after each round an independent checker
# (st-check: format layer only) proves that no record was lost or duplicated, the catalog is
# valid, and no lease, lock holder or temporary file was left behind.
#   concurrency.sh <shardtool> <shardtool-gen> <golden-dir> <st-check>
#   ROUNDS=N (default 4; the long campaign uses hundreds)
set -uo pipefail
st=$1 gen=$2 check=$4
rounds=${ROUNDS:-4}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fail() { echo "FAIL (round $round): $*"; exit 1; }
round=0

# Every round runs in the same place, $work/r (the catalogs name their hosts' working dirs), on a
# copy of the pristine 2-shard cluster; host1 is there for the import's other shard.
"$gen" --out "$work/r" --shards 2 --mirrors 0 --docs 600 --files 4 --words 20 --page-bytes 900 --seed 11 >/dev/null
for i in 0 1; do
  "$st" --workdir "$work/r/host$i" init --hosts "$work/r/hosts.conf" --host-id $i >/dev/null || fail init
done
cp -a "$work/r" "$work/pristine"
# The import's source: another cluster's titledb files.
"$gen" --out "$work/f" --shards 1 --mirrors 0 --docs 300 --files 2 --rdbs titledb --page-bytes 900 \
  --seed 12 >/dev/null
src="$work/f/host0/coll.main.0"
# A 3-shard layout for the reshard rounds (only the catalog changes; host2 need not exist).
{ echo "num-mirrors: 0"
  for i in 0 1 2; do echo "$i 5998 7000 8000 9000 127.0.0.1 127.0.0.1 $work/r/host$i"; done
} > "$work/hosts3.conf"
rdbs="posdb titledb indexdb clusterdb"
for r in $rdbs; do "$check" visible "$work/r/host0/coll.main.0" $r > "$work/want.$r" || fail "checker"; done
# What titledb holds on each host after the import alone.
"$st" --workdir "$work/r/host0" import --dir "$src" --db main >/dev/null 2>&1 || fail "reference import"
for i in 0 1; do "$check" visible "$work/r/host$i/coll.main.0" titledb > "$work/want.titledb.$i" || fail checker; done
cp "$work/want.titledb" "$work/want.titledb.pristine"
cp "$work/want.titledb.0" "$work/want.titledb"
rm -rf "$work/r"
zero=000000000000000000000000000000000000
half=800000000000000000000000000000000000

for round in $(seq 1 "$rounds"); do
  cp -a "$work/pristine" "$work/r"
  h="$work/r/host0"
  pids=()
  names=()
  start() { local name=$1; shift; ("$@" >"$work/$name.out" 2>"$work/$name.err"; echo $? >"$work/$name.rc") & pids+=($!); names+=("$name"); }
  # Odd rounds: writers give up at once on a held lock (exit 4, the busy paths); even rounds:
  # they wait (--lock-timeout), so merges, the import and the catalog change really commit side
  # by side while the readers run.
  lt=0
  [ $((round % 2)) = 0 ] && lt=20
  start verify   "$st" --workdir "$h" --json verify main --threads 2
  start merge_p  "$st" --workdir "$h" --lock-timeout $lt merge main --rdb posdb --all
  start verify_q "$st" --workdir "$h" verify main --quick
  start merge_t  "$st" --workdir "$h" --lock-timeout $lt merge main --rdb titledb --files 1,3,5
  start inspect  "$st" --workdir "$h" --json inspect file coll.main.0/posdb0001.dat
  start view     "$st" --workdir "$h" --lock-timeout 20 catalog create-view main.v$round --on main.posdb --min $zero --max $half
  start merge_i  "$st" --workdir "$h" --lock-timeout $lt merge main --rdb indexdb --all
  # Every fourth round reshards to 3 shards instead of importing: the writers and readers caught
  # by the new placement stop with exit 5 (or verify reports the now misplaced records, exit 1);
  # no record may be lost either way.
  reshard=0
  [ $((round % 4)) = 2 ] && reshard=1
  if [ $reshard = 1 ]; then
    start reshard "$st" --workdir "$h" --lock-timeout 20 catalog reshard --hosts "$work/hosts3.conf"
  else
    start import  "$st" --workdir "$h" --lock-timeout $lt import --dir "$src" --db main
  fi
  for p in "${pids[@]}"; do wait "$p"; done
  rc() { cat "$work/$1.rc"; }
  # Readers: a merge committing under them must not disturb them; a reshard may (exit 5, or 1
  # when they acquired under the new placement and found the records it misplaced).
  ok_readers="0"
  [ $reshard = 1 ] && ok_readers="0 1 5"
  for v in verify verify_q; do
    case " $ok_readers " in *" $(rc $v) "*) ;; *) fail "$v exit $(rc $v): $(tail -3 "$work/$v.err")";; esac
  done
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
  if [ $reshard = 1 ]; then
    [ "$(rc reshard)" = 0 ] || fail "reshard exit $(rc reshard): $(tail -3 "$work/reshard.err")"
    for m in merge_p merge_t merge_i reshard; do echo "$m=$(rc $m)" >> "$work/tally"; done
  else
    for m in merge_p merge_t merge_i import; do echo "$m=$(rc $m)" >> "$work/tally"; done
    case $(rc import) in
      0|4|5|9) ;;
      *) fail "import exit $(rc import): $(tail -3 "$work/import.err")";;
    esac
  fi
  "$st" --workdir "$h" merge main --rdb posdb --all >/dev/null 2>&1 || fail "posdb merge rerun"
  [ $reshard = 1 ] ||
    "$st" --workdir "$h" import --dir "$src" --db main >/dev/null 2>&1 || fail "import rerun"
  # Invariants.
  for r in $rdbs; do
    want="$work/want.$r"
    [ $reshard = 1 ] && [ $r = titledb ] && want="$work/want.titledb.pristine"
    "$check" visible "$h/coll.main.0" $r > "$work/got.$r" || fail "checker on $r"
    cmp -s "$want" "$work/got.$r" || fail "$r: visible records changed ($(diff "$want" "$work/got.$r" | wc -l) lines)"
  done
  if [ $reshard = 0 ]; then
    "$check" visible "$work/r/host1/coll.main.0" titledb > "$work/got.titledb.1" || fail "checker on host1"
    cmp -s "$work/want.titledb.1" "$work/got.titledb.1" || fail "host1 titledb: visible records changed"
  fi
  for i in 0 1; do
    [ -z "$("$check" leftovers "$work/r/host$i/coll.main.0")" ] ||
      fail "leftovers: $("$check" leftovers "$work/r/host$i/coll.main.0")"
    [ -z "$(ls -A "$work/r/host$i/shardtool/tmp" 2>/dev/null)" ] || fail "spill runs left on host$i"
  done
  "$st" --workdir "$h" catalog show >/dev/null || fail "catalog invalid"
  if [ $reshard = 0 ]; then
    "$st" --workdir "$h" verify main >/dev/null || fail "final verify not clean"
  else
    # Under the new placement: exit 1 (the records shard 0 no longer owns), never a crash.
    code=0; "$st" --workdir "$h" verify main >/dev/null 2>&1 || code=$?
    [ $code = 1 ] || fail "final verify after the reshard: exit $code"
  fi
  if [ -d "$h/shardtool/leases" ]; then
    left=$(find "$h/shardtool/leases" -type f | wc -l)
    [ "$left" = 0 ] || fail "$left lease files left: $(find "$h/shardtool/leases" -type f | head -3)"
  fi
  for l in "$h/shardtool/locks/"*; do
    flock -n -x "$l" true || fail "lock $l is still held by somebody"
  done
  rm -rf "$work/r"
done
# How the writers ended, over all rounds (name=exit status, count): that they raced at all.
echo "writers: $(sort "$work/tally" | uniq -c | awk '{printf "%s %sx  ", $2, $1}')"
echo "concurrency.sh: $rounds rounds passed"
if [ -n "${KEEP:-}" ]; then echo "kept $work"; fi
