#!/usr/bin/env bash
# What orchestration costs: deploy/ansible/verify.yml on the 4-host test cluster of network
# namespaces (tests/cluster/lib.sh: 2 shards x 2 mirrors, each host its own sshd) against the
# slowest host's own `shardtool verify --digest`, run alone on that host. Target (issue 17 §5):
# verify.yml <= 10 s + the slowest host's verify. Needs root and network namespaces.
#   bench/cluster_verify_bench.sh <shardtool> <shardtool-gen> [docs per cluster (default 20000)] [runs (default 3)]
set -uo pipefail
st=$(realpath "$1")
gen=$(realpath "$2")
export CLUSTER_DOCS=${3:-20000}
runs=${4:-3}
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
ap catalog catalog.yml -e catalog_adopt=true
[ "$rc" -eq 0 ] || { show catalog; fail "catalog.yml"; }
ap warm verify.yml   # warms the page cache and Ansible's caches; not timed
[ "$rc" -eq 0 ] || { show warm; fail "verify.yml"; }
best_play="" best_host=""
for r in $(seq 1 "$runs"); do
  slowest=0
  for i in $(seq 0 $((N - 1))); do
    t0=$(now)
    ip netns exec "$(ns "$i")" "$st" --workdir "$run/h$i" --json --progress never verify main --digest >/dev/null ||
      fail "verify on host $i"
    t=$(calc "$(now) - $t0")
    slowest=$(calc "($t > $slowest) ? $t : $slowest")
  done
  t0=$(now)
  ap timed verify.yml
  tp=$(calc "$(now) - $t0")
  [ "$rc" -eq 0 ] || { show timed; fail "verify.yml"; }
  printf 'run %d: slowest host verify %.2f s, verify.yml %.2f s, orchestration %.2f s\n' "$r" "$slowest" "$tp" "$(calc "$tp - $slowest")"
  if [ -z "$best_play" ] || [ "$(calc "($tp < $best_play) ? 1 : 0")" = 1 ]; then best_play=$tp; best_host=$slowest; fi
done
records=$(jq '[.hosts[].report.summary.records] | add' "$reports/verify.json")
bytes=$(jq '[.hosts[].report.summary.bytes] | add' "$reports/verify.json")
printf 'cluster_verify: %d hosts, %s records, %s bytes; best verify.yml %.2f s = slowest host %.2f s + %.2f s (target <= 10 s)\n' \
  "$N" "$records" "$bytes" "$best_play" "$best_host" "$(calc "$best_play - $best_host")"
