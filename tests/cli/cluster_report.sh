#!/usr/bin/env bash
# The mirror comparison of deploy/ansible/files/shardtool_report.py (what verify.yml fails on) on the
# real `verify --digest --json` documents of two mirrors of one shard (no Ansible, no SSH):
# clean mirrors agree; a mirror that lost one record (`shardtool-gen drop-record`: a byte-correct
# file, verify clean there) disagrees on that collection only; a mirror with a file cut short has an
# incomplete digest, which claims neither agreement nor disagreement ("agree": null) and is named.
#   cluster_report.sh <shardtool> <shardtool-gen>
set -uo pipefail
st=$1
gen=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
report=$here/deploy/ansible/files/shardtool_report.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: no jq"; exit 0; }

"$gen" --out "$work/c" --shards 1 --mirrors 1 --docs 150 --files 3 --words 20 --page-bytes 1500 \
  --rdbs posdb,titledb > "$work/gen.log" 2>&1 || fail "shardtool-gen: $(cat "$work/gen.log")"
for h in 0 1; do
  "$st" --workdir "$work/c/host$h" init --hosts "$work/c/hosts.conf" --host-id "$h" > /dev/null 2>&1 ||
    fail "init host$h"
done
# run_report <name>: both hosts' verify --digest --json, then the report; sets $rc, writes
# $work/<name>/verify.json and $work/<name>.out.
run_report() {
  local name=$1 h
  local hosts=()
  for h in 0 1; do
    "$st" --workdir "$work/c/host$h" --json --progress never verify main --digest > "$work/$name.$h.json"
    local code=$?
    hosts+=("$(jq -n --arg out "$(cat "$work/$name.$h.json")" --argjson id "$h" --argjson rc "$code" \
      '{name: ("host" + ($id | tostring)), host_id: $id, shard: 0, mirror: $id, reached: true, rc: $rc, stdout: $out}')")
  done
  printf '%s\n' "${hosts[@]}" | jq -s '{hosts: .}' > "$work/$name.hosts.json"
  python3 "$report" verify "$work/$name" "$work/$name.hosts.json" > "$work/$name.out" 2>&1
  rc=$?
}

run_report clean
[ "$rc" -eq 0 ] || fail "clean mirrors: $(cat "$work/clean.out")"
jq -e '(.mirrors | length) == 2 and all(.mirrors[]; .agree == true)' "$work/clean/verify.json" >/dev/null ||
  fail "clean mirrors do not agree: $(jq -c .mirrors "$work/clean/verify.json")"

coll=$(cd "$work/c/host1" && ls -d coll.main.*)
last=$(cd "$work/c/host1/$coll" && ls posdb*.dat | sort | tail -1)
"$gen" drop-record "$work/c/host1/$coll/$last" > "$work/drop.json" || fail "drop-record"
run_report lost
[ "$rc" -eq 1 ] || fail "a mirror that lost a record passed: $(cat "$work/lost.out")"
jq -e 'all(.hosts[]; .exit == 0)' "$work/lost/verify.json" >/dev/null ||
  fail "verify is not clean on the mirror with the rewritten file: $(cat "$work/lost.1.json" | head -c 2000)"
jq -e '[.mirrors[] | select(.agree != true) | [.collection, .agree]] == [["main.posdb", false]]' \
  "$work/lost/verify.json" >/dev/null || fail "lost record: $(jq -c .mirrors "$work/lost/verify.json")"
jq -e '.mirrors[] | select(.collection == "main.posdb") | .records["1"] == .records["0"] - 1' \
  "$work/lost/verify.json" >/dev/null || fail "host1 has not one visible record less: $(jq -c .mirrors "$work/lost/verify.json")"
grep -q "shard 0: mirrors disagree on main.posdb" "$work/lost.out" || fail "report: $(cat "$work/lost.out")"

# The file cut short (3 bytes): verify exits 1 (its findings), the digest is incomplete.
truncate -s -3 "$work/c/host1/$coll/$last"
run_report cut
[ "$rc" -eq 1 ] || fail "a cut file passed: $(cat "$work/cut.out")"
jq -e '.digests[] | select(.collection == "main.posdb") | .complete == false and .digest == null' \
  "$work/cut.1.json" >/dev/null || fail "the digest of the cut file's collection: $(jq -c .digests "$work/cut.1.json")"
jq -e '[.mirrors[] | select(.agree != true) | [.collection, .agree]] == [["main.posdb", null]]' \
  "$work/cut/verify.json" >/dev/null || fail "incomplete digest compared: $(jq -c .mirrors "$work/cut/verify.json")"
grep -q "host1 (id 1, shard 0): digest of main.posdb incomplete, mirrors not compared: .*$last" "$work/cut.out" ||
  fail "report: $(cat "$work/cut.out")"
grep -q "mirrors disagree" "$work/cut.out" && fail "an incomplete digest claims disagreement: $(cat "$work/cut.out")"
echo "ok"
