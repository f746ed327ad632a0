#!/usr/bin/env bash
# `shardtool import` under real kill -9 (issue 6, doc/architecture.md §6): a foreign cluster's titledb files
# are imported into a 2-shard, 2-mirror sample cluster whose four host dirs are all on this
# machine. The built binary is SIGKILLed at random instants (and, in builds with test points, at
# every named import test point), then rerun until it exits 0; every host must then hold exactly
# the records an uninterrupted import gives it (each source record once per mirror of its shard),
# and a further rerun must do nothing. SIGTERM stops it with exit 9 (or lets it finish) and a rerun
# continues.
#   import_kill.sh <shardtool> <shardtool-gen> <golden-dir>
#   IMPORT_KILL_ITERATIONS=N   random kills (default 8)
set -euo pipefail
st=$1
gen=$2
iterations=${IMPORT_KILL_ITERATIONS:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gen" --out "$work/c" --shards 2 --mirrors 1 --docs 200 --files 1 --rdbs titledb \
  --page-bytes 3000 >/dev/null || fail "shardtool-gen (cluster)"
for h in 0 1 2 3; do
  "$st" --workdir "$work/c/host$h" init --hosts "$work/c/hosts.conf" --host-id $h >/dev/null \
    || fail "init host$h"
done
# hosts.conf names the hosts' absolute dirs, so every run works on $work/c, restored from a copy.
cp -a "$work/c" "$work/pristine"
fresh() { rm -rf "$work/c"; cp -a "$work/pristine" "$work/c"; }
"$gen" --out "$work/f" --shards 1 --mirrors 0 --docs 2000 --files 3 --rdbs titledb --seed 7 \
  --page-bytes 3000 >/dev/null || fail "shardtool-gen (foreign)"
src=$work/f/host0/coll.main.0

# Sorted keys and sizes of every titledb record of every host (the initial file 0001 included).
contents() {
  local root=$1 h f
  for h in 0 1 2 3; do
    for f in "$root/host$h"/coll.main.0/titledb*-000.dat; do
      "$st" --json inspect records "$f" | jq -r --arg h "$h" '.records[] | "\($h) \(.key) \(.data_size)"'
    done
  done | sort
}

run_import() { # workroot [extra env...]
  "$st" --workdir "$1/host0" import --dir "$src" --db main --memory 1M --commit-every 2M \
    >/dev/null 2>"$work/err"
}

finish() {
  local root=$1 code i
  for i in 1 2 3 4 5 6; do
    code=0
    run_import "$root" || code=$?
    [ $code -eq 0 ] && break
    [ $code -eq 9 ] || fail "$root: rerun exited $code: $(cat "$work/err")"
  done
  [ $code -eq 0 ] || fail "$root: the import does not finish"
  local out
  out=$("$st" --workdir "$root/host0" --json import --dir "$src" --db main)
  [ "$(jq -r .nothing_to_do <<<"$out")" = true ] || fail "$root: a rerun of a finished import did something"
}

check() {
  local root=$1 what=$2
  contents "$root" >"$work/got"
  cmp -s "$work/got" "$work/want" || fail "$what: hosts differ from an uninterrupted import: $(diff "$work/want" "$work/got" | head -5)"
  ls "$root"/host*/coll.main.0/ | grep -q 'import.tmp' && fail "$what: temporaries left"
  ls -d "$root"/host*/shardtool/tmp/import.* 2>/dev/null && fail "$what: spill run directories left"
  return 0
}

# The reference: one uninterrupted import.
fresh
run_import "$work/c" || fail "reference import: $(cat "$work/err")"
contents "$work/c" >"$work/want"
[ "$(wc -l <"$work/want")" -gt 2000 ] || fail "reference import wrote too little"
for h in 0 1 2 3; do
  "$st" --workdir "$work/c/host$h" verify main --rdb titledb >/dev/null \
    || fail "verify finds problems on host$h after the import"
done

random_delay() { awk -v s="$RANDOM$1" -v m="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }'; }

# 1. kill -9 at random instants.
for i in $(seq 1 "$iterations"); do
  root=$work/c
  fresh
  "$st" --workdir "$root/host0" import --dir "$src" --db main --memory 1M --commit-every 2M \
    >/dev/null 2>&1 &
  pid=$!
  sleep "$(random_delay "$i" 250)"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  finish "$root"
  check "$root" "kill -9 at a random instant ($i)"
done

# 2. kill -9 at every named test point (builds with test points).
points="import.after_spill import.run_block import.after_target_write import.before_ledger_commit \
import.after_ledger_commit import.after_target_publish import.before_bookmark import.after_bookmark \
import.yielded"
for p in $points; do
  root=$work/c
  fresh
  code=0
  (SHARDTOOL_TEST_KILL_AT=$p "$st" --workdir "$root/host0" import --dir "$src" --db main \
    --memory 1M --commit-every 2M >/dev/null 2>&1; exit $?) || code=$?
  [ $code -eq 0 ] || [ $code -eq 137 ] || fail "$p: exit $code"
  finish "$root"
  check "$root" "kill -9 at $p"
done

# 3. SIGTERM: exit 9 (or 0 when it had finished), and a rerun continues.
root=$work/c
fresh
"$st" --workdir "$root/host0" import --dir "$src" --db main --memory 1M --commit-every 2M \
  >/dev/null 2>&1 &
pid=$!
sleep 0.1
kill -TERM $pid 2>/dev/null || true
code=0
wait $pid || code=$?
[ $code -eq 0 ] || [ $code -eq 9 ] || fail "SIGTERM: exit $code"
finish "$root"
check "$root" "SIGTERM"
echo "import_kill: ok"
