# shellcheck shell=bash disable=SC2034  # rc, ship_ssh and the helpers are for the sourcing script
# The common part of the cluster tests that move data (reshard.sh, reshard_back.sh, import.sh):
# sourced as `source tests/cluster/moves.sh <shardtool> <shardtool-gen> <st-check>` after the
# CLUSTER_* options are exported. Brings up the cluster (tests/cluster/lib.sh), checks the
# playbooks' syntax, gives every host the cluster catalog (catalog.yml with --adopt) and defines:
#   ship_ssh                     -e for ship.yml: host-to-host ssh with the run's client key
#   reshard <log> <hosts.conf> [args]   reshard.yml to that hosts.conf, orphan delay 0
#   visible <host> [rdbs]        "<rdb> <key> <crc>" of the host's visible records, sorted
#   union <hosts> [rdbs]         the union over hosts 0..hosts-1, sorted, unique
#   check_layout <hosts> <shards> <want file> [rdbs]
#                                the union equals <want file>; the two mirrors of each shard (host
#                                s and s+shards) see the same records; no record is visible on two
#                                shards; no bundle is left in an outbox or inbox
#   data_sums <hosts>            checksums of every data file and catalog of hosts 0..hosts-1
# Records are read with st-check (format layer only, none of the jobs' code): what a reader of
# each host's files sees.
set -uo pipefail
st=$(realpath "$1")
gen=$(realpath "$2")
st_check=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
play=$here/deploy/ansible
start=$(date +%s)
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { echo "-- $(( $(date +%s) - start )) s: $*"; }
export CLUSTER_PRIVATE_DIRS=1 CLUSTER_RDBS=titledb,posdb CLUSTER_DOCS=${CLUSTER_DOCS:-300}
export CLUSTER_TIME_LIMIT=${CLUSTER_TIME_LIMIT:-280}
# shellcheck source=tests/cluster/lib.sh
source "$here/tests/cluster/lib.sh"
command -v rsync >/dev/null || fail "rsync is missing: scripts/setup.sh installs it"
# ship_ssh as JSON (a key=value -e would split it at the spaces).
ship_ssh=$(jq -cn --arg s "ssh -i $run/ssh/client -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR" '{ship_ssh: $s}')

step "syntax; one cluster catalog"
for pb in reshard.yml import.yml ship.yml repair.yml; do
  ansible-playbook -i "$play/inventory.sh" --syntax-check "$play/$pb" > "$run/syntax.log" 2>&1 ||
    fail "syntax of $pb: $(cat "$run/syntax.log")"
done
ap catalog catalog.yml -e catalog_adopt=true
[ "$rc" -eq 0 ] || { show catalog; fail "catalog.yml exited $rc"; }
reshard() {
  local log=$1 to=$2; shift 2
  ap "$log" reshard.yml -e "reshard_hosts=$to" -e reshard_orphan_delay=0 -e "$ship_ssh" "$@"
}
MOVE_RDBS=${MOVE_RDBS:-titledb posdb}
visible() {
  local h=$1 r dir
  dir=$(echo "$run/h$h"/coll.main.*)
  for r in ${2:-$MOVE_RDBS}; do
    if [ -d "$dir" ]; then
      "$st_check" visible "$dir" "$r" | sed "s/^/$r /" || fail "st-check visible host $h $r"
    fi
  done | sort
}
union() {
  local i
  for i in $(seq 0 $(( $1 - 1 ))); do visible "$i" "${2:-}"; done | sort -u
}
check_layout() {
  local hosts=$1 shards=$2 want=$3 s a b total=0 n
  union "$hosts" "${4:-}" > "$run/union.now"
  diff -q "$want" "$run/union.now" >/dev/null ||
    fail "the union of visible records changed: $(diff "$want" "$run/union.now" | head -5) ($(wc -l < "$want") -> $(wc -l < "$run/union.now") records)"
  for s in $(seq 0 $(( shards - 1 ))); do
    visible "$s" "${4:-}" > "$run/vis.a"
    visible $(( s + shards )) "${4:-}" > "$run/vis.b"
    a=$(wc -l < "$run/vis.a"); b=$(wc -l < "$run/vis.b")
    diff -q "$run/vis.a" "$run/vis.b" >/dev/null ||
      fail "shard $s: host $s ($a records) and host $(( s + shards )) ($b records) differ: $(diff "$run/vis.a" "$run/vis.b" | head -3)"
    [ "$a" -gt 0 ] || fail "shard $s holds no records"
    total=$(( total + a ))
  done
  n=$(wc -l < "$run/union.now")
  [ "$total" -eq "$n" ] || fail "$total records on the shards but $n distinct: a record is on two shards"
  for s in $(seq 0 $(( hosts - 1 ))); do
    for d in outbox inbox; do
      # (dot entries are the import's own working dirs, never shipped)
      [ -z "$(ls "$run/h$s/shardtool/$d" 2>/dev/null)" ] ||
        fail "host $s: bundles left in its $d: $(ls "$run/h$s/shardtool/$d")"
    done
  done
}
data_sums() {
  local i
  for i in $(seq 0 $(( $1 - 1 ))); do
    (cd "$run/h$i" && find coll.* shardtool/catalog.json -type f 2>/dev/null | sort | xargs -r md5sum)
  done
}
