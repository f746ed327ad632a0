#!/usr/bin/env bash
# The Ansible playbooks of deploy/ansible/ against a real cluster of 4 hosts (2 shards x 2
# mirrors) on this machine: each host is a Linux network namespace on a private bridge, with its
# own IP and its own sshd (host and client keys made for this run, listening on that address
# only) and its own working dir under the run dir; ansible-playbook reaches them over SSH with the
# inventory that `shardtool cluster inventory` makes from hosts.conf. Checked from the files:
#   - the inventory: 4 hosts, groups shard_0/1 and mirror_0/1; every playbook passes --syntax-check
#   - catalog.yml: every host's catalog equals the config host's after it (and a rerun changes
#     nothing); a host whose catalog was rebuilt on its own (another epoch) is named
#   - verify.yml: clean on a clean cluster (verify.json: exit 0, mirrors agree); with another
#     shard's file planted on one host it fails naming that host, the file and a misplaced key;
#     a mirror that lost one record (a byte-correct file, verify clean everywhere) is found by the
#     digests alone
#   - a host that is down is reported unreachable while the others finish; the rerun completes
#   - merge.yml: one mirror of each shard at a time (from the merges' start and end times); a host
#     that vanishes mid-merge (its whole namespace killed while the merge is
#     paused at a test point), then returns: the rerun completes, and verify finds the mirrors
#     equal and clean (nothing lost)
#   - scripts/cron/cluster-verify-nightly.sh: quiet on the clean cluster, alerts on findings
#   - install.yml with the package CPack makes: in check mode, then for real (every host runs the
#     installed /usr/bin/shardtool of the package's version; a rerun changes nothing); the
#     machine's package state is restored afterwards
# Needs root and network namespaces: it says why and exits 77 (skipped) when the machine cannot.
# Everything it starts (namespaces, bridge, sshd, ssh control masters) is removed on exit.
#   ansible.sh <shardtool> <shardtool-gen> [<build dir for cpack>]
set -uo pipefail
st=$(realpath "$1")
gen=$(realpath "$2")
build=${3:+$(realpath "$3")}
here=$(cd "$(dirname "$0")/../.." && pwd)
play=$here/deploy/ansible
start=$(date +%s)
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { echo "-- $(( $(date +%s) - start )) s: $*"; }

# shellcheck source=tests/cluster/lib.sh
source "$here/tests/cluster/lib.sh"

step "inventory and syntax"
"$play/inventory.sh" --list > "$run/inventory.json" || fail "inventory.sh --list"
jq -e '.shardtool.hosts | length == 4' "$run/inventory.json" >/dev/null || fail "inventory: $(cat "$run/inventory.json")"
for g in shard_0 shard_1 mirror_0 mirror_1; do
  jq -e --arg g "$g" '.[$g].hosts | length == 2' "$run/inventory.json" >/dev/null || fail "inventory group $g"
done
jq -e --arg ip "$(ipof 3)" --arg wd "$run/h3" '._meta.hostvars.host3 |
  .ansible_host == $ip and .shardtool_workdir == $wd and .shardtool_shard == 1 and .shardtool_mirror == 1' \
  "$run/inventory.json" >/dev/null || fail "inventory host3: $(jq -c ._meta.hostvars.host3 "$run/inventory.json")"
ansible-inventory -i "$play/inventory.sh" --graph > "$run/graph.log" 2>&1 || fail "ansible-inventory: $(cat "$run/graph.log")"
for pb in catalog.yml verify.yml merge.yml install.yml; do
  ansible-playbook -i "$play/inventory.sh" --syntax-check "$play/$pb" > "$run/syntax.log" 2>&1 ||
    fail "syntax of $pb: $(cat "$run/syntax.log")"
done

# --- catalog.yml ---------------------------------------------------------------------------------
# Each host's catalog without what is its own (this host, and on the others the config host it
# adopted from); equal everywhere after catalog.yml.
catalog_of() { jq -S 'del(.thisHost, .configHost)' "$run/h$1/shardtool/catalog.json"; }
step "catalog.yml (adopt the config host's catalog)"
ap catalog1 catalog.yml -e catalog_adopt=true
[ "$rc" -eq 0 ] || { show catalog1; fail "catalog.yml exited $rc"; }
for i in 1 2 3; do
  diff <(catalog_of 0) <(catalog_of "$i") > "$run/diff" || fail "catalog of host $i differs after catalog.yml: $(head -20 "$run/diff")"
  jq -e --argjson i "$i" '.thisHost == $i and .configHost == 0' "$run/h$i/shardtool/catalog.json" >/dev/null ||
    fail "host $i's catalog: thisHost/configHost $(jq -c '[.thisHost, .configHost]' "$run/h$i/shardtool/catalog.json")"
