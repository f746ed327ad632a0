#!/usr/bin/env bash
# Installs what is missing, builds shardtool, writes a sample 4-shard cluster (each shard on 2
# hosts: num-mirrors 1) with shardtool-gen, and looks at it with `shardtool inspect`.
#   DEMO_DIR=path   where the sample cluster goes (default: build/demo)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh
echo "== building (Release)"
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -- shardtool shardtool-gen >/dev/null
bin=build/release/tools
demo=${DEMO_DIR:-build/demo}
rm -rf "$demo"

run() { echo; echo "\$ $*"; "$@"; }

echo "== writing a sample cluster: 4 shards x 2 hosts, 3 files per Rdb, host 1 with planted misplaced records"
run "$bin/shardtool-gen" --out "$demo" --shards 4 --mirrors 1 --docs 3000 --files 3 \
    --misplace-host 1 --misplace-rate 0.002
run cat "$demo/hosts.conf"
host0="$demo/host0"
run ls -l "$host0/coll.main.0"
run "$bin/shardtool" --workdir "$host0" inspect file coll.main.0/posdb0001.dat
run "$bin/shardtool" --workdir "$host0" inspect map coll.main.0/titledb0001.map --pages
run "$bin/shardtool" --workdir "$host0" inspect records coll.main.0/posdb0003.dat --limit 8
run "$bin/shardtool" --workdir "$host0" inspect records coll.main.0/titledb0005-000.dat --limit 5
run "$bin/shardtool" --workdir "$host0" --json inspect records coll.main.0/clusterdb0001.dat --limit 2
echo
echo "== shardtool init on every host (the catalog: 4 shards, Gigablast's slot map)"
for h in 0 1 2 3 4 5 6 7; do
  "$bin/shardtool" --workdir "$demo/host$h" --quiet init --hosts ../hosts.conf --host-id $h
done
run "$bin/shardtool" --workdir "$host0" catalog show
echo
echo "== verify: host 0 is clean (exit 0)"
run "$bin/shardtool" --workdir "$host0" verify main
echo
echo "== verify: host 1 holds planted misplaced records (exit 1, counted per owning shard)"
set +e
run "$bin/shardtool" --workdir "$demo/host1" verify main --report-limit 3
echo "exit status: $?"
set -e
echo
echo "== import: a foreign cluster's titledb files, routed to the owning shards (every mirror), exactly once"
"$bin/shardtool-gen" --out "$demo-foreign" --shards 1 --mirrors 0 --docs 500 --files 2 \
    --rdbs titledb --seed 42 >/dev/null
run "$bin/shardtool" --workdir "$host0" import --dir "$demo-foreign/host0/coll.main.0" --db main
run "$bin/shardtool" --workdir "$host0" import --dir "$demo-foreign/host0/coll.main.0" --db main
echo
echo "== the sample cluster is in $demo (hosts.conf, host0..host7, gen-manifest.json)"
