# shellcheck shell=bash disable=SC2154,SC2034  # st, gen, play, fail, skip, step come from the sourcing script; rc is for it
# Brings up a shardtool test cluster of network namespaces, sourced by tests/cluster/ansible.sh
# and bench/cluster_verify_bench.sh (which define fail, skip, step, $st, $gen, $play): N hosts
# (CLUSTER_SHARDS x 2 mirrors) as Linux network namespaces on a private bridge, each with its own
# IP (a free 10.231.x.0/24; the controller is .1 on the bridge) and its own sshd (host key and the
# run's client key made here, listening on that address only), a working dir per host under $run
# with sample data (CLUSTER_DOCS documents) and an initialised catalog, a per-run ansible.cfg and
# the inventory from hosts.conf. Defines start_sshd, wait_sshd, kill_host, ap and show; an EXIT
# trap removes every namespace, the bridge, each process it started and the run dir.
# Options (environment):
#   CLUSTER_SPARES=K        K more hosts (ids N..N+K-1) with a namespace, an sshd and an empty
#                           working dir, but not in hosts.conf (for a reshard to more hosts);
#                           write_hosts_conf makes a hosts.conf over any of them
#   CLUSTER_PRIVATE_DIRS=1  each host's sshd (and what runs through it) sees its own working dir
#                           only, as on separate machines (import then stages bundles for the
#                           other hosts instead of writing into them): host i's working dir is
#                           $run/m<i>/h<i> ($run/h<i> links to it for the checks), and in each
#                           host's mount namespace the other hosts' $run/m<j> are an empty
#                           read-only tmpfs, so their working dirs do not exist there
#   CLUSTER_RDBS=LIST       the Rdbs of the sample data (shardtool-gen --rdbs; default all)
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, one sshd per host)"
for c in ip ansible-playbook ansible-inventory ssh ssh-keygen python3 jq; do
  command -v "$c" >/dev/null || fail "$c is missing: scripts/setup.sh installs ansible-core openssh-server rsync iproute2"
done
[ -x /usr/sbin/sshd ] || fail "/usr/sbin/sshd is missing: scripts/setup.sh installs openssh-server"
probe=stp$$
if ! err=$(ip netns add "$probe" 2>&1); then
  skip "this machine cannot make network namespaces (ip netns add: $err)"
fi
ip netns del "$probe"

SHARDS=${CLUSTER_SHARDS:-2}
N=$((SHARDS * 2))
# NT: every host with a namespace, the spares included.
NT=$((N + ${CLUSTER_SPARES:-0}))
# A private /24 of 10.231.0.0/16 that no interface of this machine uses yet.
net=
used=$(ip -4 -o addr show; ip -4 route show)
for i in $(seq 0 253); do
  x=$(( ($$ + i) % 254 + 1 ))
  case "$used" in *" 10.231.$x."*|*"10.231.$x.0/"*) ;; *) net=10.231.$x; break ;; esac
done
[ -n "$net" ] || fail "no free 10.231.x.0/24"
br=stbr$$
ns() { echo "st$$h$1"; }
ipof() { echo "$net.$(( 11 + $1 ))"; }
# wdof <i>: host i's working dir as hosts.conf names it.
wdof() { if [ "${CLUSTER_PRIVATE_DIRS:-0}" = 1 ]; then echo "$run/m$1/h$1"; else echo "$run/h$1"; fi; }

