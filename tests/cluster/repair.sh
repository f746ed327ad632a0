#!/usr/bin/env bash
# repair.yml end to end on the namespace test cluster (tests/cluster/lib.sh, 2 shards x 2 mirrors,
# each host seeing only its own working dir) with titledb and posdb data. Records no host of their
# owner shard has are planted on two hosts of the other shard (host0 and host2, the same records
# on both: mirrors that misplaced the same records) and other records on host3 (shard 1) that
# belong to shard 0. The first run has host3 down and host0's repair killed (kill -9 at a merge
# test point after its bundles were committed): it fails naming both; host2's bundles reach host1
# only. The rerun, host3 back, finishes: each planted record is visible on both hosts of its
# owner shard, stored there once (the second mirror's copy was dropped by ingest), and nowhere
# else; the mirrors of each shard see the same records; no bundle is left; verify.yml is clean.
# A third run changes nothing.
# Needs root and network namespaces (exit 77 otherwise).
#   repair.sh <shardtool> <shardtool-gen> <st-check>
# shellcheck source=tests/cluster/moves.sh
source "$(dirname "$0")/moves.sh" "$@"

step "plant misplaced records"
"$gen" --out "$run/planted" --shards 2 --mirrors 1 --docs 300 --files 1 --rdbs titledb,posdb \
  --negatives 0 --seed 91 >/dev/null || fail "shardtool-gen of the planted records"
coll=$(basename "$(echo "$run"/h0/coll.main.*)")
# plant <from host of the planted cluster> <to host>: its files, as file id 41 of the host.
plant() {
  local from=$run/planted/host$1/coll.main.0 to=$run/h$2/$coll f
  for f in "$from"/posdb0001.* "$from"/titledb0001*; do
    cp "$f" "$to/$(basename "$f" | sed 's/0001/0041/')" || fail "cp $f"
  done
}
union 4 > "$run/before"
# What arrives: the planted cluster's shard-1 records (host1) and shard-0 records (host0).
for p in 0 1; do
  for r in $MOVE_RDBS; do
    "$st_check" visible "$run/planted/host$p/coll.main.0" "$r" | sed "s/^/$r /"
  done
done | sort > "$run/planted.all"
sort -u "$run/before" "$run/planted.all" > "$run/want"
[ "$(wc -l < "$run/want")" -eq $(( $(wc -l < "$run/before") + $(wc -l < "$run/planted.all") )) ] ||
  fail "the planted records share keys with the cluster: pick another seed"
plant 1 0
plant 1 2
plant 0 3
ap verify0 verify.yml
[ "$rc" -ne 0 ] || { show verify0; fail "verify.yml passed with planted records"; }
jq -e '[.hosts[] | select(.exit != 0) | .host_id] == [0, 2, 3]' "$reports/verify.json" >/dev/null ||
  fail "verify.json with planted records: $(jq -c '[.hosts[] | {host_id, exit}]' "$reports/verify.json")"

step "repair.yml with host3 down and host0's repair killed after its bundles were committed"
kill_host 3
echo merge.after_bundles_commit > "$run/kill-misplaced-h0"
ap repair1 repair.yml -e "$ship_ssh"
[ "$rc" -ne 0 ] || { show repair1; fail "repair.yml passed with host3 down"; }
[ ! -e "$run/kill-misplaced-h0" ] || fail "host0 ran no repair misplaced"
jq -e '(.hosts[] | select(.host_id == 0) | .repair_exit) == 137 or (.hosts[] | select(.host_id == 0) | .repair_exit) == -9' \
  "$reports/repair.json" >/dev/null || fail "host0's repair was not killed: $(jq -c '[.hosts[] | {host_id, repair_exit}]' "$reports/repair.json")"
jq -e '.problems | any(test("host3 .*unreachable")) and any(test("host0 .*repair misplaced exit"))' "$reports/repair.json" >/dev/null ||
  fail "repair.json does not name host0 and host3: $(jq -c .problems "$reports/repair.json")"
jq -e '(.hosts[] | select(.host_id == 2) | .misplaced) > 0' "$reports/repair.json" >/dev/null ||
  fail "host2 sent nothing home: $(jq -c '.hosts[] | select(.host_id == 2)' "$reports/repair.json")"
# host0's committed bundles wait in its outbox (its merge is unfinished): not shipped yet.
jq -e '[.bundles[] | select(.donor == "host0")] == []' "$reports/ship.json" >/dev/null ||
  fail "a bundle of host0's unfinished repair was shipped: $(head -c 2000 "$reports/ship.json")"
[ -n "$(ls "$run/h0/shardtool/outbox")" ] || fail "host0's outbox is empty after its repair was killed"

step "repair.yml rerun, host3 back"
start_sshd 3; wait_sshd 3
ap repair2 repair.yml -e "$ship_ssh"
[ "$rc" -eq 0 ] || { show repair2; fail "repair.yml rerun exited $rc"; }
jq -e '.problems == [] and .changed and ([.hosts[] | select(.misplaced > 0) | .host_id] | sort == [0, 3])' "$reports/repair.json" >/dev/null ||
  fail "repair.json of the rerun: $(jq -c '{problems, changed, hosts: [.hosts[] | {host_id, misplaced, repair_exit}]}' "$reports/repair.json")"
jq -e '.exit == 0 and all(.mirrors[]; .agree)' "$reports/verify.json" >/dev/null ||
  fail "verify.json after the repair: $(head -c 2000 "$reports/verify.json")"
check_layout 4 2 "$run/want"
# Stored once: on each host, every planted key has at most one record in all its files.
awk '{ print $1 "/" $2 }' "$run/planted.all" | sort > "$run/planted.keys"
for i in 0 1 2 3; do
  for r in $MOVE_RDBS; do
    "$st_check" files "$(echo "$run/h$i"/coll.main.*)" "$r" | awk -v r="$r" '{ print r "/" $2 }'
  done | sort | uniq -d | comm -12 - "$run/planted.keys" | sed "s/^/host $i: /"
done > "$run/dups"
[ ! -s "$run/dups" ] || fail "planted records stored twice: $(head -3 "$run/dups") ($(wc -l < "$run/dups") in all)"

step "repair.yml again: nothing changes"
sums=$(data_sums 4)
ap repair3 repair.yml -e "$ship_ssh"
[ "$rc" -eq 0 ] || { show repair3; fail "repair.yml third run exited $rc"; }
jq -e '.changed == false and .misplaced == 0 and .ship.shipped == 0 and .problems == []' "$reports/repair.json" >/dev/null ||
  fail "the third run changed something: $(jq -c '{changed, misplaced, ship, problems}' "$reports/repair.json")"
[ "$sums" = "$(data_sums 4)" ] || fail "the third run changed files: $(diff <(echo "$sums") <(data_sums 4) | head -5)"
step "all passed"
