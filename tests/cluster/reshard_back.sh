#!/usr/bin/env bash
# reshard.yml twice on one namespace test cluster (tests/cluster/lib.sh) with titledb and posdb
# data, each host seeing only its own working dir: 2 shards x 2 mirrors -> 3 x 2 (the two spare
# hosts join), then back to 2 x 2, the second reshard with failures: hosts 4 and 5 leave (they
# export all their records: for slots whose new shard holds their old shard's other host, they
# hold the only other copy), hosts 2 and 3 change shard twice. During the second play host1 is
# lost (its whole namespace killed while its orphan export is paused at a test point) and host2's
# ingest is killed (kill -9 at a test point): the play fails naming them; host1 returns; the
# rerun completes: the union of visible records is the one before the first reshard, the mirrors
# of each shard see the same records, no record is on two shards, no bundle is left, the cluster
# verify is clean. (The first reshard's own checks and its no-op rerun: reshard.sh.)
# Needs root and network namespaces (exit 77 otherwise).
#   reshard_back.sh <shardtool> <shardtool-gen> <st-check>
export CLUSTER_SPARES=2 CLUSTER_TIME_LIMIT=${CLUSTER_TIME_LIMIT:-440}
# shellcheck source=tests/cluster/moves.sh
source "$(dirname "$0")/moves.sh" "$@"
union 4 > "$run/want"
[ "$(wc -l < "$run/want")" -gt 1000 ] || fail "too few records to move: $(wc -l < "$run/want")"
write_hosts_conf "$run/hosts3.conf" 6
write_hosts_conf "$run/hosts2.conf" 4

# --- 2 -> 3 shards -------------------------------------------------------------------------------
step "reshard.yml: 2 -> 3 shards"
reshard reshard1 "$run/hosts3.conf"
[ "$rc" -eq 0 ] || { show reshard1; fail "reshard.yml 2 -> 3 exited $rc"; }
check_layout 6 3 "$run/want"
# The cluster is now the one of hosts3.conf: the inventory follows it.
export SHARDTOOL_HOSTS=$run/hosts3.conf

# --- 3 -> 2 shards, host1 lost and host2's ingest killed ------------------------------------------
step "reshard.yml: 3 -> 2 shards, host1 lost mid-export, host2's ingest killed"
echo merge.after_target_sync > "$run/pause-h1"
echo ingest.after_publish > "$run/kill-ingest-h2"
ap_start reshard3 reshard.yml -e "reshard_hosts=$run/hosts2.conf" -e reshard_orphan_delay=0 -e "$ship_ssh"
for _ in $(seq 1 900); do [ -e "$run/paused-h1.reached" ] && break; sleep 0.1; done
[ -e "$run/paused-h1.reached" ] || { show reshard3; fail "host1's orphan export never reached its pause point"; }
kill_host 1
wait "$apid"
rc=$?
[ "$rc" -ne 0 ] || { show reshard3; fail "reshard.yml passed though host1 vanished"; }
grep -q "ingest to be killed at ingest.after_publish h2" "$run/kills.log" 2>/dev/null ||
  { show reshard3; fail "host2's ingest was not killed (nothing shipped to it while host1 was away?)"; }
jq -e '.problems | any(test("host1")) and any(test("host2"))' "$reports/reshard.json" >/dev/null ||
  fail "reshard.json names neither host1 nor host2: $(jq -c .problems "$reports/reshard.json")"
start_sshd 1; wait_sshd 1
step "reshard.yml rerun"
reshard reshard4 "$run/hosts2.conf"
[ "$rc" -eq 0 ] || { show reshard4; fail "reshard.yml rerun after host1 returned exited $rc"; }
jq -e '.problems == [] and .ship.pending == 0 and .leaving == ["host4", "host5"]' "$reports/reshard.json" >/dev/null ||
  fail "reshard.json after the rerun: $(cat "$reports/reshard.json")"
jq -e '.exit == 0 and (.hosts | length == 4) and all(.mirrors[]; .agree)' "$reports/verify.json" >/dev/null ||
  fail "verify.json after 3 -> 2: $(head -c 2000 "$reports/verify.json")"
check_layout 4 2 "$run/want"
step "all passed"