done
jq -e '.agree == true and (.hosts | length == 4) and all(.hosts[]; .check_exit == 0)' "$reports/catalog.json" >/dev/null ||
  fail "catalog.json: $(cat "$reports/catalog.json")"
step "catalog.yml again: nothing changes"
sums=$(md5sum "$run"/h*/shardtool/catalog.json)
ap catalog2 catalog.yml
[ "$rc" -eq 0 ] || { show catalog2; fail "catalog.yml rerun exited $rc"; }
[ "$sums" = "$(md5sum "$run"/h*/shardtool/catalog.json)" ] || fail "a rerun of catalog.yml changed a catalog"
jq -e 'all(.hosts[]; .changed == false)' "$reports/catalog.json" >/dev/null || fail "rerun changed: $(cat "$reports/catalog.json")"
step "catalog.yml with host3's catalog rebuilt on its own"
cp -p "$run/h3/shardtool/catalog.json" "$run/saved-catalog.json"
"$st" --workdir "$run/h3" init --hosts "$run/hosts.conf" --host-id 3 --rebuild >/dev/null || fail "init --rebuild on host3"
ap catalog3 catalog.yml
[ "$rc" -ne 0 ] || { show catalog3; fail "catalog.yml passed with host3 on another epoch"; }
grep -q "host3 (id 3, shard 1): catalog apply exit 3" "$run/catalog3.log" || { show catalog3; fail "catalog.yml does not name host3"; }
jq -e '.agree == false and ([.hosts[] | select(.check_exit != 0) | .host_id] == [3])' "$reports/catalog.json" >/dev/null ||
  fail "catalog.json with host3 apart: $(jq -c '[.hosts[] | {host_id, apply_exit, check_exit}]' "$reports/catalog.json")"
cp -p "$run/saved-catalog.json" "$run/h3/shardtool/catalog.json"

# --- verify.yml on the clean cluster ------------------------------------------------------------
step "verify.yml, clean"
ap verify1 verify.yml
[ "$rc" -eq 0 ] || { show verify1; fail "verify.yml on a clean cluster exited $rc"; }
jq -e '.schema_version == 1 and .exit == 0 and (.hosts | length == 4) and all(.hosts[]; .exit == 0 and .report.command == "verify")
       and (.mirrors | length > 0) and all(.mirrors[]; .agree and (.digests | length == 2))' "$reports/verify.json" >/dev/null ||
  fail "verify.json on a clean cluster: $(head -c 3000 "$reports/verify.json")"
[ -s "$reports/verify.txt" ] || fail "no verify.txt"

step "scripts/cron/cluster-verify-nightly.sh, clean"
printf '#!/bin/sh\necho "$1" >> %s/alerts\n' "$run" > "$run/bin/alert"
chmod +x "$run/bin/alert"
(cd "$run" && REPORT_DIR=$run/nightly ALERT_CMD=$run/bin/alert ANSIBLE_OPTIONS="-e shardtool_bin=$run/bin/shardtool" \
   bash "$here/scripts/cron/cluster-verify-nightly.sh" main) > "$run/nightly.log" 2>&1 ||
  fail "cluster-verify-nightly.sh exited $?: $(cat "$run/nightly.log"; tail -20 "$run"/nightly/*/ansible.log)"
[ ! -e "$run/alerts" ] || fail "cluster-verify-nightly.sh alerted on a clean cluster: $(cat "$run/alerts")"
jq -e '.exit == 0' "$run"/nightly/verify-main-*/verify.json >/dev/null || fail "no clean verify.json from the nightly script"

