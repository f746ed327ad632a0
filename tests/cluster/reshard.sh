#!/usr/bin/env bash
# reshard.yml end to end on the namespace test cluster (tests/cluster/lib.sh) with titledb and
# posdb data, each host seeing only its own working dir (CLUSTER_PRIVATE_DIRS) and two spare hosts:
#   1. 2 shards x 2 mirrors -> 3 shards x 2 mirrors (the spares join; hosts 2 and 3 change shard):
#      the union of visible records is the same before and after, the mirrors of each shard see
#      the same records, no record is on two shards, no bundle is left, the cluster verify is
#      clean (nothing misplaced); a second run changes nothing (no data file, no catalog)
# (3 -> 2 shards with failures: reshard_back.sh.)
# Needs root and network namespaces (exit 77 otherwise).
#   reshard.sh <shardtool> <shardtool-gen> <st-check>
export CLUSTER_SPARES=2
# shellcheck source=tests/cluster/moves.sh
source "$(dirname "$0")/moves.sh" "$@"
union 4 > "$run/want"
[ "$(wc -l < "$run/want")" -gt 1000 ] || fail "too few records to move: $(wc -l < "$run/want")"
write_hosts_conf "$run/hosts3.conf" 6

# --- 2 -> 3 shards -------------------------------------------------------------------------------
step "reshard.yml: 2 -> 3 shards"
reshard reshard1 "$run/hosts3.conf"
[ "$rc" -eq 0 ] || { show reshard1; fail "reshard.yml 2 -> 3 exited $rc"; }
jq -e '.changed == true and .problems == [] and .joining == ["host4", "host5"] and .ship.shipped > 0 and .ship.pending == 0' \
  "$reports/reshard.json" >/dev/null || fail "reshard.json: $(cat "$reports/reshard.json")"
jq -e '.exit == 0 and (.hosts | length == 6) and all(.mirrors[]; .agree)' "$reports/verify.json" >/dev/null ||
  fail "verify.json after 2 -> 3: $(head -c 2000 "$reports/verify.json")"
for i in 0 1 2 3 4 5; do
  jq -e '.cluster.numShards == 3 and .rangeDeletions == []' "$run/h$i/shardtool/catalog.json" >/dev/null ||
    fail "host $i's catalog after 2 -> 3: $(jq -c '{n: .cluster.numShards, rd: .rangeDeletions}' "$run/h$i/shardtool/catalog.json" | head -c 500)"
done
check_layout 6 3 "$run/want"

step "reshard.yml again: nothing changes"
sums=$(data_sums 6)
reshard reshard2 "$run/hosts3.conf"
[ "$rc" -eq 0 ] || { show reshard2; fail "reshard.yml rerun exited $rc"; }
jq -e '.changed == false and .ship.shipped == 0 and .catalog.written == false' "$reports/reshard.json" >/dev/null ||
  fail "the second run changed something: $(cat "$reports/reshard.json")"
[ "$sums" = "$(data_sums 6)" ] || fail "the second run changed files: $(diff <(echo "$sums") <(data_sums 6) | head -5)"

step "all passed"