run=$(mktemp -d /tmp/stcl.XXXXXX)
chmod 755 "$run"
# Background jobs (ansible-playbook runs, the sshds, the watchdog) each get their own process group
# (set -m), so that cleanup can end each of them with all its children, and a signal interrupts
# `wait` at once instead of waiting for the playbook to end.
set -m
cleanup() {
  local sock i p
  trap - INT TERM
  kill -TERM -- "-$watchdog" 2>/dev/null
  for p in $(jobs -p); do kill -TERM -- "-$p" 2>/dev/null; done
  for sock in "$run"/cp/*; do
    [ -S "$sock" ] && ssh -o ControlPath="$sock" -O exit dummy >/dev/null 2>&1
  done
  for i in $(seq 0 $((NT - 1))); do
    if [ -e "/run/netns/$(ns "$i")" ]; then
      for p in $(ip netns pids "$(ns "$i")"); do kill -9 "$p" 2>/dev/null; done
      ip netns del "$(ns "$i")"
    fi
  done
  ip link del "$br" 2>/dev/null
  if [ "${CLUSTER_KEEP:-0}" = 1 ]; then echo "kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'echo "interrupted: cleaning up"; exit 1' INT TERM
# A watchdog below ctest's TIMEOUT (which kills without a chance to clean up): TERM at the limit.
( sleep "${CLUSTER_TIME_LIMIT:-280}"; echo "FAIL: time limit ${CLUSTER_TIME_LIMIT:-280} s" >&2; kill -TERM $$ ) &
watchdog=$!
disown "$watchdog"

# --- the network: a bridge with the controller at .1, one namespace per host --------------------
step "network $net.0/24 on $br"
ip link add "$br" type bridge || fail "ip link add bridge"
ip addr add "$net.1/24" dev "$br"
ip link set "$br" up
for i in $(seq 0 $((NT - 1))); do
  n=$(ns "$i")
  ip netns add "$n" || fail "ip netns add $n"
  ip link add "st$$v$i" type veth peer name "st$$p$i" || fail "veth"
  ip link set "st$$v$i" master "$br" up
  ip link set "st$$p$i" netns "$n"
  ip -n "$n" link set "st$$p$i" name eth0
  ip -n "$n" addr add "$(ipof "$i")/24" dev eth0
  ip -n "$n" link set eth0 up
  ip -n "$n" link set lo up
done

# --- sshd per host: its own host key, the run's client key, listening on its address only --------
mkdir -p /run/sshd "$run/ssh" "$run/cp" "$run/tmp" "$run/reports"
ssh-keygen -q -t ed25519 -N '' -f "$run/ssh/client" || fail "ssh-keygen"
cp "$run/ssh/client.pub" "$run/ssh/authorized_keys"
start_sshd() {
  local i=$1 d=$run/sshd$1
  mkdir -p "$d"
  [ -f "$d/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  cat > "$d/sshd_config" <<EOF
ListenAddress $(ipof "$i")
Port 22
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $run/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
  rm -f "$d/sshd.pid"
  if [ "${CLUSTER_PRIVATE_DIRS:-0}" = 1 ]; then
    # The other hosts' working dirs hidden in this sshd's own mount namespace (ip netns exec
    # makes one; nothing mounted there shows outside).
    local hide=() j
    for j in $(seq 0 $((NT - 1))); do [ "$j" = "$i" ] || hide+=("$run/m$j"); done
    ip netns exec "$(ns "$i")" unshare --mount --propagation private sh -c \
      'for d in "$@"; do mount -t tmpfs -o ro,size=4k,mode=0555 st-hidden "$d" || exit 1; done
       exec /usr/sbin/sshd -D -f "'"$d/sshd_config"'" -E "'"$d/sshd.log"'"' sh "${hide[@]}" &
    return
  fi
  # -D: sshd stays a child of this script (in the foreground of its own process group).
  ip netns exec "$(ns "$i")" /usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" &
}
ssh_ok() {  # ssh_ok <host index>: sshd answers
  ssh -i "$run/ssh/client" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=2 -o LogLevel=ERROR "root@$(ipof "$1")" true 2>/dev/null
}
wait_sshd() {

  for _ in $(seq 1 50); do ssh_ok "$1" && return 0; sleep 0.1; done
  fail "sshd of host $1 does not answer: $(cat "$run/sshd$1/sshd.log")"
}
# Stops a host the hard way: every process of its namespace (sshd, its sessions and whatever they
# run) gets SIGKILL, as if the machine had gone away.
kill_host() {
  local p
  for p in $(ip netns pids "$(ns "$1")"); do kill -9 "$p" 2>/dev/null; done
  for p in $(seq 1 50); do [ -z "$(ip netns pids "$(ns "$1")")" ] && return 0; sleep 0.1; done
  fail "host $1's processes do not die"
}
for i in $(seq 0 $((NT - 1))); do
  if [ "${CLUSTER_PRIVATE_DIRS:-0}" = 1 ]; then mkdir -p "$run/m$i/h$i"; ln -s "m$i/h$i" "$run/h$i"; fi
done
for i in $(seq 0 $((NT - 1))); do start_sshd "$i"; done
for i in $(seq 0 $((NT - 1))); do wait_sshd "$i"; done

# --- the cluster: hosts.conf with the namespace addresses, sample data, a catalog per host -------
step "cluster data"
# write_hosts_conf <file> <hosts>: a hosts.conf of hosts 0..hosts-1 (2 mirrors per shard) at the
# namespace addresses.
write_hosts_conf() {
  local i
  {
    echo "# shardtool test cluster: $(( $2 / 2 )) shards x 2 mirrors in network namespaces"
    echo "num-mirrors: 1"
    for i in $(seq 0 $(( $2 - 1 ))); do
      echo "$i 5998 7000 8000 9000 $(ipof "$i") $(ipof "$i") $(wdof "$i")"
    done
  } > "$1"
}
write_hosts_conf "$run/hosts.conf" "$N"
"$gen" --out "$run/gen" --hosts "$run/hosts.conf" --docs "${CLUSTER_DOCS:-1500}" --files 3 \
  ${CLUSTER_RDBS:+--rdbs "$CLUSTER_RDBS"} >/dev/null || fail "shardtool-gen"
for i in $(seq 0 $((N - 1))); do
  # init finds the host by its local address (run inside the namespace) and --workdir.
  ip netns exec "$(ns "$i")" "$st" --workdir "$(wdof "$i")" init --hosts "$run/hosts.conf" >/dev/null 2>"$run/err" ||
    fail "init of host $i (inside its namespace, without --host-id): $(cat "$run/err")"
done

# The shardtool the playbooks run on the hosts: the build's binary behind a wrapper that, when
# $run/pause-h<i> names a test point, pauses that host's next merge there (for the mid-play loss),
# and logs when each merge starts and ends to $run/merges.log.
mkdir -p "$run/bin"
cat > "$run/bin/shardtool" <<EOF
#!/usr/bin/env bash
wd= prev=
for a in "\$@"; do [ "\$prev" = --workdir ] && wd=\$a; prev=\$a; done
h=\$(basename "\$wd")
if [ -n "\$h" ] && [ -f "$run/pause-\$h" ] && [[ " \$* " == *" merge "* ]]; then
  export SHARDTOOL_TEST_PAUSE_AT="\$(cat "$run/pause-\$h"):$run/paused-\$h"
  rm -f "$run/pause-\$h"
fi
# $run/kill-ingest-h<i> (or kill-misplaced-h<i>) names a test point: that host's next ingest (or
# repair misplaced) is killed (SIGKILL) there.
for c in ingest misplaced; do
  if [ -n "\$h" ] && [ -f "$run/kill-\$c-\$h" ] && [[ " \$* " == *" \$c "* ]]; then
    export SHARDTOOL_TEST_KILL_AT="\$(cat "$run/kill-\$c-\$h")"
    rm -f "$run/kill-\$c-\$h"
    echo "\$(date +%s.%N) \$c to be killed at \$SHARDTOOL_TEST_KILL_AT \$h" >> "$run/kills.log"
  fi
done
if [[ " \$* " != *" merge "* ]]; then exec "$st" "\$@"; fi
# Merges are logged (start and end, with the host) to check the rolling order.
echo "\$(date +%s.%N) start \$h" >> "$run/merges.log"
"$st" "\$@"
code=\$?
echo "\$(date +%s.%N) end \$h" >> "$run/merges.log"
exit \$code
EOF
chmod +x "$run/bin/shardtool"

# --- Ansible: a per-run configuration, the inventory from hosts.conf -----------------------------
cat > "$run/ansible.cfg" <<EOF
[defaults]
host_key_checking = False
private_key_file = $run/ssh/client
remote_user = root
forks = 10
timeout = 5
retry_files_enabled = False
interpreter_python = /usr/bin/python3
local_tmp = $run/tmp/local
remote_tmp = $run/tmp/remote
nocows = 1
[ssh_connection]
pipelining = True
control_path = $run/cp/%%C
ssh_args = -o ControlMaster=auto -o ControlPersist=30s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o ConnectTimeout=5 -o LogLevel=ERROR
EOF
export ANSIBLE_CONFIG=$run/ansible.cfg ANSIBLE_LOCAL_TEMP=$run/tmp/local ANSIBLE_REMOTE_TEMP=$run/tmp/remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_DEPRECATION_WARNINGS=0
export SHARDTOOL_HOSTS=$run/hosts.conf SHARDTOOL_BIN=$st
reports=$run/reports
# ap <log name> <playbook> [args]: runs a playbook (on the run's hosts, with the wrapper binary);
# sets $rc, keeps the output in $run/<log name>.log.
ap() {
  ap_start "$@"
  wait "$apid"
  rc=$?
}
# ap_start: the same in the background; $apid is its process (group) id.
ap_start() {
  local log=$1 pb=$2; shift 2
  (cd "$run" && exec ansible-playbook -i "$play/inventory.sh" "$play/$pb" \
     -e "shardtool_bin=$run/bin/shardtool" -e "report_dir=$reports" "$@") > "$run/$log.log" 2>&1 &
  apid=$!
}
show() { echo "---- $run/$1.log"; tail -n 40 "$run/$1.log"; }

