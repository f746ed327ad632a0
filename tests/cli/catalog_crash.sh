#!/usr/bin/env bash
# SR45 through the built binary: `init` twice gives a byte-identical catalog, and a kill -9 at each
# catalog-write test point (SHARDTOOL_TEST_KILL_AT) leaves the old or the new catalog, valid, with
# catalogVersion never lower; the rerun completes the change and removes the dead writer's
# temporary.   catalog_crash.sh <shardtool> <shardtool-gen> <golden-dir>
set -euo pipefail
st=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
w=$work/host0
cat_json=$w/shardtool/catalog.json

# Fixture F's layout; discovery needs only the data file names.
mkdir -p "$w/coll.main.0"
{
  echo "num-mirrors: 1"
  for i in 0 1 2 3; do echo "$i 500$i 700$i 800$i 900$i 10.0.0.$((i+1)) 10.0.0.$((i+1)) $work/host$i"; done
} > "$w/hosts.conf"
for f in titledb0001-000.dat titledb0003-000.dat posdb0001.dat doledb0001.dat; do
  echo data > "$w/coll.main.0/$f"
done

version() {
  "$st" --workdir "$w" --json catalog show |
    python3 -c "import json,sys; print(json.load(sys.stdin)['catalogVersion'])"
}
tmp_count() { find "$w/shardtool" -maxdepth 1 -name 'catalog.json.tmp.*' | wc -l; }

# init twice: byte-identical, not even rewritten.
"$st" --workdir "$w" init --host-id 0 >/dev/null || fail "init"
cp "$cat_json" "$work/first.json"
inode=$(stat -c %i "$cat_json")
"$st" --workdir "$w" init --host-id 0 >/dev/null || fail "second init"
cmp -s "$cat_json" "$work/first.json" || fail "second init changed the catalog"
[ "$(stat -c %i "$cat_json")" = "$inode" ] || fail "second init replaced the file"
[ "$(version)" = 1 ] || fail "version after two inits: $(version)"

# kill -9 at each test point of a catalog rewrite.
slot=0
for point in catalog.after_tmp_write catalog.before_rename catalog.after_rename; do
  old=$(version)
  set +e
  # (in a group so that bash's "Killed" notice goes to /dev/null too)
  { SHARDTOOL_TEST_KILL_AT=$point "$st" --workdir "$w" catalog move-slots --slots $slot \
      --to-shard 1; } >/dev/null 2>&1
  code=$?
  set -e
  [ $code -eq 137 ] || fail "$point: expected death by SIGKILL (137), got $code"
  now=$(version) || fail "$point: catalog unreadable after kill -9"
  case $point in
    catalog.after_rename) [ "$now" = $((old + 1)) ] || fail "$point: version $now, want $((old + 1))" ;;
    *) [ "$now" = "$old" ] || fail "$point: version $now, want $old" ;;
  esac
  if [ $point != catalog.after_rename ]; then
    [ "$(tmp_count)" -ge 1 ] || fail "$point: the dead writer's temporary should still be there"
  fi
  "$st" --workdir "$w" catalog move-slots --slots $slot --to-shard 1 >/dev/null ||
    fail "$point: rerun failed"
  [ "$(version)" = $((old + 1)) ] || fail "$point: version after rerun $(version)"
  [ "$(tmp_count)" -eq 0 ] || fail "$point: temporary left after the rerun"
  slot=$((slot + 2))
done

# init killed before its rename: the old catalog; the rerun adds the new collection.
echo data > "$w/coll.main.0/clusterdb0001.dat"
old=$(version)
set +e
{ SHARDTOOL_TEST_KILL_AT=catalog.before_rename "$st" --workdir "$w" init; } >/dev/null 2>&1
code=$?
set -e
[ $code -eq 137 ] || fail "init: expected 137, got $code"
[ "$(version)" = "$old" ] || fail "init killed: version changed"
"$st" --workdir "$w" --json init | grep -q '"main.clusterdb"' || fail "init rerun did not add clusterdb"
[ "$(version)" = $((old + 1)) ] || fail "init rerun: version $(version)"
echo "catalog_crash.sh: all checks passed"