# --- a misplaced record: another shard's posdb file planted on host 0 ----------------------------
step "verify.yml, misplaced records on host0"
coll=$(cd "$run/h0" && ls -d coll.main.*)
src=$run/h1/$coll
cp "$src/posdb0001.dat" "$run/h0/$coll/posdb0011.dat"
cp "$src/posdb0001.map" "$run/h0/$coll/posdb0011.map"
[ -f "$src/posdb0001.crc" ] && cp "$src/posdb0001.crc" "$run/h0/$coll/posdb0011.crc"
ap verify2 verify.yml
[ "$rc" -ne 0 ] || { show verify2; fail "verify.yml passed with misplaced records on host0"; }
key=$(jq -r '.hosts[] | select(.host_id == 0) | .report.files[] | select(.file | endswith("posdb0011.dat")) | .misplaced_sample[0].key' "$reports/verify.json")
[ -n "$key" ] && [ "$key" != null ] || fail "verify.json names no misplaced key: $(head -c 3000 "$reports/verify.json")"
grep -q "host0 (id 0, shard 0): $coll/posdb0011.dat: [0-9]* records not owned (misplaced), e.g. key $key" "$run/verify2.log" ||
  { show verify2; fail "the play does not name host0, the file and key $key"; }
jq -e '.exit == 1 and ([.hosts[] | select(.exit != 0) | .host_id] == [0])' "$reports/verify.json" >/dev/null ||
  fail "verify.json exit/hosts: $(jq -c '[.exit, [.hosts[] | {host_id, exit}]]' "$reports/verify.json")"
(cd "$run" && REPORT_DIR=$run/nightly ALERT_CMD=$run/bin/alert ANSIBLE_OPTIONS="-e shardtool_bin=$run/bin/shardtool" \
   bash "$here/scripts/cron/cluster-verify-nightly.sh" main) > "$run/nightly.log" 2>&1 && fail "cluster-verify-nightly.sh passed with misplaced records"
grep -q "shardtool cluster verify main: failed" "$run/alerts" || fail "cluster-verify-nightly.sh did not alert: $(cat "$run/alerts")"
rm "$run/h0/$coll"/posdb0011.*

# --- a mirror that lost one record: host3 (shard 1, mirror 1), one posdb record gone -------------
# Its newest posdb file rewritten without one record, byte-correct (data, map, sidecar): verify is
# clean on every host, only the digests of shard 1's mirrors disagree.
step "verify.yml, host3 lost one posdb record"
mkdir -p "$run/saved"
last=$(cd "$run/h3/$coll" && ls posdb*.dat | sort | tail -1)
base=${last%.dat}
cp -p "$run/h3/$coll/$base".* "$run/saved/"
"$gen" drop-record "$run/h3/$coll/$last" > "$run/drop.json" 2>&1 || fail "shardtool-gen drop-record: $(cat "$run/drop.json")"
[ "$(jq -r .dropped_key "$run/drop.json")" != null ] || fail "drop-record: $(cat "$run/drop.json")"
ap verify3 verify.yml
[ "$rc" -ne 0 ] || { show verify3; fail "verify.yml passed with a mirror missing a record of $last"; }
jq -e 'all(.hosts[]; .exit == 0)' "$reports/verify.json" >/dev/null ||
  fail "verify is not clean on every host with the record dropped: $(jq -c '[.hosts[] | {host_id, exit}]' "$reports/verify.json")"
jq -e '[.mirrors[] | select(.agree | not) | [.shard, .collection]] == [[1, "main.posdb"]]' "$reports/verify.json" >/dev/null ||
  fail "digests do not single out shard 1 main.posdb: $(jq -c .mirrors "$reports/verify.json")"
jq -e '.mirrors[] | select(.shard == 1 and .collection == "main.posdb") | .records["3"] == .records["1"] - 1'   "$reports/verify.json" >/dev/null || fail "host3 does not have one visible record less: $(jq -c .mirrors "$reports/verify.json")"
grep -q "shard 1: mirrors disagree on main.posdb" "$run/verify3.log" || { show verify3; fail "the play does not name the disagreement"; }
cp -p "$run/saved/$base".* "$run/h3/$coll/"
rm -f "$run/saved/$base".*

