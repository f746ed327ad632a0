#!/usr/bin/env bash
# Hostile input (issue 8): hostile database/collection/view names, symlinks that point out of the
# working dir, lying map headers, garbage state files, files that change while read. Every case
# must end with a documented exit code (never a signal), write nothing outside the working dir,
# and leave every source byte unchanged.
#   hostile.sh <shardtool> <shardtool-gen> <golden-dir>
set -uo pipefail
st=$1 gen=$2
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cases=0

# run <want-codes> <args...>: the exit code is one of want-codes (space-separated) and not a signal.
run() {
  local want=$1; shift
  cases=$((cases + 1))
  if [ -n "${ASAN_OPTIONS:-}" ]; then
    # Under ASan (its shadow memory needs terabytes of address space, so no ulimit -v): any single
    # allocation over 4 GB aborts, which fails the case as a signal.
    ( export ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=4096:allocator_may_return_null=0"
      "$st" "$@" ) >"$work/out" 2>"$work/err"
  else
    ( ulimit -v 4000000; "$st" "$@" ) >"$work/out" 2>"$work/err"
  fi
  local code=$?
  local what="$*"
  what=${what:0:300}
  [ $code -lt 128 ] || fail "signal (exit $code) for: $what : $(tail -5 "$work/err" | cut -c1-300)"
  for w in $want; do [ "$code" = "$w" ] && return 0; done
  fail "exit $code (want $want) for: $what : $(tail -3 "$work/err" | cut -c1-300)"
}

"$gen" --out "$work/c" --shards 2 --mirrors 0 --docs 300 --files 2 --words 20 --page-bytes 800 --seed 3 >/dev/null
h="$work/c/host0"
"$st" --workdir "$h" init --hosts "$work/c/hosts.conf" --host-id 0 >/dev/null || fail "init"
snapshot() { (cd "$work/c" && find . -type f ! -path '*/shardtool/locks/*' ! -path '*/shardtool/leases/*' -print0 | sort -z | xargs -0 md5sum); }
before=$(snapshot)
outside_before=$(ls -A "$work")

# 1. Hostile database, Rdb and namespace names: usage (2) or not found (3), never a path escape.
long=$(head -c 5000 /dev/zero | tr '\0' a)
for db in ".." "../c" "main/../../x" "/etc" "a/b" "$long" "main
x" " " "-"; do
  run "2 3" --workdir "$h" verify -- "$db"
  run "2 3" --workdir "$h" merge -- "$db" --rdb posdb --all
  run "2 3" --workdir "$h" --json inspect file "coll.$db.0/posdb0001.dat"
done
for rdb in "../posdb" "posdb/.." "$long" "" "posdb0001.dat"; do
  run "2 3" --workdir "$h" verify main --rdb "$rdb"
  run "2 3" --workdir "$h" merge main --rdb "$rdb" --all
done
for f in "../../hosts.conf" "/etc/passwd" "posdb0001.dat/.." "$long"; do
  run "2 3" --workdir "$h" verify main --file "$f"
done
for ns in "main.../x" "../main.v" "main./" "main.$long" "main.v/../../x"; do
  run "2" --workdir "$h" catalog create-view "$ns" --on main.posdb \
    --min 000000000000000000000000000000000000 --max 800000000000000000000000000000000000
done
run "2" --workdir "$h" catalog move-slots --slots 9-1 --to-shard 1
run "2" --workdir "$h" catalog move-slots --slots 0-99999999 --to-shard 1
run "2 3" --workdir "$h" catalog move-slots --slots 0-9 --to-shard 99

# 2. A collection dir that is a symlink to outside the working dir, and a data file symlink to a
#    file outside: not followed out of the working dir (skipped with a finding or refused).
mkdir -p "$work/outside/coll.evil.7"
cp "$h/coll.main.0/posdb0001.dat" "$h/coll.main.0/posdb0001.map" "$work/outside/coll.evil.7/"
ln -s "$work/outside/coll.evil.7" "$h/coll.evil.7"
run "0" --workdir "$h" init --hosts "$work/c/hosts.conf" --host-id 0   # refresh: must not adopt it
grep -q '"evil"' "$h/shardtool/catalog.json" && fail "init adopted a symlinked coll dir"
run "0 1 2 3 8" --workdir "$h" verify evil
run "0 1 2 3 4 8" --workdir "$h" merge evil --rdb posdb --all
[ -f "$work/outside/coll.evil.7/posdb0001.dat" ] || fail "merge through a symlinked coll dir removed a file outside the working dir"
rm "$h/coll.evil.7"
ln -s /etc/hostname "$h/coll.main.0/posdb0099.dat"
run "1 2 3 8" --workdir "$h" verify main --rdb posdb
rm "$h/coll.main.0/posdb0099.dat"

# 3. Map headers that lie: huge page counts and record counts, no huge allocation (ulimit -v 4 GB).
mkdir -p "$work/lie"
python3 - "$h/coll.main.0/posdb0001.map" "$work/lie" <<'P'
import os, sys, struct
src, out = sys.argv[1], sys.argv[2]
m = bytearray(open(src, 'rb').read())
for name, off, val in [('huge_pages', 16, 0x7fffffffffffffff), ('neg_count', 0, 0xffffffffffffffff),
                       ('huge_off', 8, 0x7ffffffffffffff0)]:
    b = bytearray(m)
    if len(b) >= off + 8:
        b[off:off+8] = struct.pack('<Q', val)
    os.makedirs(f'{out}/{name}')
    open(f'{out}/{name}/posdb0001.map', 'wb').write(bytes(b))
P
for d in "$work"/lie/*/; do
  cp "$h/coll.main.0/posdb0001.dat" "$d/posdb0001.dat"
  run "0 1 8" --json inspect map "$d/posdb0001.map"
  run "0 1 8" --json inspect file "$d/posdb0001.dat"
  run "0 1 8" inspect records "$d/posdb0001.dat" --limit 5
done

# 4. Garbage state files: a catalog that is not JSON, is JSON of the wrong shape, or is huge nesting.
cp "$h/shardtool/catalog.json" "$work/catalog.good"
for bad in 'not json' '{"epoch": 5}' '[]' "$(python3 -c 'print("["*100000 + "]"*100000)')" ''; do
  printf '%s' "$bad" > "$h/shardtool/catalog.json"
  run "8" --workdir "$h" verify main
  run "8" --workdir "$h" catalog show
  run "8" --workdir "$h" merge main --rdb posdb --all
done
cp "$work/catalog.good" "$h/shardtool/catalog.json"

# 5. A file that changes size while it is read (appended to and truncated in a loop).
mkdir -p "$work/grow"
g="$work/grow/titledb0001-000.dat"
cp "$h/coll.main.0/titledb0001-000.dat" "$g"
( for i in $(seq 1 200); do head -c 3000 /dev/urandom >> "$g"; truncate -s 5000 "$g"; done ) &
writer=$!
for i in 1 2 3; do
  run "0 1 3 8" inspect records "$g" --limit 100000
  run "0 1 3 8" --json inspect file "$g"
done
wait $writer

# Nothing outside the working dirs appeared; no source byte changed.
[ "$(ls -A "$work" | grep -v -e '^out$' -e '^err$' -e '^catalog.good$' -e '^lie$' -e '^outside$' -e '^grow$' | sort)" = "$(echo "$outside_before" | grep -v -e '^out$' -e '^err$' | sort)" ] || fail "files appeared outside: $(ls -A "$work")"
after=$(snapshot)
[ "$before" = "$after" ] || fail "a source file changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
echo "hostile.sh: $cases cases passed"
