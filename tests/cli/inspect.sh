#!/usr/bin/env bash
# Black-box checks of the built binaries: shardtool-gen writes a cluster, shardtool inspect reads
# it back; exit codes and JSON fields.   inspect.sh <shardtool> <shardtool-gen> <golden-dir>
set -euo pipefail
st=$1 gen=$2 golden=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$gen" --out "$work/c" --shards 2 --mirrors 1 --docs 400 --files 2 --seed 7 >/dev/null
[ -f "$work/c/hosts.conf" ] || fail "no hosts.conf"
[ -f "$work/c/host3/coll.main.0/posdb0003.dat" ] || fail "no posdb0003.dat on host3"
# Mirrors hold identical bytes.
cmp -s "$work/c/host0/coll.main.0/posdb0001.dat" "$work/c/host2/coll.main.0/posdb0001.dat" || fail "mirror differs"
cmp -s "$work/c/host0/coll.main.0/posdb0001.map" "$work/c/host2/coll.main.0/posdb0001.map" || fail "mirror map differs"

# The map's record counts equal the generator's manifest.
want=$(python3 -c "
import json; m=json.load(open('$work/c/gen-manifest.json'))
print([f['records'] for f in m['files'] if f['host']==1 and f['file'].endswith('titledb0001-000.dat')][0])")
got=$("$st" --workdir "$work/c/host1" --json inspect file coll.main.0/titledb0001-000.dat | jq_py "d['map']['positive']+d['map']['negative']")
[ "$want" = "$got" ] || fail "titledb record count $got, manifest says $want"

# Every record listed, in order, and the count matches the map.
n=$("$st" --workdir "$work/c/host1" --json inspect records coll.main.0/posdb0003.dat | jq_py "len(d['records'])")
m=$("$st" --workdir "$work/c/host1" --json inspect map coll.main.0/posdb0003.map | jq_py "d['positive']+d['negative']")
[ "$n" = "$m" ] || fail "records $n != map $m"

# inspect db / catalog / key after init: totals agree with the generator's manifest, the first
# titledb record of a file is found by its docId at its offset.
"$st" --workdir "$work/c/host1" --quiet init --hosts ../hosts.conf --host-id 1
want=$(python3 -c "
import json; m=json.load(open('$work/c/gen-manifest.json'))
print(sum(f['records'] for f in m['files'] if f['host']==1))")
got=$("$st" --workdir "$work/c/host1" --json inspect db main | jq_py "d['totals']['records']")
[ "$want" = "$got" ] || fail "inspect db totals $got, manifest says $want"
[ "$("$st" --workdir "$work/c/host1" --json inspect catalog | jq_py "d['cluster']['num_shards']")" = 2 ] || fail "inspect catalog num_shards"
docid=$("$st" --workdir "$work/c/host1" --json inspect records coll.main.0/titledb0003-000.dat --limit 1 | jq_py "d['records'][0]['fields']['docid']")
off=$("$st" --workdir "$work/c/host1" --json inspect key main --rdb titledb --docid "$docid" | \
      jq_py "[v['offset'] for v in d['keys'][0]['versions'] if v['file']=='coll.main.0/titledb0003-000.dat'][0]")
[ "$off" = 0 ] || fail "inspect key: offset $off"
"$st" --workdir "$work/c/host1" inspect key main --rdb titledb --docid "$docid" --payload 20 | grep -q "page from" || fail "inspect key --payload text"

# Text output works and exit codes follow the contract.
"$st" --workdir "$work/c/host1" inspect file coll.main.0/indexdb0001.dat | grep -q "records" || fail "text output"
set +e
"$st" inspect file "$work/nosuch/posdb0001.dat" 2>/dev/null; [ $? -eq 3 ] || fail "missing file should exit 3"
"$st" inspect 2>/dev/null; [ $? -eq 2 ] || fail "no subcommand should exit 2"
"$st" --workdir "$work/c/host0" inspect db main 2>/dev/null; [ $? -eq 3 ] || fail "inspect db without a catalog should exit 3"
"$st" --workdir "$work/c/host1" inspect db nosuch 2>/dev/null; [ $? -eq 3 ] || fail "inspect db of an unknown database should exit 3"
# A truncated copy: decoding stops with a located Corruption (exit 8), the source untouched.
cp "$work/c/host1/coll.main.0/titledb0001-000.dat" "$work/t.dat"
mkdir -p "$work/trunc" && head -c 5000 "$work/t.dat" > "$work/trunc/titledb0001-000.dat"
sum_before=$(md5sum "$work/trunc/titledb0001-000.dat")
"$st" inspect records "$work/trunc/titledb0001-000.dat" >/dev/null 2>"$work/err"; code=$?
[ $code -eq 8 ] || fail "truncated file should exit 8, got $code"
grep -q "offset" "$work/err" || fail "error should name the offset: $(cat "$work/err")"
grep -q "(L2)" "$work/err" || fail "error should name rule L2: $(cat "$work/err")"
[ "$sum_before" = "$(md5sum "$work/trunc/titledb0001-000.dat")" ] || fail "source modified"
set -e
echo "inspect.sh: all checks passed"
