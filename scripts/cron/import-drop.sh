#!/usr/bin/env bash
# Imports whatever another cluster drops into a directory (its titledb files), for cron; reacts to
# every exit status of DESIGN.md §5. The import is exactly once and resumable: each run continues
# from the bookmark, a finished import does nothing, and files added to the drop directory later are
# imported by the next run. Shards with hosts on other machines are staged as bundles in
# IMPORT_STAGE_DIR for `shardtool ingest` there. Example crontab line (every 10 minutes):
#   */10 * * * *  /opt/shardtool/scripts/cron/import-drop.sh /gb/host0 main /drop/coll.main.0 ops@example.org
# Arguments: <working dir> <database> <drop dir> [mail address].
# Environment: SHARDTOOL (binary), IMPORT_MAX_SECONDS (default 540: stop at a batch commit before the
# next run; it continues), IMPORT_MEMORY (default 256M), IMPORT_STAGE_DIR, IMPORT_RDB (titledb).
# Reports go to <working dir>/shardtool/reports/import-<db>-<date>.json.
set -u
workdir=$1 db=$2 drop=$3 mailto=${4:-}
shardtool=${SHARDTOOL:-shardtool}
reports="$workdir/shardtool/reports"
mkdir -p "$reports"
report="$reports/import-$db-$(date +%Y%m%dT%H%M%S).json"
alert() {
  echo "shardtool import $db from $drop on $(hostname): $1" | logger -t shardtool-import
  [ -n "$mailto" ] && command -v mail >/dev/null && mail -s "shardtool import $db on $(hostname): $1" "$mailto" < "$report"
}
opts=(--dir "$drop" --db "$db" --rdb "${IMPORT_RDB:-titledb}" --memory "${IMPORT_MEMORY:-256M}"
      --max-duration "${IMPORT_MAX_SECONDS:-540}")
[ -n "${IMPORT_STAGE_DIR:-}" ] && opts+=(--stage-dir "$IMPORT_STAGE_DIR")
nice -n 10 ionice -c3 "$shardtool" --workdir "$workdir" --json --progress never import "${opts[@]}" \
  > "$report" 2>>"$reports/import.log"
status=$?
case $status in
  0) ;;                                                   # imported, or nothing new
  1) alert "records quarantined or corrupt source files (see the report)" ;;
  2) alert "usage error: fix the cron line" ;;
  3) alert "source refused (a merge in progress there?) or a target not initialised" ;;
  4) ;;                                                   # busy: the next run retries
  5) alert "placement changed: refresh catalogs; the next run continues under the new placement" ;;
  7) alert "I/O error (disk full?)" ;;
  8) alert "bad bookmark or corrupt input blocks the import" ;;
  9) ;;                                                   # stopped in time: the next run continues
  *) alert "exit status $status: report a bug" ;;
esac
find "$reports" -name "import-$db-*.json" -mtime +30 -delete 2>/dev/null
exit $status
