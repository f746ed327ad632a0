#!/usr/bin/env bash
# The data path of a reshard against a bare baseline moving the same bytes, on the namespace test
# cluster (tests/cluster/lib.sh: 2 shards x 2 mirrors and 2 spare hosts, each host seeing only
# its own working dir, titledb and posdb). Per run, from the same saved cluster:
#   reshard: `catalog reshard` to 3 shards on host0 and `catalog apply` everywhere (not timed),
#     then timed, host by host as reshard.yml runs them: `merge --all --cleanup-orphans
#     --orphans-to` per Rdb on every donor, rsync of each bundle over SSH from the donor's
#     namespace to every host of its target shard, `ingest` of what arrived on each of them;
#   baseline: read every data file of the donors (the export reads them all), then per bundle and
#     target rsync a file of the bundle's record bytes from the donor's namespace with --fsync
#     (written and fsynced on the owner's host).
# Both move the same record bytes (each bundle's decompressed size, once per target); the figure
# is bytes/s of each and their ratio (target >= 0.5, issue 18 §4), median of the runs.
# Needs root and network namespaces.
#   bench/reshard_bench.sh <shardtool> <shardtool-gen> [docs (default 20000)] [runs (default 3)]
set -uo pipefail
st=$(realpath "$1")
gen=$(realpath "$2")
export CLUSTER_DOCS=${3:-20000}
runs=${4:-3}
export CLUSTER_SPARES=2 CLUSTER_PRIVATE_DIRS=1 CLUSTER_RDBS=titledb,posdb
export CLUSTER_TIME_LIMIT=${CLUSTER_TIME_LIMIT:-3000}
here=$(cd "$(dirname "$0")/.." && pwd)
play=$here/deploy/ansible
start=$(date +%s)
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { echo "-- $(( $(date +%s) - start )) s: $*" >&2; }
# shellcheck source=tests/cluster/lib.sh
source "$here/tests/cluster/lib.sh"
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
inns() { local i=$1; shift; ip netns exec "$(ns "$i")" "$@"; }
S="ssh -i $run/ssh/client -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
cmd() { local i=$1; shift; inns "$i" "$st" --workdir "$(wdof "$i")" --json --progress never "$@"; }
# The same, its peak RSS (KiB) appended to $run/rss.<kind> (GNU time: memory per host per command).
rss_cmd() {
  local kind=$1 i=$2; shift 2
  inns "$i" /usr/bin/time -f %M -a -o "$run/rss.$kind" "$st" --workdir "$(wdof "$i")" --json --progress never "$@"
}
[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (Debian package time)"

ap catalog catalog.yml -e catalog_adopt=true
[ "$rc" -eq 0 ] || { show catalog; fail "catalog.yml"; }
write_hosts_conf "$run/hosts3.conf" 6
tar -C "$run" -cf "$run/saved.tar" m0 m1 m2 m3 m4 m5

results=()
for r in $(seq 1 "$runs"); do
  step "run $r"
  rm -rf "$run"/m?/h?/*
  tar -C "$run" -xf "$run/saved.tar"
  cmd 0 catalog reshard --hosts "$run/hosts3.conf" --orphan-delay 0 >/dev/null || fail "catalog reshard"
  cmd 0 catalog export --out "$run/export.json" >/dev/null || fail "catalog export"
  for i in 0 1 2 3 4 5; do
    cmd "$i" catalog apply "$run/export.json" --orphan-delay 0 >/dev/null || fail "apply on $i"
    mkdir -p "$run/h$i/shardtool/inbox"   # as ship.yml's listing makes it
  done
  sync
  # --- the reshard's data path --------------------------------------------------------------------
  t0=$(now)
  for i in 0 1 2 3; do
    for rdb in posdb titledb; do
      rss_cmd export "$i" merge main --rdb "$rdb" --all --cleanup-orphans --orphans-to "$(wdof "$i")/shardtool/outbox" >/dev/null ||
        fail "export on host $i ($rdb)"
    done
  done
  t_export=$(calc "$(now) - $t0")
  : > "$run/pairs"
  for i in 0 1 2 3; do
    for b in "$run/h$i"/shardtool/outbox/*/; do
      b=${b%/}; name=$(basename "$b")
      shard=$(jq .target_shard "$b/manifest.json")
      bytes=$(jq '[.streams[].bytes] | add' "$b/manifest.json")
      for j in 0 1 2 3 4 5; do
        [ $(( j % 3 )) -eq "$shard" ] || continue
        inns "$i" rsync -a --partial -e "$S" "$b" "$(ipof "$j"):$(wdof "$j")/shardtool/inbox/host$i/" ||
          fail "rsync $name to host $j"
        echo "$i $j $name $bytes" >> "$run/pairs"
      done
    done
  done
  for j in 0 1 2 3 4 5; do
    mapfile -t got < <(ls -d "$(wdof "$j")"/shardtool/inbox/*/* 2>/dev/null)
    [ "${#got[@]}" -eq 0 ] || rss_cmd ingest "$j" ingest "${got[@]}" >/dev/null || fail "ingest on host $j"
  done
  t_path=$(calc "$(now) - $t0")
  moved=$(awk '{ s += $4 } END { print s }' "$run/pairs")
  # --- the baseline: the same bytes by hand ---------------------------------------------------------
  for i in 0 1 2 3; do
    mkdir -p "$run/base$i"
    while read -r d j name bytes; do
      [ "$d" = "$i" ] || continue
      [ -f "$run/base$i/$name" ] || cat "$(wdof "$i")"/coll.main.*/*.dat | head -c "$bytes" > "$run/base$i/$name"
    done < "$run/pairs"
  done
  # The donors' files as the export read them (just restored, so in the page cache for both).
  rm -rf "$run"/saved-data; mkdir -p "$run/saved-data"
  tar -C "$run/saved-data" -xf "$run/saved.tar"
  sync
  t0=$(now)
  for i in 0 1 2 3; do cat "$run"/saved-data/m$i/h$i/coll.main.*/*.dat > /dev/null; done
  while read -r i j name bytes; do
    inns "$i" rsync -a --fsync -e "$S" "$run/base$i/$name" "$(ipof "$j"):$(wdof "$j")/shardtool/base-$i-$name" ||
      fail "baseline rsync to host $j"
  done < "$run/pairs"
  t_base=$(calc "$(now) - $t0")
  rm -rf "$run"/base? "$run/saved-data"
  printf 'run %d: %s bytes moved; reshard data path %.2f s (export %.2f s) = %.1f MB/s; baseline %.2f s = %.1f MB/s; ratio %.2f\n' \
    "$r" "$moved" "$t_path" "$t_export" "$(calc "$moved / $t_path / 1e6")" "$t_base" "$(calc "$moved / $t_base / 1e6")" \
    "$(calc "$t_base / $t_path")"
  results+=("$(calc "$t_base / $t_path") $(calc "$moved / $t_path / 1e6") $(calc "$moved / $t_base / 1e6")")
done
med=$(printf '%s\n' "${results[@]}" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
read -r ratio ours base <<< "$med"
printf 'reshard_bench: %s docs, 2 -> 3 shards; median of %d: reshard data path %.1f MB/s, baseline %.1f MB/s, ratio %.2f (target >= 0.5)\n' \
  "$CLUSTER_DOCS" "$runs" "$ours" "$base" "$ratio"
for kind in export ingest; do
  printf 'reshard_bench: peak RSS of one %s command on a host: %.1f MiB (max over all runs and hosts)\n' \
    "$kind" "$(sort -n "$run/rss.$kind" | tail -1 | awk '{ print $1 / 1024 }')"
done