# --- a host that is down: reported, the others finish, the rerun completes -----------------------
step "verify.yml with host3 down"
kill_host 3
ap verify4 verify.yml
[ "$rc" -ne 0 ] || { show verify4; fail "verify.yml passed with host3 down"; }
grep -q "host3 (id 3, shard 1): unreachable" "$run/verify4.log" || { show verify4; fail "host3 not reported unreachable"; }
jq -e '[.hosts[] | select(.exit == 0) | .host_id] == [0, 1, 2] and ([.hosts[] | select(.unreachable) | .host_id] == [3])' \
  "$reports/verify.json" >/dev/null || fail "verify.json with host3 down: $(jq -c '[.hosts[] | {host_id, exit, unreachable}]' "$reports/verify.json")"
start_sshd 3; wait_sshd 3
ap verify5 verify.yml
[ "$rc" -eq 0 ] || { show verify5; fail "verify.yml rerun after host3 returned exited $rc"; }

# --- merge.yml: host2 vanishes mid-merge, returns, the rerun completes, nothing is lost ----------
step "merge.yml, host2 lost mid-merge"
merge_opts='{"shardtool_merge_options": ["--min-files", "2"], "shardtool_rdbs": ["posdb", "titledb"]}'
echo merge.after_target_sync > "$run/pause-h2"
ap_start merge1 merge.yml -e "$merge_opts"
for _ in $(seq 1 600); do [ -e "$run/paused-h2.reached" ] && break; sleep 0.1; done
[ -e "$run/paused-h2.reached" ] || { show merge1; fail "host2's merge never reached its pause point"; }
kill_host 2
wait "$apid"
rc=$?
[ "$rc" -ne 0 ] || { show merge1; fail "merge.yml passed though host2 vanished"; }
grep -q "host2 (id 2, shard 0): unreachable" "$run/merge1.log" || { show merge1; fail "host2 not reported unreachable by merge.yml"; }
# Rolling: every merge of mirror 1 (host2, host3) starts after every merge of mirror 0 has ended.
awk '$3 == "h0" || $3 == "h1" { if ($2 == "end" && $1 > last0) last0 = $1 }
     $3 == "h2" || $3 == "h3" { if ($2 == "start" && (first1 == "" || $1 < first1)) first1 = $1 }
     END { exit !(last0 != "" && first1 != "" && first1 > last0) }' "$run/merges.log" ||
  fail "merge.yml ran two mirrors of a shard at once: $(cat "$run/merges.log")"
for i in 0 1 3; do
  jq -e --argjson i "$i" '.hosts[] | select(.host_id == $i) | .rdbs | length == 2 and all(.[]; .exit == 0)' "$reports/merge.json" >/dev/null ||
    fail "host $i did not merge while host2 was away: $(jq -c .hosts "$reports/merge.json" | head -c 2000)"
done
start_sshd 2; wait_sshd 2
ap merge2 merge.yml -e "$merge_opts"
[ "$rc" -eq 0 ] || { show merge2; fail "merge.yml rerun after host2 returned exited $rc"; }
for i in 0 1 2 3; do
  n=$(cd "$run/h$i/$coll" && ls posdb*.dat | wc -l)
  [ "$n" -eq 1 ] || fail "host $i has $n posdb files after merge.yml: $(ls "$run/h$i/$coll")"
done
ap verify6 verify.yml
[ "$rc" -eq 0 ] || { show verify6; fail "verify.yml after the interrupted merge exited $rc"; }
jq -e 'all(.mirrors[]; .agree)' "$reports/verify.json" >/dev/null || fail "mirrors differ after merge.yml"

