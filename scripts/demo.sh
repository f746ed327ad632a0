#!/usr/bin/env bash
# The whole story on a sample cluster, in a few minutes: build, write a cluster of 2 shards x 2 hosts
# with shardtool-gen, init, inspect, verify (clean, and with planted misplaced records), merge,
# reshard to 4 shards with orphan cleanup into bundles and their ingest on the new owners, import
# of another cluster's titledb files, inspect again, and a verify of every host that ends clean.
#   DEMO_DIR=path   where the clusters go (default: build/demo)
#   DEMO_BUILD=0    use the binaries already built in build/release
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ "${DEMO_BUILD:-1}" != 0 ]; then
  scripts/setup.sh
  echo "== building (Release)"
  scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -- shardtool shardtool-gen >/dev/null
fi
bin=$here/build/release/tools
demo=${DEMO_DIR:-build/demo}
rm -rf "$demo"
mkdir -p "$demo"
demo=$(cd "$demo" && pwd)
st() { "$bin/shardtool" "$@"; }

step() { echo; echo "======== $*"; }
run() { echo; echo "\$ shardtool ${*}"; st "$@"; }
# Runs a command that must exit with status $1.
expect() {
  local want=$1; shift
  echo; echo "\$ shardtool ${*}    # expect exit $want"
  set +e; st "$@"; local got=$?; set -e
  echo "(exit status $got)"
  if [ "$got" != "$want" ]; then echo "demo: expected exit $want, got $got" >&2; exit 1; fi
}
py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

step "a sample cluster: 2 shards x 2 hosts (num-mirrors 1), titledb, posdb, indexdb, clusterdb, 3 files each"
"$bin/shardtool-gen" --out "$demo/c" --shards 2 --mirrors 1 --docs 2000 --files 3 --words 60 \
  --page-bytes 4000 --seed 1
cat "$demo/c/hosts.conf"
h0=$demo/c/host0 h1=$demo/c/host1

step "init: every host gets shardtool/catalog.json (Gigablast's map: slot i to shard i % 2)"
for h in 0 1 2 3; do st --workdir "$demo/c/host$h" --quiet init --hosts ../hosts.conf --host-id $h; done
run --workdir "$h0" inspect catalog
run --workdir "$h0" inspect db main

step "look inside one file, its map and its records"
run --workdir "$h0" inspect file coll.main.0/posdb0001.dat
run --workdir "$h0" inspect records coll.main.0/titledb0003-000.dat --limit 5

step "verify host 0: clean (exit 0)"
expect 0 --workdir "$h0" verify main

step "verify a copy of host 1 with records of shard 0 planted in it (exit 1, each counted and located)"
"$bin/shardtool-gen" --out "$demo/planted" --shards 2 --mirrors 1 --docs 2000 --files 3 --words 60 \
  --page-bytes 4000 --seed 1 --misplace-host 1 --misplace-rate 0.003 >/dev/null
st --workdir "$demo/planted/host1" --quiet init --hosts ../hosts.conf --host-id 1
expect 1 --workdir "$demo/planted/host1" verify main --rdb titledb --report-limit 3
key=$(st --workdir "$demo/planted/host1" --json verify main --rdb titledb | \
      py "print(next(m['key'] for f in d['files'] for m in f['misplaced_sample']))" || true)
if [ -n "$key" ]; then
  step "inspect key: where the first misplaced titledb record belongs, and what a reader sees"
  run --workdir "$demo/planted/host1" inspect key main --rdb titledb "$key" --payload 160
fi

step "merge posdb files 1 and 3 on host 0 as Gigablast would, then inspect the database again"
run --workdir "$h0" merge main --rdb posdb --files 1,3
run --workdir "$h0" inspect db main
expect 0 --workdir "$h0" verify main --rdb posdb

step "a view: titledb keys in a range, as a reader sees them (newest version wins)"
lo=$(st --workdir "$h0" --json inspect records coll.main.0/titledb0001-000.dat --limit 40 | \
     py "print(d['records'][10]['key'])")
hi=$(st --workdir "$h0" --json inspect records coll.main.0/titledb0001-000.dat --limit 40 | \
     py "print(d['records'][30]['key'])")
for h in 0 1 2 3; do
  st --workdir "$demo/c/host$h" --quiet catalog create-view main.recent --on main.titledb \
     --min "$lo" --max "$hi"
done
run --workdir "$h0" inspect records --view main.recent --limit 8

step "reshard to 4 shards (num-mirrors 0: hosts 2 and 3 become shards 2 and 3) on every host"
sed 's/^num-mirrors: 1/num-mirrors: 0/' "$demo/c/hosts.conf" > "$demo/c/hosts4.conf"
for h in 0 1 2 3; do
  st --workdir "$demo/c/host$h" --quiet catalog reshard --hosts ../hosts4.conf --orphan-delay 0
done
run --workdir "$h0" inspect catalog
echo; echo "verify now finds the records of slots host 0 gave away (exit 1):"
expect 1 --workdir "$h0" --quiet verify main --report-limit 0

step "orphan cleanup: every host merges each Rdb, moving records it no longer owns into bundles"
for h in 0 1 2 3; do
  for r in titledb posdb indexdb clusterdb; do
    st --workdir "$demo/c/host$h" --quiet merge main --rdb $r --all --orphans-to "$demo/bundles/host$h"
  done
done
ls "$demo/bundles/host0"
run --workdir "$h0" inspect db main
step "ingest: each bundle goes to the host of its target shard (host i is shard i now)"
for b in "$demo"/bundles/host*/*/; do
  shard=$(py "print(d['target_shard'])" < "$b/manifest.json")
  run --workdir "$demo/c/host$shard" ingest "$b"
done

step "import: another cluster's titledb files, routed to their owners on every local host"
"$bin/shardtool-gen" --out "$demo/foreign" --shards 1 --mirrors 0 --docs 500 --files 2 \
  --rdbs titledb --page-bytes 3000 --seed 99 >/dev/null
run --workdir "$h0" import --dir "$demo/foreign/host0/coll.main.0" --db main --dry-run
run --workdir "$h0" import --dir "$demo/foreign/host0/coll.main.0" --db main
run --workdir "$h0" import --dir "$demo/foreign/host0/coll.main.0" --db main   # a rerun: nothing to do

step "the end: inspect, and a verify of every host that is clean"
run --workdir "$h1" inspect db main
for h in 0 1 2 3; do
  expect 0 --workdir "$demo/c/host$h" --quiet verify main
done
echo
echo "== done: the cluster is in $demo/c (hosts.conf, hosts4.conf, host0..host3), bundles in $demo/bundles"
