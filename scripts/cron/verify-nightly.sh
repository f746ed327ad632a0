#!/usr/bin/env bash
# Nightly deep verify of one host's database, for cron (reacts to every exit status of
# DESIGN.md §5). Example crontab line, 03:10 every night on each host:
#   10 3 * * *  /opt/shardtool/scripts/cron/verify-nightly.sh /gb/host3 main ops@example.org
# Arguments: <working dir> <database> [mail address for alerts]. Reports go to
#   <working dir>/shardtool/reports/verify-<db>-<date>.json (kept 30 days).
set -u
workdir=$1 db=$2 mailto=${3:-}
shardtool=${SHARDTOOL:-shardtool}
reports="$workdir/shardtool/reports"
mkdir -p "$reports"
report="$reports/verify-$db-$(date +%Y%m%d).json"
alert() {
  echo "shardtool verify $db on $(hostname): $1" | logger -t shardtool-verify
  [ -n "$mailto" ] && command -v mail >/dev/null && mail -s "shardtool verify $db on $(hostname): $1" "$mailto" < "$report"
}
nice -n 10 ionice -c3 "$shardtool" --workdir "$workdir" --json --progress never verify "$db" > "$report" 2>>"$reports/verify.log"
status=$?
case $status in
  0) ;;                                            # clean
  1) alert "findings (see $report)" ;;             # corrupt data or misplaced records
  2) alert "usage error: fix the cron line" ;;
  3) alert "not found or precondition failed (run shardtool init?)" ;;
  4) ;;                                            # busy: tomorrow's run will do
  5) alert "stale placement: refresh the catalog" ;;
  6) ;;                                            # the collection changed under us: next run
  7) alert "I/O error: check the disks" ;;
  8) alert "corrupt input blocks the job" ;;
  9) ;;                                            # interrupted: next run
  *) alert "internal error $status: report a bug" ;;
esac
find "$reports" -name 'verify-*.json' -mtime +30 -delete 2>/dev/null
exit $status
