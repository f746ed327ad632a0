#!/usr/bin/env bash
# import.yml end to end on the namespace test cluster (tests/cluster/lib.sh, 2 shards x 2
# mirrors, each host seeing only its own working dir): another generated cluster's collection dir
# (titledb and posdb) is imported on host0, which writes its own records directly and stages
# bundles for the hosts it cannot see; ship.yml copies them host to host and ingests them. The
# first run has host1's ingest killed (kill -9 at a test point): it fails, the bundles stay in
# host0's outbox, and the rerun delivers them (the hosts that have them say "already ingested").
# Checked with st-check: the union of visible records is the old one plus the source's (each
# Rdb's positive records, the newest file's version of a key), the mirrors of each shard see the
# same records, no record is on two shards, no bundle is left, verify.yml is clean; a rerun
# imports nothing, ships nothing and changes no file.
# Needs root and network namespaces (exit 77 otherwise).
#   import.sh <shardtool> <shardtool-gen> <st-check>
# shellcheck source=tests/cluster/moves.sh
source "$(dirname "$0")/moves.sh" "$@"

step "a foreign source"
"$gen" --out "$run/foreign" --shards 1 --mirrors 0 --docs 400 --files 2 --rdbs titledb,posdb \
  --seed 77 >/dev/null || fail "shardtool-gen of the source"
src=$(echo "$run"/foreign/host0/coll.main.*)
# What the import adds: every positive record of the source, the newest file's version of a key
# (the import skips negatives, and across its commits the newer file wins).
for r in $MOVE_RDBS; do
  "$st_check" files "$src" "$r" | sort -s -k1,1 |
    awk -v r="$r" '$3 == "+" { v[$2] = $4 } END { for (k in v) print r, k, v[k] }'
done > "$run/source"
[ "$(wc -l < "$run/source")" -gt 500 ] || fail "too few source records: $(wc -l < "$run/source")"
union 4 > "$run/before"
sort -u "$run/before" "$run/source" > "$run/want"
[ "$(wc -l < "$run/want")" -eq $(( $(wc -l < "$run/before") + $(wc -l < "$run/source") )) ] ||
  fail "the source shares keys with the cluster: pick another seed"

step "import.yml with host1's ingest killed"
echo ingest.after_publish > "$run/kill-ingest-h1"
ap import0 import.yml -e "import_dir=$src" -e '{"import_rdbs": ["titledb", "posdb"]}' -e "$ship_ssh"
[ "$rc" -ne 0 ] || { show import0; fail "import.yml passed though host1's ingest was killed"; }
[ ! -e "$run/kill-ingest-h1" ] || fail "host1 ran no ingest"
jq -e '.pending > 0 and ([.bundles[] | select(.done | not) | .states.host1] | all(test("ingest exit")))' \
  "$reports/ship.json" >/dev/null || fail "ship.json with host1's ingest killed: $(head -c 3000 "$reports/ship.json")"
step "import.yml rerun"
ap import1 import.yml -e "import_dir=$src" -e '{"import_rdbs": ["titledb", "posdb"]}' -e "$ship_ssh"
[ "$rc" -eq 0 ] || { show import1; fail "import.yml rerun exited $rc"; }
jq -e '.exit == 0 and (.rdbs | length == 2) and all(.rdbs[]; .report.nothing_to_do == true)' "$reports/import.json" >/dev/null ||
  fail "import.json of the rerun (the import was done): $(head -c 2000 "$reports/import.json")"
# host0 sees only its own working dir: shard 1 (hosts 1, 3) and host2 of shard 0 get bundles;
# host3 and host2 have them already ("already ingested").
jq -e '.ok and .pending == 0 and .shipped >= 2 and all(.bundles[]; .donor == "host0")
       and ([.bundles[] | select(.target_shard == 0) | .targets] | all(. == ["host2"]))
       and ([.bundles[] | select(.target_shard == 1) | .targets] | all(. == ["host1", "host3"]))' \
  "$reports/ship.json" >/dev/null || fail "ship.json: $(head -c 3000 "$reports/ship.json")"
check_layout 4 2 "$run/want"
ap verify verify.yml
[ "$rc" -eq 0 ] || { show verify; fail "verify.yml after the import exited $rc"; }

step "import.yml again: nothing to do"
sums=$(data_sums 4)
ap import2 import.yml -e "import_dir=$src" -e '{"import_rdbs": ["titledb", "posdb"]}' -e "$ship_ssh"
[ "$rc" -eq 0 ] || { show import2; fail "import.yml rerun exited $rc"; }
jq -e 'all(.rdbs[]; .exit == 0 and .report.nothing_to_do == true)' "$reports/import.json" >/dev/null ||
  fail "the rerun imported again: $(head -c 2000 "$reports/import.json")"
jq -e '.shipped == 0 and .pending == 0' "$reports/ship.json" >/dev/null || fail "the rerun shipped: $(cat "$reports/ship.json")"
[ "$sums" = "$(data_sums 4)" ] || fail "the rerun changed files: $(diff <(echo "$sums") <(data_sums 4) | head -5)"
step "all passed"