# --- install.yml with the Debian package: --check, then for real ---------------------------------
# The hosts share this machine's dpkg, so the package is installed once per machine (the other
# hosts find it installed, or wait for the dpkg lock). The machine is restored at the end, even on
# failure: the package purged when it was not installed before, the previous version reinstalled
# when one was (from apt's cache or dpkg-repack; without either the real install is skipped). One
# test run at a time installs (a machine-wide lock).
pkg_restore=""
restore_package() {
  case "$pkg_restore" in
    purge) dpkg --purge shardtool > "$run/pkg-restore.log" 2>&1 || echo "FAIL: dpkg --purge shardtool: $(cat "$run/pkg-restore.log")" ;;
    deb:*) dpkg -i "${pkg_restore#deb:}" > "$run/pkg-restore.log" 2>&1 || echo "FAIL: reinstalling ${pkg_restore#deb:}: $(cat "$run/pkg-restore.log")" ;;
  esac
  pkg_restore=""
}
trap 'restore_package; cleanup' EXIT
if [ -n "$build" ]; then
  step "cpack and install.yml --check"
  [ -f "$build/CPackConfig.cmake" ] || fail "no $build/CPackConfig.cmake (include(CPack) in CMakeLists.txt)"
  (cd "$run" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$run/pkg") > "$run/cpack.log" 2>&1 ||
    fail "cpack: $(tail -20 "$run/cpack.log")"
  deb=$(ls "$run"/pkg/shardtool_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || fail "cpack made no shardtool_*.deb: $(ls "$run/pkg")"
  dpkg-deb -c "$deb" > "$run/pkg/contents" || fail "dpkg-deb -c $deb"
  grep -q '/usr/bin/shardtool$' "$run/pkg/contents" || fail "the package holds no /usr/bin/shardtool"
  [[ "$(dpkg-deb -f "$deb" Depends)" == *libzstd1* ]] || fail "the package does not depend on libzstd1"
  grep -q 'share/shardtool/ansible/verify.yml$' "$run/pkg/contents" || fail "the package holds no playbooks"
  ap install install.yml --check -e "shardtool_deb=$deb" -e shardtool_become=false
  [ "$rc" -eq 0 ] || { show install; fail "install.yml --check exited $rc"; }

  step "install.yml for real"
  exec 9> /run/lock/shardtool-cluster-install.lock
  flock -w 120 9 || fail "another test run holds /run/lock/shardtool-cluster-install.lock"
  version=$(dpkg-deb -f "$deb" Version)
  before=$(dpkg-query --show --showformat='${db:Status-Status} ${Version}' shardtool 2>/dev/null)
  real=1
  case "$before" in
    "installed $version") ;;  # nothing changes, nothing to restore
    installed\ *)
      prev=${before#installed }
      cached=$(ls /var/cache/apt/archives/shardtool_"$prev"_*.deb 2>/dev/null | head -1)
      if [ -n "$cached" ]; then
        pkg_restore=deb:$cached
      elif command -v dpkg-repack >/dev/null; then
        mkdir -p "$run/prev" && (cd "$run/prev" && dpkg-repack shardtool) > "$run/repack.log" 2>&1 ||
          fail "dpkg-repack shardtool: $(tail -5 "$run/repack.log")"
        pkg_restore=deb:$(ls "$run"/prev/shardtool_*.deb | head -1)
      else
        echo "install.yml for real skipped: shardtool $prev is installed and could not be restored afterwards (no cached .deb, no dpkg-repack)"
        real=0
      fi ;;
    *) pkg_restore=purge ;;
  esac
  if [ "$real" = 1 ]; then
    ap install2 install.yml -e "shardtool_deb=$deb" -e shardtool_become=false
    [ "$rc" -eq 0 ] || { show install2; fail "install.yml exited $rc"; }
    [ "$(dpkg-query --show --showformat='${Version}' shardtool)" = "$version" ] || fail "shardtool $version is not installed after install.yml"
    # On every host, over its own ssh: the installed binary runs and is the package's version.
    (cd "$run" && ansible -i "$play/inventory.sh" shardtool -m ansible.builtin.command -a "/usr/bin/shardtool --version") \
      > "$run/installed.log" 2>&1 || { show installed; fail "/usr/bin/shardtool --version failed on a host"; }
    for h in host0 host1 host2 host3; do
      grep -E -A1 "^$h \| (CHANGED|SUCCESS)" "$run/installed.log" | grep -qx "shardtool $version" ||
        { show installed; fail "$h: /usr/bin/shardtool does not report $version"; }
    done
    ap install3 install.yml -e "shardtool_deb=$deb" -e shardtool_become=false
    [ "$rc" -eq 0 ] || { show install3; fail "install.yml rerun exited $rc"; }
    for h in host0 host1 host2 host3; do
      grep -Eq "^$h +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$run/install3.log" ||
        { show install3; fail "install.yml rerun changed something on $h"; }
    done
    restore_package
    [ "$(dpkg-query --show --showformat='${db:Status-Status} ${Version}' shardtool 2>/dev/null)" = "$before" ] ||
      fail "the machine's shardtool package is not as before the test ($before)"
  fi
  flock -u 9
fi

step "all passed"
