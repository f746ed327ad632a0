#!/usr/bin/env bash
# Nightly deep verify of one host's database, for cron; reacts to every exit status of doc/architecture.md §5
# (the table is in man shardtool(1)). Example crontab line, 03:10 every night on each host:
#   10 3 * * *  /opt/shardtool/scripts/cron/verify-nightly.sh /gb/host3 main ops@example.org
# Arguments: <working dir> <database> [mail address for alerts].
# Environment: SHARDTOOL (the binary, default: shardtool on PATH), REPORT_DIR (default
#   <working dir>/shardtool/reports; reports kept 30 days), VERIFY_OPTIONS (more options, e.g.
#   "--quick" or "--threads 2"), BUSY_ALERT_AFTER (alert after this many runs in a row that could
#   not run: busy, aborted or interrupted; default 3), ALERT_CMD (a command given the subject as
#   its argument and the report on stdin; default: syslog, plus mail when an address is given).
# Exit status: that of shardtool verify.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 <working dir> <database> [mail address]" >&2
  exit 2
fi
workdir=$1 db=$2 mailto=${3:-}
shardtool=${SHARDTOOL:-shardtool}
reports=${REPORT_DIR:-$workdir/shardtool/reports}
mkdir -p "$reports" || exit 7
report="$reports/verify-$db-$(date +%Y%m%dT%H%M%S).json"
streak_file="$reports/verify-$db.not-run"
alert() {
  local subject="shardtool verify $db on $(hostname): $1"
  if [ -n "${ALERT_CMD:-}" ]; then
    $ALERT_CMD "$subject" < "$report"
    return
  fi
  echo "$subject" | logger -t shardtool-verify
  if [ -n "$mailto" ] && command -v mail >/dev/null; then mail -s "$subject" "$mailto" < "$report"; fi
}
# Runs that could not do their work (4, 6, 9) are normal now and then; many in a row are not.
not_run() {
  local n
  n=$(( $(cat "$streak_file" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$streak_file"
  if [ "$n" -ge "${BUSY_ALERT_AFTER:-3}" ]; then alert "$1, $n runs in a row"; fi
}
low=()
command -v nice >/dev/null && low+=(nice -n 10)
command -v ionice >/dev/null && low+=(ionice -c3)
# shellcheck disable=SC2086
"${low[@]}" "$shardtool" --workdir "$workdir" --json --progress never verify "$db" \
  ${VERIFY_OPTIONS:-} > "$report" 2>>"$reports/verify.log"
status=$?
case $status in
  4|6|9) ;;
  *) rm -f "$streak_file" ;;
esac
case $status in
  0) ;;                                                  # clean
  1) alert "findings (see $report)" ;;                   # damaged data or misplaced records
  2) alert "usage error: fix the cron line" ;;
  3) alert "not found or precondition failed (run shardtool init?)" ;;
  4) not_run "busy (a lock is held)" ;;                  # retry later: tomorrow's run
  5) alert "stale placement: refresh the catalog (shardtool init / catalog show)" ;;
  6) not_run "aborted: the collection changed under verify" ;;  # rerun: tomorrow
  7) alert "I/O error: check the disks" ;;
  8) alert "corrupt input blocks verify (see $report)" ;;
  9) not_run "interrupted" ;;                            # stopped (SIGTERM): tomorrow
  *) alert "internal error (exit $status): report a bug" ;;
esac
find "$reports" -name 'verify-*.json' -mtime +30 -delete 2>/dev/null
exit $status
