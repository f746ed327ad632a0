#!/usr/bin/env bash
# Imports the titledb files dropped into a directory by another cluster (shardtool import), for
# cron; reacts to every exit status of doc/architecture.md §5. Example crontab line, every 10 minutes:
#   */10 * * * *  /opt/shardtool/scripts/cron/import-drop.sh /gb/host0 main /gb/drop ops@example.org
# Arguments: <working dir> <database> <drop dir> [mail address].
#
# The drop dir holds one subdirectory per batch (a copy of another cluster's titledbNNNN-000.dat
# files). A batch is imported once it is complete: its producer creates the file READY in it last
# (copy, then `touch READY`). An imported batch moves to <drop dir>/done/ (imported with problems
# too: exit 1, corrupt records quarantined, after an alert); a batch that cannot be imported stays
# where it is and is retried by the next run. An import stopped by --max-duration (exit 9) or
# killed continues from its bookmark on the next run, exactly once.
#
# Environment: SHARDTOOL (binary), IMPORT_MAX_SECONDS (default 3000), IMPORT_STAGE_DIR (bundles for
# hosts that are not mounted here: --stage-dir), IMPORT_OPTIONS (more options, e.g. "--memory 1G"),
# REPORT_DIR (default <working dir>/shardtool/reports; kept 30 days), BUSY_ALERT_AFTER (default 6),
# ALERT_CMD (a command given the subject as its argument and the report on stdin; default syslog
# and mail).
# Exit status: 0 when every ready batch was imported (or none was ready), else the first failing
# batch's shardtool exit status.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 <working dir> <database> <drop dir> [mail address]" >&2
  exit 2
fi
workdir=$1 db=$2 drop=$3 mailto=${4:-}
shardtool=${SHARDTOOL:-shardtool}
reports=${REPORT_DIR:-$workdir/shardtool/reports}
mkdir -p "$reports" "$drop/done" || exit 7
streak_file="$reports/import-$db.not-run"
report=/dev/null
alert() {
  local subject="shardtool import $db on $(hostname): $1"
  if [ -n "${ALERT_CMD:-}" ]; then
    $ALERT_CMD "$subject" < "$report"
    return
  fi
  echo "$subject" | logger -t shardtool-import
  if [ -n "$mailto" ] && command -v mail >/dev/null; then mail -s "$subject" "$mailto" < "$report"; fi
}
not_run() {
  local n
  n=$(( $(cat "$streak_file" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$streak_file"
  if [ "$n" -ge "${BUSY_ALERT_AFTER:-6}" ]; then alert "$1, $n runs in a row"; fi
}
run_import() {  # <batch dir>
  local opts=(--dir "$1" --db "$db" --max-duration "${IMPORT_MAX_SECONDS:-3000}")
  [ -n "${IMPORT_STAGE_DIR:-}" ] && opts+=(--stage-dir "$IMPORT_STAGE_DIR")
  # shellcheck disable=SC2206
  [ -n "${IMPORT_OPTIONS:-}" ] && opts+=($IMPORT_OPTIONS)
  "$shardtool" --workdir "$workdir" --json --progress never import "${opts[@]}" \
    > "$report" 2>>"$reports/import.log"
}
final=0
for batch in "$drop"/*/; do
  batch=${batch%/}
  name=$(basename "$batch")
  [ "$name" = done ] && continue
  [ -d "$batch" ] && [ -f "$batch/READY" ] || continue      # still being copied
  report="$reports/import-$db-$name-$(date +%Y%m%dT%H%M%S).json"
  run_import "$batch"
  status=$?
  # A placement change stops an import (exit 5); a rerun continues under the new catalog.
  if [ $status -eq 5 ]; then
    run_import "$batch"
    status=$?
  fi
  case $status in
    4|6|9) ;;
    *) rm -f "$streak_file" ;;
  esac
  case $status in
    0) mv "$batch" "$drop/done/" ;;
    1) alert "batch $name imported with problems: corrupt records quarantined (see $report)"
       mv "$batch" "$drop/done/" ;;
    2) alert "usage error: fix the cron line (batch $name)" ;;
    3) alert "batch $name: not found or precondition failed (see $report: database not init'ed on a target, or a merge file in the batch)" ;;
    4) not_run "busy (a lock is held, or Gigablast runs in a target dir)" ;;
    5) alert "batch $name: stale placement twice in a row: check the catalog (shardtool inspect catalog)" ;;
    6) not_run "aborted: a target collection changed under the import" ;;
    7) alert "batch $name: I/O error or disk full on a target: check the disks (the next run continues)" ;;
    8) alert "batch $name: corrupt input blocks the import (see $report)" ;;
    9) ;;                                            # stopped: the next run continues from its bookmark
    *) alert "internal error (exit $status) on batch $name: report a bug" ;;
  esac
  if [ $status -gt 1 ]; then
    final=$status
    break                                            # keep batches in order: retry this one first
  fi
  [ $status -eq 1 ] && [ $final -eq 0 ] && final=1
done
find "$reports" -name "import-$db-*.json" -mtime +30 -delete 2>/dev/null
exit $final
