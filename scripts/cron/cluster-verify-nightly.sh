#!/usr/bin/env bash
# Nightly verify of the whole cluster, for the controller's cron: runs deploy/ansible/verify.yml
# (shardtool verify --digest on every host in parallel, mirrors compared by record digest) and
# alerts with the problem lines when it fails. Example crontab line, 03:10 every night:
#   10 3 * * *  SHARDTOOL_HOSTS=/gb/hosts.conf /opt/shardtool/scripts/cron/cluster-verify-nightly.sh main ops@example.org
# Arguments: <database> [mail address for alerts].
# Environment: SHARDTOOL_HOSTS (the cluster's hosts.conf, required), SHARDTOOL_BIN (shardtool on
#   the controller, for the inventory; default shardtool), PLAYBOOKS (default: the deploy/ansible
#   of the checkout, or share/shardtool/ansible next to the installed cron dir), REPORT_DIR (default
#   /var/lib/shardtool/cluster-reports; one dated directory per run, kept 30 days),
#   ANSIBLE_OPTIONS (more ansible-playbook options, e.g. "-e shardtool_bin=/opt/bin/shardtool"),
#   ALERT_CMD (a command given the subject as its argument and the report on stdin; default:
#   syslog, plus mail when an address is given).
# Exit status: 0 clean; otherwise ansible-playbook's (2: a host failed or mirrors disagree,
#   4: a host unreachable) and the report's "exit" says the worst host status.
set -u
if [ $# -lt 1 ] || [ -z "${SHARDTOOL_HOSTS:-}" ]; then
  echo "usage: SHARDTOOL_HOSTS=hosts.conf $0 <database> [mail address]" >&2
  exit 2
fi
db=$1 mailto=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
playbooks=${PLAYBOOKS:-}
if [ -z "$playbooks" ]; then
  for d in "$here/../../deploy/ansible" "$here/../ansible" /usr/share/shardtool/ansible; do
    [ -f "$d/verify.yml" ] && { playbooks=$d; break; }
  done
fi
[ -n "$playbooks" ] || { echo "no deploy/ansible/verify.yml found: set PLAYBOOKS" >&2; exit 3; }
base=${REPORT_DIR:-/var/lib/shardtool/cluster-reports}
run_dir="$base/verify-$db-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$run_dir" || exit 7
find "$base" -maxdepth 1 -name "verify-$db-*" -mtime +30 -exec rm -rf {} + 2>/dev/null
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$playbooks/ansible.cfg}
# shellcheck disable=SC2086
ansible-playbook -i "$playbooks/inventory.sh" "$playbooks/verify.yml" \
  -e "shardtool_db=$db" -e "report_dir=$run_dir" ${ANSIBLE_OPTIONS:-} > "$run_dir/ansible.log" 2>&1
status=$?
if [ $status -ne 0 ]; then
  subject="shardtool cluster verify $db: failed (ansible-playbook exit $status, see $run_dir)"
  body() { cat "$run_dir/verify.txt" 2>/dev/null || tail -n 50 "$run_dir/ansible.log"; }
  if [ -n "${ALERT_CMD:-}" ]; then
    body | $ALERT_CMD "$subject"
  else
    echo "$subject" | logger -t shardtool-cluster-verify
    if [ -n "$mailto" ] && command -v mail >/dev/null; then body | mail -s "$subject" "$mailto"; fi
  fi
fi
exit $status
